#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests, and integration tests against
# private Dovecot instances that the tests start and stop themselves. Ends with one
# summary line: "tests: N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$repo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
