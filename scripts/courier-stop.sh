#!/usr/bin/env bash
# Stop a Courier started by scripts/courier-start.sh DIR: SIGTERM to its process group
# (couriertcpd, authdaemond and every imapd), then wait (with a deadline) until it is gone.
set -euo pipefail
dir=${1:?usage: courier-stop.sh DIR}
pidfile="$dir/run.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
kill -TERM -- "-$pid" 2>/dev/null || true
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"; }
deadline=$((SECONDS + 10))
while alive "$pid" || pgrep -g "$pid" >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then kill -KILL -- "-$pid" 2>/dev/null || true; break; fi
  sleep 0.05
done
rm -f "$pidfile"
