#!/usr/bin/env bash
# Stop a Postfix started by scripts/postfix-start.sh DIR and wait (with a deadline) until
# its master is gone. Mail still queued stays in DIR/queue for the next start.
set -euo pipefail
# Postfix's master runs as root (it drops to the postfix user itself): sudo when not root,
# without prompting (a password prompt would hang a test run).
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo -n"; fi
dir=${1:?usage: postfix-stop.sh DIR}
[ -f "$dir/conf/main.cf" ] || exit 0
pidfile="$dir/queue/pid/master.pid"
pid=""
[ -f "$pidfile" ] && pid=$(tr -d ' ' < "$pidfile")
$sudo_cmd postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
[ -n "$pid" ] || exit 0
deadline=$((SECONDS + 10))
while kill -0 "$pid" 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then $sudo_cmd kill -KILL "$pid" 2>/dev/null || true; break; fi
  sleep 0.05
done
