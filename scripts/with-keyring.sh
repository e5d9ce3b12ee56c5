#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring Secret Service,
# so keychain code is tested against the real thing without touching the user's keyring.
# Usage: scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail

# The keyring daemon keeps its files under HOME, so HOME becomes a throwaway directory; cargo and
# rustup must keep finding their real homes.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
keyring_home=$(mktemp -d /tmp/parley-keyring.XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/.local/share" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p -m700 "$XDG_RUNTIME_DIR"
export PARLEY_REAL_KEYCHAIN=1

# shellcheck disable=SC2016
dbus-run-session -- sh -c '
  eval "$(printf test | gnome-keyring-daemon --unlock --components=secrets)"
  # Wait until the daemon owns its name, or D-Bus would activate a second, locked daemon.
  i=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
    i=$((i+1)); [ $i -lt 200 ] || { echo "gnome-keyring did not start" >&2; exit 1; }
    sleep 0.05
  done
  exec "$@"' sh "$@"
