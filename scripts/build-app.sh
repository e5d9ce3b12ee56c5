#!/usr/bin/env bash
# Builds the app binary with the web UI embedded (target/debug/parley, or target/release with
# --release). A plain `cargo build` would make a dev binary that loads the Vite dev server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--release" ]; then
  shift
  (cd src-tauri && ../ui/node_modules/.bin/tauri build "$@")
else
  (cd src-tauri && ../ui/node_modules/.bin/tauri build --debug --no-bundle "$@")
fi
