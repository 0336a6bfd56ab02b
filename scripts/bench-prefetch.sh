#!/usr/bin/env bash
# Times `tern sync --prefetch-days 36500` (every INBOX body kept offline; the headers synced
# first, untimed) with two tern binaries — a baseline and a candidate — on the same freshly
# seeded private Dovecot, for each folder size given (issue 17).
#
#   scripts/bench-prefetch.sh BEFORE_TERN AFTER_TERN COUNT...
#
# Build the two binaries from the commits to compare (cargo build --release -p tern-cli),
# and tern-seed (cargo build --release -p tern-testkit --bin tern-seed) into
# ${CARGO_TARGET_DIR:-target}/release.
set -euo pipefail
before=$1; after=$2; shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
seed=${CARGO_TARGET_DIR:-$repo/target}/release/tern-seed
echo "| messages | before (s) | after (s) | ratio |"
echo "| --- | --- | --- | --- |"
for count in "$@"; do
  dir=$(mktemp -d /tmp/tern-prefetch-XXXX); chmod 755 "$dir"
  port=$((20000 + RANDOM % 20000))
  bash $repo/scripts/dovecot-start.sh "$dir/dovecot" $port $((port+1)) >/dev/null
  for attempt in 1 2 3 4 5; do "$seed" --dir "$dir/dovecot" --count "$count" >/dev/null 2>&1 && break; sleep 1; done
  declare -A took
  for which in before after; do
    bin=${!which}
    data="$dir/data-$which"
    TERN_PW=alice-pw "$bin" --data-dir "$data" account add --email alice@tern.test --user alice \
      --imap-host 127.0.0.1 --imap-port $port --security plain --password-env TERN_PW >/dev/null 2>&1
    TERN_PW=alice-pw "$bin" --data-dir "$data" sync --folder INBOX --prefetch-days 0 >/dev/null 2>&1
    start=$(date +%s.%N)
    TERN_PW=alice-pw "$bin" --data-dir "$data" sync --folder INBOX --prefetch-days 36500 >/dev/null 2>&1
    end=$(date +%s.%N)
    took[$which]=$(echo "$end - $start" | bc)
  done
  echo "| $count | ${took[before]} | ${took[after]} | $(echo "scale=2; ${took[before]} / ${took[after]}" | bc) |"
  bash $repo/scripts/dovecot-stop.sh "$dir/dovecot"
  rm -rf "$dir"
done
