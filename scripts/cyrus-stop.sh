#!/usr/bin/env bash
# Stop a Cyrus started by scripts/cyrus-start.sh DIR: SIGTERM to its master and its
# children, then wait (with a deadline) until it is gone.
set -euo pipefail
dir=${1:?usage: cyrus-stop.sh DIR}
pidfile="$dir/run/master.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
pkill -TERM -P "$pid" 2>/dev/null || true
kill -TERM "$pid" 2>/dev/null || exit 0
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"; }
deadline=$((SECONDS + 10))
while alive "$pid"; do
  if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; pkill -KILL -P "$pid" 2>/dev/null || true; break; fi
  sleep 0.05
done
rm -f "$pidfile"
