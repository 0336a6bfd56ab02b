#!/usr/bin/env bash
# Start a private Courier-IMAP 5 server (almost no extensions: no CONDSTORE, QRESYNC, MOVE,
# SPECIAL-USE or LIST-STATUS; namespace "INBOX." with separator ".") on loopback for tests.
#
#   scripts/courier-start.sh DIR PORT
#
# Debian's courier-imap conflicts with dovecot-imapd (both provide imap-server), so it is not
# installed: its packages are downloaded once (apt-get download) into TERN_SERVERS_CACHE
# (default /var/cache/tern-servers) and unpacked there (dpkg -x); only the libraries they
# need that conflict with nothing are apt-installed. Courier reads /etc/courier,
# /run/courier, /usr/lib/courier and /usr/lib/courier-authlib by fixed paths, so it runs in
# a mount namespace of its own (unshare -m) where those are DIR's and the unpacked ones; on
# the host they are only empty mount points. Needs root.
#
# Users alice/alice-pw and bob/bob-pw (authdaemond with a userdb file, no PAM), each with a
# Maildir holding INBOX.Archive, INBOX.Trash, INBOX.Sent, INBOX.Drafts and INBOX.Junk.
# Prints "ready PORT" when it accepts connections. Stop it with scripts/courier-stop.sh DIR.
set -euo pipefail

dir=${1:?usage: courier-start.sh DIR PORT}
port=${2:?usage: courier-start.sh DIR PORT}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/unpacked-server.sh
source "$here/unpacked-server.sh"
prepare_unpacked courier usr/bin/imapd usr/lib "libcourier-unicode4 libgamin0 gamin" \
  courier-imap courier-base courier-authlib courier-authlib-userdb courier-authdaemon

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
rm -rf "$dir/etc" "$dir/run"
mkdir -p "$dir/etc" "$dir/run/authdaemon" "$dir/home"
cp -a "$root/etc/courier/." "$dir/etc/"

cat > "$dir/etc/authdaemonrc" <<CONF
authmodulelist="authuserdb"
daemons=2
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=""
LOGGEROPTS=""
CONF
cat > "$dir/etc/imapd" <<CONF
ADDRESS=127.0.0.1
PORT=$port
MAXDAEMONS=40
MAXPERIP=100
TCPDOPTS="-nodnslookup -noidentlookup"
IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
IMAP_KEYWORDS=1
IMAP_ACL=1
IMAP_PROXY=0
IMAP_IDLE_TIMEOUT=5
IMAP_MAILBOX_SANITY_CHECK=1
IMAP_DISABLETHREADSORT=0
IMAP_CHECK_ALL_FOLDERS=0
IMAP_OBSOLETE_CLIENT=0
IMAP_UMASK=022
IMAP_USELOCKS=1
IMAP_SHAREDINDEXFILE=/etc/courier/shared/index
IMAP_ENHANCEDIDLE=1
IMAP_TRASHFOLDERNAME=Trash
IMAP_EMPTYTRASH=
IMAP_MOVE_EXPUNGE_TO_TRASH=0
HEADERFROM=X-IMAP-Sender
MAILDIRPATH=Maildir
CONF

: > "$dir/etc/userdb"
for user in alice bob; do
  home="$dir/home/$user"
  rm -rf "$home" && mkdir -p "$home"
  "$root/usr/bin/maildirmake.courier" "$home/Maildir"
  for folder in Archive Trash Sent Drafts Junk; do
    "$root/usr/bin/maildirmake.courier" -f "$folder" "$home/Maildir"
  done
  printf 'INBOX.Archive\nINBOX.Trash\nINBOX.Sent\nINBOX.Drafts\nINBOX.Junk\n' > "$home/Maildir/courierimapsubscribed"
  chown -R 8:8 "$home"
  hash=$(openssl passwd -1 "$user-pw")
  printf '%s\tuid=8|gid=8|home=%s|shell=/bin/false|mail=%s/Maildir|systempw=%s\n' \
    "$user" "$home" "$home" "$hash" >> "$dir/etc/userdb"
done
chmod 600 "$dir/etc/userdb"
touch "$dir/syslog" && chmod 666 "$dir/syslog"

# Inside the namespace: the fixed paths become DIR's and the unpacked tree's, the userdb is
# compiled, authdaemond starts, and couriertcpd serves imaplogin -> imapd in the foreground.
for mountpoint in /etc/courier /run/courier /usr/lib/courier /usr/lib/courier-authlib; do
  mkdir -p "$mountpoint"
done
cat > "$dir/inside.sh" <<INSIDE
set -eu
mount --bind "$dir/etc" /etc/courier
mount --bind "$dir/run" /run/courier
mount --bind "$root/usr/lib/courier" /usr/lib/courier
mount --bind "$root/usr/lib/courier-authlib" /usr/lib/courier-authlib
export LD_LIBRARY_PATH="$root/usr/lib" LD_PRELOAD="$shim" TERN_SYSLOG_FILE="$dir/syslog"
PATH="$root/usr/sbin:$root/usr/bin:\$PATH" "$root/usr/sbin/makeuserdb"
/usr/lib/courier/courier-authlib/authdaemond &
set -a
. /etc/courier/imapd
set +a
exec "$root/usr/sbin/couriertcpd" -address=127.0.0.1 -maxprocs=40 -maxperip=100 \
  -nodnslookup -noidentlookup $port \
  /usr/lib/courier/courier/imaplogin "$root/usr/bin/imapd" Maildir
INSIDE
setsid unshare -m --propagation private bash "$dir/inside.sh" >>"$dir/courier.log" 2>&1 < /dev/null &
echo $! > "$dir/run.pid"

deadline=$((SECONDS + 15))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [ -S "$dir/run/authdaemon/socket" ]; do
  if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$dir/run.pid")" 2>/dev/null; then
    echo "courier-start: not listening on $port" >&2
    tail -n 20 "$dir/courier.log" "$dir/syslog" >&2 || true
    if grep -q "Address already in use" "$dir/courier.log" "$dir/syslog" 2>/dev/null; then exit 3; fi
    exit 1
  fi
  sleep 0.05
done
echo "ready $port"
