#!/usr/bin/env bash
# End-to-end tests of the real app window: builds the app with its UI, starts Xvfb and a
# private D-Bus session (with an unlocked gnome-keyring, a notification daemon and a tray
# watcher), and drives the window over WebDriver (tauri-driver + WebKitWebDriver) against
# a private Dovecot. Run by scripts/test.sh; needs scripts/setup.sh's packages.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
source "$repo/scripts/env.sh"

if [ "${TERN_E2E_INSIDE:-}" != 1 ]; then
  npm --prefix ui run build --silent >/dev/null
  cargo build --quiet --locked -p tern-app --features custom-protocol
  cargo build --quiet --locked -p tern-testkit --bin tern-seed --bin tern-mock-idp
  cargo build --quiet --locked -p tern-cli --bin tern
  export TAURI_DRIVER=${TAURI_DRIVER:-$(command -v tauri-driver)}
  # Xvfb picks a free display number and writes it to the file.
  displayfile=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$displayfile" >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb 2>/dev/null || true; rm -f "$displayfile"' EXIT
  for _ in $(seq 100); do [ -s "$displayfile" ] && break; sleep 0.1; done
  display=:$(head -n1 "$displayfile")
  for _ in $(seq 100); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
  home=$(mktemp -d)
  # HOME first: gnome-keyring keeps its keyring under it.
  set +e
  env HOME="$home" DISPLAY="$display" TERN_E2E_INSIDE=1 \
    dbus-run-session --config-file="$repo/src-tauri/tests/e2e/session.conf" -- bash "$0" "$@"
  status=$?
  set -e
  rm -rf "$home"
  exit $status
fi

# Inside the private session: an unlocked keyring, then the WebDriver server, then the tests.
eval "$(printf 'e2e-keyring' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
for _ in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
# Links clicked in messages go to this stand-in for xdg-open, which notes the URL.
export TERN_OPENED_FILE="$HOME/opened-links"
export TERN_OPENER="$repo/src-tauri/tests/e2e/fake_opener.sh"
# OAuth2 sign-in pages go to this stand-in for the browser, which approves at the mock.
export BROWSER="$repo/src-tauri/tests/e2e/fake_browser.sh"
driver_port=$((20000 + RANDOM % 20000))
"$TAURI_DRIVER" --port "$driver_port" --native-port $((driver_port + 1)) >/tmp/tern-tauri-driver.log 2>&1 &
driver=$!
trap 'kill $driver 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$driver_port) 2>/dev/null && break; sleep 0.1; done
export TERN_APP="$CARGO_TARGET_DIR/debug/tern-app" TERN_SEED="$CARGO_TARGET_DIR/debug/tern-seed" TERN_DRIVER_PORT=$driver_port
export TERN_CLI="$CARGO_TARGET_DIR/debug/tern" TERN_MOCK_IDP="$CARGO_TARGET_DIR/debug/tern-mock-idp"
cd "$repo/src-tauri/tests/e2e"
"$TERN_E2E_VENV/bin/python" -m unittest -v "$@" 2>&1
