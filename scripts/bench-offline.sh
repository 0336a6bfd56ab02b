#!/usr/bin/env bash
# Whole mailboxes offline, side by side in one run (issue 17): for each INBOX size, on one
# freshly seeded private Dovecot (loopback, plaintext), whole processes each:
#   - the wire floor: `UID FETCH 1:*` of Tern's list headers, of every whole message, and of
#     both in one pass (`wire-floor`: the same IMAP parser, nothing kept);
#   - `tern sync --folder INBOX --bodies none` into a fresh cache (headers only), until it
#     returns; and the same with a baseline tern (BASELINE=path, optional);
#   - `tern sync --folder INBOX --bodies all` into a fresh cache (headers and every body);
#   - mbsync 1.4's full initial sync of INBOX into a fresh Maildir, its fastest way
#     (`Sync PullNew`, `FSync no`: every message is new, flags come with it), timed on its
#     second run (the first, into a throwaway Maildir, has Dovecot cache the fields mbsync
#     asks for; up to MBSYNC_MAX messages, default 100,000);
#   - with RTT_MS (default 50) of round trip added by `delay-proxy`: the wire floor for every
#     body and for headers and bodies in one pass, and tern's full sync, through the same
#     proxy (counts up to PROXY_MAX, 100,000);
#   - `tern search --wait` right after the full sync: the whole index built (messages with
#     bodies per second).
# Seconds are wall time; RSS is the peak resident set of the process (GNU time).
#
#   scripts/bench-offline.sh COUNT...        e.g. scripts/bench-offline.sh 10000 50000 100000
#
# Needs release builds in ${CARGO_TARGET_DIR:-target}/release:
#   cargo build --release -p tern-cli -p tern-testkit --bin tern --bin tern-seed
#   cargo build --release -p tern-bench --bin wire-floor --bin delay-proxy
# and mbsync (apt-get install isync).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$repo/target}/release
rtt=${RTT_MS:-50}
proxy_max=${PROXY_MAX:-100000}
mbsync_max=${MBSYNC_MAX:-100000}
command -v mbsync >/dev/null || { echo "mbsync is missing: apt-get install isync" >&2; exit 1; }

# Runs a command, prints "seconds peak-RSS-MiB".
timed() {
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; cat "$out" >&2; }
  awk '{ printf "%.2f %.0f", $1, $2 / 1024 }' "$out"
  rm -f "$out"
}

add_account() { # DATA PORT [TERN]
  TERN_PW=alice-pw "${3:-$bin/tern}" --data-dir "$1" account add --email alice@tern.test --user alice \
    --imap-host 127.0.0.1 --imap-port "$2" --security plain --password-env TERN_PW >/dev/null 2>&1
}

mbsync_conf() { # DIR PORT
  mkdir -p "$1/maildir"
  cat > "$1/mbsyncrc" <<EOF
FSync no

IMAPAccount bench
Host 127.0.0.1
Port $2
User alice
Pass alice-pw
SSLType None
AuthMechs LOGIN


IMAPStore far
Account bench

MaildirStore near
Path $1/maildir/
Inbox $1/maildir/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync PullNew
SyncState *
EOF
}

printf '| messages | wire headers | tern headers (RSS) | baseline headers | ratio | wire bodies | wire both | tern everything (RSS) | mbsync (RSS) | tern / mbsync | wire bodies @%s ms | wire both @%s ms | tern @%s ms | / bodies | / both | index msgs/s |\n' "$rtt" "$rtt" "$rtt"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for count in "$@"; do
  dir=$(mktemp -d /var/tmp/tern-offline-XXXX); chmod 755 "$dir"
  port=$((20000 + RANDOM % 20000))
  # Dovecot's default Maildir syncing: with the tests' `maildir_very_dirty_syncs = yes`, every
  # command that opens message files of the seeded folder rescans its directory (a body
  # download in batches, or mbsync's first run at ~60 messages a second, would measure that).
  TERN_DOVECOT_VERY_DIRTY_SYNCS=no bash "$repo/scripts/dovecot-start.sh" "$dir/dovecot" $port $((port+1)) >/dev/null
  for attempt in 1 2 3 4 5; do "$bin/tern-seed" --dir "$dir/dovecot" --count "$count" >/dev/null 2>&1 && break; sleep 1; done
  # Warm the server's caches for the header fields (every run after sees the same server).
  "$bin/wire-floor" --port $port headers >/dev/null

  wire_h=$("$bin/wire-floor" --port $port headers | cut -d' ' -f1)
  add_account "$dir/h" $port
  read -r tern_h tern_h_rss <<<"$(timed env TERN_PW=alice-pw "$bin/tern" --data-dir "$dir/h" sync --folder INBOX --bodies none)"
  base_h=-
  if [ -n "${BASELINE:-}" ]; then
    add_account "$dir/b" $port "$BASELINE"
    read -r base_h _ <<<"$(timed env TERN_PW=alice-pw "$BASELINE" --data-dir "$dir/b" sync --folder INBOX --prefetch-days 0)"
  fi

  wire_b=$("$bin/wire-floor" --port $port bodies | cut -d' ' -f1)
  wire_e=$("$bin/wire-floor" --port $port everything | cut -d' ' -f1)
  add_account "$dir/a" $port
  read -r tern_a tern_a_rss <<<"$(timed env TERN_PW=alice-pw "$bin/tern" --data-dir "$dir/a" sync --folder INBOX --bodies all)"
  kept=$(TERN_PW=alice-pw "$bin/tern" --data-dir "$dir/a" folders --json | python3 -c 'import json,sys; print(sum(f["total"] for f in json.load(sys.stdin) if f["name"]=="INBOX"))')
  started=$(date +%s.%N)
  "$bin/tern" --data-dir "$dir/a" search --wait "zzzz" >/dev/null 2>&1
  index_s=$(echo "$(date +%s.%N) - $started" | bc)

  # A first run into a throwaway Maildir (Dovecot caches what mbsync asks for), then the
  # timed one; only up to MBSYNC_MAX messages.
  mb=-; mb_rss=-; got=-; ratio_m=-
  if [ "$count" -le "$mbsync_max" ]; then
    mbsync_conf "$dir/w" $port
    timed mbsync -c "$dir/w/mbsyncrc" -a >/dev/null
    rm -rf "$dir/w"
    mbsync_conf "$dir/m" $port
    read -r mb mb_rss <<<"$(timed mbsync -c "$dir/m/mbsyncrc" -a)"
    got=$(ls "$dir/m/maildir/INBOX/cur" "$dir/m/maildir/INBOX/new" 2>/dev/null | grep -c , || true)
  fi

  slow_wire=-; slow_both=-; slow_tern=-; slow_ratio=-; slow_ratio_e=-
  if [ "$count" -le "$proxy_max" ]; then
    coproc PROXY { "$bin/delay-proxy" --to $port --rtt-ms "$rtt"; }
    read -r proxy_port <&"${PROXY[0]}"
    slow_wire=$("$bin/wire-floor" --port "$proxy_port" bodies | cut -d' ' -f1)
    slow_both=$("$bin/wire-floor" --port "$proxy_port" everything | cut -d' ' -f1)
    add_account "$dir/s" "$proxy_port"
    read -r slow_tern _ <<<"$(timed env TERN_PW=alice-pw "$bin/tern" --data-dir "$dir/s" sync --folder INBOX --bodies all)"
    slow_ratio=$(echo "scale=2; $slow_tern / $slow_wire" | bc)
    slow_ratio_e=$(echo "scale=2; $slow_tern / $slow_both" | bc)
    exec {PROXY[1]}>&-
    wait "$PROXY_PID" 2>/dev/null || true
  fi

  ratio_h=$(echo "scale=2; $tern_h / $wire_h" | bc)
  [ "$mb" = - ] || ratio_m=$(echo "scale=2; $tern_a / $mb" | bc)
  rate=$(echo "scale=0; $kept / $index_s" | bc)
  echo "| $count | $wire_h | $tern_h ($tern_h_rss MiB) | $base_h | ${ratio_h}x | $wire_b | $wire_e | $tern_a ($tern_a_rss MiB) | $mb ($mb_rss MiB, $got files) | ${ratio_m}x | $slow_wire | $slow_both | $slow_tern | ${slow_ratio}x | ${slow_ratio_e}x | $rate |"
  bash "$repo/scripts/dovecot-stop.sh" "$dir/dovecot" >/dev/null 2>&1 || true
  rm -rf "$dir"
done
