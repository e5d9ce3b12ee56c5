#!/usr/bin/env bash
# Installs everything Parley needs to build, run and test on Debian 12: system packages (only
# those missing), npm dependencies, and the web UI build. Safe to run again; fast when nothing
# is missing. Rust (rustup) and Node.js >= 20 must already be on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

BUILD_PACKAGES=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config)
# For the tests: a virtual display, WebKit's WebDriver, a real Secret Service, Chromium for the
# UI tests; for the image tests a GTK drag source (python3-gi) and the clipboard (xclip).
# dbus-x11 is deliberately absent: it makes libdbus auto-launch stray buses. sqlite3 (the command)
# is the history benchmark's search baseline; fonts-wqy-microhei draws its Chinese and Japanese
# text (without a CJK font WebKit draws empty boxes, which is neither realistic nor the same work).
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver gnome-keyring dbus libsecret-tools chromium xdotool
  python3-gi gir1.2-gtk-3.0 xclip sqlite3 fonts-wqy-microhei locales)

packages=("${BUILD_PACKAGES[@]}")
if [ "${1:-}" != "--no-test-packages" ]; then packages+=("${TEST_PACKAGES[@]}"); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

# The zh_CN.UTF-8 locale, for the start-up benchmark in Simplified Chinese: WebKitGTK takes the
# page's language from the OS locale only when that locale exists (Debian generates C.UTF-8 only).
if [ "${1:-}" != "--no-test-packages" ] && ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
  log "generating the zh_CN.UTF-8 locale"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
fi

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
else
  # node_modules may have come from `npm install`, which tolerates a lock that `npm ci` (what a
  # fresh clone runs) refuses; the dry run (about a second) makes that failure show here too.
  (cd ui && npm ci --dry-run --no-audit --no-fund --loglevel=error >/dev/null) ||
    { echo "ui/package-lock.json is out of sync with package.json: see ui/README.md" >&2; exit 1; }
  log "npm dependencies present"
fi

log "building the web UI"
(cd ui && npm run --silent build)
