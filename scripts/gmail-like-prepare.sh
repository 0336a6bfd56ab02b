#!/usr/bin/env bash
# Installs (once) the scriptable IMAP server hoodiecrow-imap 2.1.0 that
# scripts/gmail-like-server.js builds a Gmail-like server on, into TERN_SERVERS_CACHE
# (default /var/cache/tern-servers), and prints the module's directory.
set -euo pipefail
cache=${TERN_SERVERS_CACHE:-/var/cache/tern-servers}
prefix="$cache/hoodiecrow"
mkdir -p "$prefix"
exec 9>"$cache/.prepare.lock"
flock 9
if [ ! -f "$prefix/node_modules/hoodiecrow-imap/lib/server.js" ]; then
  echo "gmail-like: installing hoodiecrow-imap into $prefix" >&2
  npm install --prefix "$prefix" --no-audit --no-fund --omit=optional --silent hoodiecrow-imap@2.1.0 >&2
fi
echo "$prefix/node_modules/hoodiecrow-imap"
