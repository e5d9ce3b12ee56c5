#!/usr/bin/env bash
# Parley's benchmarks: builds the release app and .deb, the mock server and the seeder, then runs
# bench/run.mjs under a virtual display and a private D-Bus session. Prints one markdown table
# (also written to bench/out/results.md).
#
#   bash scripts/bench.sh                                   # the release build (slow to build)
#   PARLEY_APP_BINARY=target/debug/parley bash scripts/bench.sh   # another binary; skips the app build
#   PARLEY_BENCH_ONLY=throughput,size PARLEY_BENCH_REPS=1 bash scripts/bench.sh   # a quick subset
#   PARLEY_BENCH_ONLY=history-sidebar,history-open,history-search,history-size bash scripts/bench.sh
#                                                           # the history benchmark (issue 4) alone
# The history benchmark seeds 1,000,000 messages once (a few minutes) and caches them under
# target/bench-history/ (about 1.5 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }
started=$(date +%s)

bash scripts/setup.sh >&2
if [ -z "${PARLEY_APP_BINARY:-}" ]; then
  log "building the release app and .deb"
  bash scripts/build-app.sh --release >&2
else
  log "measuring $PARLEY_APP_BINARY (no app build)"
fi
log "building the mock server and the seeders (release)"
cargo build --release -p parley-mock-claude -p parley-bench-seed -p parley-bench-history \
  -p parley-bench-tools -p parley-mcp-test-server -p parley-bench-bare

log "measuring (under Xvfb and a private D-Bus session with its own keyring)"
# Services the session bus starts (the accessibility bus, ...) write to the inherited stdout, so
# everything goes to stderr and stdout gets only the table (bench/out/results.md).
rm -f bench/out/results.md
status=0
PARLEY_BENCH_NO_PRINT=1 xvfb-run -a -s "-screen 0 1400x900x24 -nolisten tcp" \
  bash scripts/with-keyring.sh node bench/run.mjs >&2 || status=$?
log "done in $(($(date +%s) - started)) s (builds included); exit status $status"
if [ -f bench/out/results.md ]; then
  echo
  cat bench/out/results.md
fi
# Tools (issue 11): MCP server start-up and Parley's own time per tool call, against floors
# measured in the same run.
echo
target/release/parley-bench-tools || status=$?
# Image preparation (issue 3): Parley's encoder against Pillow on the same files, in the same run.
echo
bash bench/images/run.sh || status=$?
exit "$status"
