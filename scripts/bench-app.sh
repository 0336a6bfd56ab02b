#!/usr/bin/env bash
# Benchmarks of the desktop app (release build) under Xvfb and a private D-Bus session:
# cold start with a 100k-message cache, new mail -> row painted, memory. Prints numbers
# with same-run baselines (see src-tauri/tests/e2e/bench_app.py). Arguments are passed on:
#   scripts/bench-app.sh [--messages 100000] [--starts 5] [--arrivals 50]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source "$repo/scripts/env.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
if [ "${TERN_BENCH_INSIDE:-}" != 1 ]; then
  npm --prefix ui run --silent build >/dev/null
  cargo build --quiet --release --locked -p tern-app --features tern-app/custom-protocol -p tern-cli -p tern-testkit
  displayfile=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$displayfile" >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb 2>/dev/null || true; rm -f "$displayfile"' EXIT
  for _ in $(seq 100); do [ -s "$displayfile" ] && break; sleep 0.1; done
  export DISPLAY=:$(head -n1 "$displayfile")
  home=$(mktemp -d)
  env HOME="$home" TERN_BENCH_INSIDE=1 TERN_RELEASE_DIR="$CARGO_TARGET_DIR/release" \
    dbus-run-session --config-file="$repo/src-tauri/tests/e2e/session.conf" -- bash "$0" "$@"
  rm -rf "$home"
  exit 0
fi
cd "$repo/src-tauri/tests/e2e"
"$TERN_E2E_VENV/bin/python" bench_app.py "$@"
