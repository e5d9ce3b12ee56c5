#!/usr/bin/env bash
# Runs every check and test of Parley, after doing all set-up on a fresh Debian 12 machine:
#   1. set-up (Debian packages, npm dependencies, UI build)
#   2. formatting and lints: rustfmt, clippy -D warnings, svelte-check, eslint, prettier
#   3. Rust unit and integration tests (core crates against the mock Claude server, and the
#      keychain against a real gnome-keyring Secret Service in a private D-Bus session)
#   4. UI unit tests (vitest) and UI tests in headless Chromium with the IPC mocked (Playwright)
#   5. the built app end to end under Xvfb through WebKitWebDriver, against the mock server
# Stops at the first failure. `--quick` skips the app build and the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
[ "${1:-}" = "--quick" ] && quick=true

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

step "set-up"
bash scripts/setup.sh

step "rustfmt"
cargo fmt --all -- --check

step "clippy (all crates and targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "UI: svelte-check, eslint, prettier"
(cd ui && npm run --silent check && npm run --silent lint && npm run --silent format:check)

step "Rust tests (keychain against a real Secret Service)"
# The MCP tests start the test MCP server as a real process: build its binary first (a test
# build of the workspace compiles binaries only in test mode).
cargo build -p parley-mcp-test-server --locked
bash scripts/with-keyring.sh cargo test --workspace --exclude parley --exclude parley-bench-bare --locked

step "UI unit tests (vitest)"
(cd ui && npm run --silent test:unit)

step "UI tests in headless Chromium (IPC mocked)"
(cd ui && npm run --silent test:ui)

if ! $quick; then
  step "build the app, and the Tauri crate's own unit tests (navigation allow-list, instance names)"
  bash scripts/build-app.sh
  cargo build -p parley-mock-claude --locked
  cargo test -p parley --locked

  step "end to end: the built app under Xvfb with WebKitWebDriver and a real Secret Service"
  xvfb-run -a -s "-screen 0 1400x900x24 -nolisten tcp" \
    bash scripts/with-keyring.sh node --test --test-concurrency=1 tests/e2e/
fi

printf '\n\033[1;32mAll checks passed in %ss\033[0m\n' "$(( $(date +%s) - started ))"
