#!/usr/bin/env bash
# Coverage-guided fuzzing of message parsing + HTML sanitizing (cargo fuzz, libFuzzer) for
# SECONDS seconds (default 60), seeded with the test corpus. Needs the nightly toolchain
# (cargo fuzz builds with sanitizer flags); installs cargo-fuzz when missing. A crash
# leaves its input under fuzz/artifacts/ and fails the script.
set -euo pipefail
seconds=${1:-60}
repo=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >/dev/null
fi
cd "$repo/fuzz"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$repo"/crates/mail-message/tests/corpus/*.eml "$corpus"/
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-/var/tmp/tern-fuzz-target}
# -O: release without debug assertions, as the app and the tests build dependencies:
# mail-parser 0.11 has a debug_assert! that damaged multipart trips, which Tern contains with
# catch_unwind — but libFuzzer's panic hook aborts on any panic, caught or not.
cargo +nightly fuzz run -O parse_sanitize "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=1000000 2>&1 | tail -n 5
