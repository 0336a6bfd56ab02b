#!/usr/bin/env bash
# Sets everything up and runs Tern on a local demo mailbox: builds the desktop app (release),
# starts a private Dovecot with 500 sample messages (TLS on 127.0.0.1:14993) and a private
# Postfix in front of it (SMTP with TLS on 127.0.0.1:14465; mail to alice, bob or
# carol@tern.test is delivered), and opens the app, which offers "Use the demo mailbox" on
# first run. While the app runs, a new message
# arrives in the demo INBOX every 45 seconds, so live push and notifications show.
# Without a display (no X11/Wayland session) it runs the command-line demo instead.
#
#   scripts/run.sh            demo data under ./.tern-demo
#   scripts/run.sh --cli      the command-line demo even with a display
#   scripts/run.sh --stop     stop the demo servers
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
demo=${TERN_DEMO_DIR:-$repo/.tern-demo}

if [ "${1:-}" = "--stop" ]; then
  bash "$repo/scripts/postfix-stop.sh" "$demo/postfix"
  bash "$repo/scripts/dovecot-stop.sh" "$demo/dovecot"
  exit 0
fi

bash "$repo/scripts/setup.sh"
source "$repo/scripts/env.sh"
cd "$repo"
bin="${CARGO_TARGET_DIR:-$repo/target}/release"
gui=1
if [ "${1:-}" = "--cli" ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; }; then gui=0; fi

if [ $gui = 1 ]; then
  npm --prefix ui run --silent build >/dev/null
  cargo build --quiet --release --locked -p tern-app --features tern-app/custom-protocol -p tern-cli -p tern-testkit
else
  cargo build --quiet --release --locked -p tern-cli -p tern-testkit
fi

# Delivery (LMTP) and SMTP AUTH (SASL) listeners for the demo's Postfix.
export TERN_DOVECOT_LMTP_PORT=14024 TERN_DOVECOT_AUTH_PORT=14025
if [ -f "$demo/dovecot/run/master.pid" ] && kill -0 "$(cat "$demo/dovecot/run/master.pid")" 2>/dev/null \
   && ! (exec 3<>/dev/tcp/127.0.0.1/14024) 2>/dev/null; then
  bash "$repo/scripts/dovecot-stop.sh" "$demo/dovecot"  # an older demo without delivery
fi
if [ ! -f "$demo/dovecot/run/master.pid" ] || ! kill -0 "$(cat "$demo/dovecot/run/master.pid")" 2>/dev/null; then
  bash "$repo/scripts/dovecot-start.sh" "$demo/dovecot" 14143 14993 >/dev/null
fi
# The demo's MTA (Postfix needs root, or sudo without a password): without it the demo
# reads mail but cannot send.
smtp=1
if ! (exec 3<>/dev/tcp/127.0.0.1/14465) 2>/dev/null; then
  if ! bash "$repo/scripts/postfix-start.sh" "$demo/postfix" 14026 14587 14465 14024 14025 "$demo/dovecot/tls" >/dev/null; then
    echo "run: no demo SMTP server (Postfix did not start; see above): the demo can read but not send mail" >&2
    smtp=0
  fi
fi
smtp_json=""
smtp_args=()
if [ $smtp = 1 ]; then
  smtp_json=', "smtp_host": "127.0.0.1", "smtp_port": 14465, "smtp_security": "tls"'
  smtp_args=(--smtp-host 127.0.0.1 --smtp-port 14465 --smtp-security tls)
fi
if [ ! -f "$demo/seeded" ]; then
  "$bin/tern-seed" --dir "$demo/dovecot" --count 500
  echo 500 > "$demo/seeded"
fi

export TERN_DEMO_PASSWORD=alice-pw
export TERN_DATA_DIR="$demo/data"
tern=("$bin/tern" --data-dir "$demo/data")

if [ $gui = 1 ]; then
  cat > "$demo/demo-account.json" <<JSON
{"email": "alice@tern.test", "imap_host": "127.0.0.1", "imap_port": 14993, "security": "tls",
 "username": "alice", "ca_file": "$demo/dovecot/tls/ca.pem"$smtp_json}
JSON
  export TERN_DEMO_ACCOUNT="$demo/demo-account.json"
  # New demo mail every 45 s while the app runs.
  (
    next=$(( $(cat "$demo/seeded" 2>/dev/null || echo 500) ))
    while sleep 45; do
      "$bin/tern-seed" --dir "$demo/dovecot" --first "$next" --count 1 >/dev/null 2>&1 || true
      next=$((next + 1))
      echo "$next" > "$demo/seeded"
    done
  ) &
  feeder=$!
  trap 'kill $feeder 2>/dev/null || true' EXIT
  echo "Tern is starting (data: $demo/data). The demo server is imaps://127.0.0.1:14993 (alice / alice-pw)."
  echo "Command line on the same data: ${tern[*]} folders; stop the demo server with: scripts/run.sh --stop"
  "$bin/tern-app"
  exit 0
fi

"${tern[@]}" account add --email alice@tern.test --user alice --imap-host 127.0.0.1 --imap-port 14993 \
  --security tls --ca-file "$demo/dovecot/tls/ca.pem" --password-env TERN_DEMO_PASSWORD "${smtp_args[@]}"
"${tern[@]}" sync
echo
"${tern[@]}" folders
echo
"${tern[@]}" list --folder INBOX --limit 15
echo
echo "No display found, so this is the command-line demo (the desktop app needs an X11 or Wayland session)."
echo "Demo server: imaps://127.0.0.1:14993 (alice / alice-pw). Try: ${tern[*]} list --folder INBOX --json"
echo "Read a message: TERN_DEMO_PASSWORD=alice-pw ${tern[*]} show --folder INBOX --uid 3; search the cache offline: ${tern[*]} search 'Köln'"
echo "Act on mail (queued when offline): TERN_DEMO_PASSWORD=alice-pw ${tern[*]} mark-read --folder INBOX --uid 2; ${tern[*]} pending"
echo "Watch it live (new mail, changes, connectivity; Ctrl-C stops): TERN_DEMO_PASSWORD=alice-pw ${tern[*]} watch"
echo "  and deliver mail meanwhile from another terminal: $bin/tern-seed --dir $demo/dovecot --first 1000 --count 3"
echo "Send mail (through the demo's Postfix, to bob): echo 'Hello Bob' | TERN_DEMO_PASSWORD=alice-pw ${tern[*]} send --to bob@tern.test --subject Hi --body-file -; ${tern[*]} outbox"
echo "Stop it with: scripts/run.sh --stop"
