#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds Parley and opens it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-test-packages
echo "[run] building the app (the first build takes several minutes)"
bash scripts/build-app.sh
exec target/debug/parley "$@"
