#!/usr/bin/env bash
# Stop a Dovecot started by scripts/dovecot-start.sh DIR: SIGTERM to its master and its
# processes, then wait (with a deadline) until it is gone or a zombie.
set -euo pipefail
dir=${1:?usage: dovecot-stop.sh DIR}
pidfile="$dir/run/master.pid"
if [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
else
  # No pid file (yet): a master started for this directory is found by its command line.
  pid=$(pgrep -o -f "dovecot -c $dir/dovecot.conf" || true)
  [ -n "$pid" ] || exit 0
fi
# The master alone waits for busy clients (an IDLE connection kept it up 10 s); ending its
# children too is what a server restart looks like to a client: BYE, then a closed socket.
pkill -TERM -P "$pid" 2>/dev/null || true
kill -TERM "$pid" 2>/dev/null || exit 0
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"; }
# Beyond 10 s (a loaded machine), SIGKILL; then wait for that too (up to 10 s more): a
# start in the same directory right after must not find the old master still running.
deadline=$((SECONDS + 10)); killed=no
while alive "$pid"; do
  if [ $SECONDS -ge $deadline ]; then
    [ $killed = yes ] && { echo "dovecot-stop: $pid outlived SIGKILL" >&2; exit 1; }
    kill -KILL "$pid" 2>/dev/null || true; killed=yes; deadline=$((SECONDS + 10))
  fi
  sleep 0.05
done
rm -f "$pidfile"
