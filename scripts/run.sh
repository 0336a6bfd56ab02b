#!/usr/bin/env bash
# Sets everything up and runs Tern against a local demo mailbox: starts a private Dovecot
# (TLS, with sample mail), adds the demo account, syncs it, and prints the folders and the
# newest messages. Re-running it is safe; it only syncs the delta.
#
#   scripts/run.sh            demo data under ./.tern-demo
#   scripts/run.sh --stop     stop the demo server
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
demo=${TERN_DEMO_DIR:-$repo/.tern-demo}

if [ "${1:-}" = "--stop" ]; then
  bash "$repo/scripts/dovecot-stop.sh" "$demo/dovecot"
  exit 0
fi

bash "$repo/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$repo"
cargo build --quiet --release -p tern-cli -p tern-testkit
bin="${CARGO_TARGET_DIR:-$repo/target}/release"

if [ ! -f "$demo/dovecot/run/master.pid" ] || ! kill -0 "$(cat "$demo/dovecot/run/master.pid")" 2>/dev/null; then
  bash "$repo/scripts/dovecot-start.sh" "$demo/dovecot" 14143 14993 >/dev/null
fi
if [ ! -f "$demo/seeded" ]; then
  "$bin/tern-seed" --dir "$demo/dovecot" --count 500
  touch "$demo/seeded"
fi

export TERN_DEMO_PASSWORD=alice-pw
tern=("$bin/tern" --data-dir "$demo/data")
"${tern[@]}" account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port 14993 \
  --security tls --ca-file "$demo/dovecot/tls/ca.pem" --password-env TERN_DEMO_PASSWORD
"${tern[@]}" sync
echo
"${tern[@]}" folders
echo
"${tern[@]}" list --folder INBOX --limit 15
echo
echo "Demo server: imaps://127.0.0.1:14993 (alice / alice-pw). Try: ${tern[*]} list --folder INBOX --json"
echo "Read a message: TERN_DEMO_PASSWORD=alice-pw ${tern[*]} show --folder INBOX --uid 3; search the cache offline: ${tern[*]} search 'Köln'"
echo "Act on mail (queued when offline): TERN_DEMO_PASSWORD=alice-pw ${tern[*]} mark-read --folder INBOX --uid 2; ${tern[*]} pending"
echo "Watch it live (new mail, changes, connectivity; Ctrl-C stops): TERN_DEMO_PASSWORD=alice-pw ${tern[*]} watch"
echo "  and deliver mail meanwhile from another terminal: $bin/tern-seed --dir $demo/dovecot --first 1000 --count 3"
echo "Stop it with: scripts/run.sh --stop"
