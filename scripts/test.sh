#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests, and integration tests against
# private Dovecot instances that the tests start and stop themselves.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$repo"
cargo test --workspace --locked
