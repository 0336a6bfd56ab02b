#!/usr/bin/env bash
# Sets everything up and runs every test: Rust unit and integration tests (against private
# Dovecot instances the tests start and stop themselves), the UI's unit tests (Vitest) and
# pages in headless Chromium (Playwright, stubbed IPC), and the end-to-end tests of the real
# app window (scripts/e2e.sh), and the .deb and .rpm as installed files (scripts/package-test.sh).
# Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup.sh"
source "$repo/scripts/env.sh"
cd "$repo"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed_suites=()
run() {
  local name=$1
  shift
  echo "== $name" >&2
  if ! "$@" 2>&1 | tee "$logs/$name.log"; then failed_suites+=("$name"); fi
}
set +e
set -o pipefail
run rust cargo test --workspace --locked
# The UI's TypeScript types are generated from the Rust DTOs by the test run above; the
# committed copies must match.
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 && ! git -C "$repo" diff --quiet -- ui/src/lib/ipc/bindings; then
  echo "ui/src/lib/ipc/bindings differ from the Rust DTOs: commit the regenerated files" >&2
  failed_suites+=("bindings")
fi
run ui-unit npm --prefix ui run --silent test
run ui-pages env CI=1 npm --prefix ui run --silent test:pages
run e2e bash scripts/e2e.sh
run packages bash scripts/package-test.sh
set -e
passed=0
failed=0
add() { passed=$((passed + ${1:-0})); failed=$((failed + ${2:-0})); }
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p+0, f+0 }' "$logs/rust.log")
add "$p" "$f"
read -r p f < <(sed 's/\x1b\[[0-9;]*m//g' "$logs/ui-unit.log" | awk '/^ *Tests / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p+0, f+0 }')
add "$p" "$f"
read -r p f < <(awk '/^ *[0-9]+ passed/ { p += $1 } /^ *[0-9]+ failed/ { f += $1 } END { print p+0, f+0 }' "$logs/ui-pages.log")
add "$p" "$f"
for suite in e2e packages; do
  read -r p f < <(awk '/ \.\.\. ok$/ { p++ } / \.\.\. (FAIL|ERROR)$/ { f++ } /^ERROR: setUpClass/ { f++ } END { print p+0, f+0 }' "$logs/$suite.log")
  add "$p" "$f"
done
echo "tests: $passed passed, $failed failed"
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]}" >&2
  exit 1
fi
