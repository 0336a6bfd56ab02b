#!/usr/bin/env bash
# Start a private Cyrus IMAP 3.6 server (what Fastmail runs) on loopback for tests.
#
#   scripts/cyrus-start.sh DIR PORT
#
# Debian's cyrus-imapd conflicts with dovecot-imapd (both provide imap-server), so it is not
# installed: its packages are downloaded once (apt-get download) into TERN_SERVERS_CACHE
# (default /var/cache/tern-servers), unpacked there (dpkg -x) and run from that prefix; only
# the libraries they need that conflict with nothing are apt-installed. Needs root (the
# master drops to a `cyrus` system user, created when missing).
#
# Everything else (config, SASL users, mail spool, pid file, syslog) lives under DIR. Users:
# alice/alice-pw and bob/bob-pw; folders INBOX, Archive, Trash, Sent, Drafts, Junk (with
# SPECIAL-USE) are made at a user's first login, separator "/". Prints "ready PORT" when it
# accepts connections. Stop it with scripts/cyrus-stop.sh DIR.
set -euo pipefail

dir=${1:?usage: cyrus-start.sh DIR PORT}
port=${2:?usage: cyrus-start.sh DIR PORT}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/unpacked-server.sh
source "$here/unpacked-server.sh"
prepare_unpacked cyrus usr/lib/cyrus/bin/imapd usr/lib/x86_64-linux-gnu \
  "libxapian30 libpcre3 libical3 libsasl2-modules libsasl2-modules-db" \
  cyrus-imapd cyrus-common sasl2-bin
libs="$root/usr/lib/x86_64-linux-gnu"
id cyrus >/dev/null 2>&1 || useradd --system --gid mail --home-dir /nonexistent --shell /usr/sbin/nologin cyrus

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
mkdir -p "$dir/lib" "$dir/spool" "$dir/run"
for sub in db socket proc log msg user quota sieve ptclient sync; do mkdir -p "$dir/lib/$sub"; done

folders="Archive | Trash | Sent | Drafts | Junk"
cat > "$dir/imapd.conf" <<CONF
configdirectory: $dir/lib
partition-default: $dir/spool
servername: tern.test
admins: cyrus
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $dir/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
unixhierarchysep: yes
altnamespace: yes
autocreate_quota: 0
autocreate_inbox_folders: $folders
autocreate_subscribe_folders: $folders
xlist-archive: Archive
xlist-trash: Trash
xlist-sent: Sent
xlist-drafts: Drafts
xlist-junk: Junk
specialusealways: yes
idlesocket: $dir/lib/socket/idle
notifysocket: $dir/lib/socket/notify
lmtpsocket: $dir/lib/socket/lmtp
syslog_prefix: tern-cyrus
CONF

bin="$root/usr/lib/cyrus/bin"
cat > "$dir/cyrus.conf" <<CONF
START {
  recover cmd="$bin/ctl_cyrusdb -C $dir/imapd.conf -r"
}
SERVICES {
  imap cmd="$bin/imapd -C $dir/imapd.conf" listen="127.0.0.1:$port" prefork=1
}
EVENTS {
}
DAEMON {
  idled cmd="$bin/idled -C $dir/imapd.conf"
}
CONF

rm -f "$dir/sasldb2"
for user in alice bob; do
  echo "$user-pw" | LD_LIBRARY_PATH="$libs" "$root/usr/sbin/saslpasswd2" -f "$dir/sasldb2" -u tern.test -c -p "$user"
done
chown -R cyrus:mail "$dir/lib" "$dir/spool" "$dir/run" "$dir/sasldb2"
chmod 640 "$dir/sasldb2"

export LD_LIBRARY_PATH="$libs"
# syslog() goes to DIR/syslog (Cyrus finds no /dev/log here).
export TERN_SYSLOG_FILE="$dir/syslog" LD_PRELOAD="$shim"
touch "$dir/syslog" && chmod 666 "$dir/syslog"
if ! "$bin/master" -C "$dir/imapd.conf" -M "$dir/cyrus.conf" -p "$dir/run/master.pid" -d; then
  echo "cyrus-start: the master did not start" >&2
  tail -n 20 "$dir/syslog" >&2 || true
  exit 1
fi
deadline=$((SECONDS + 15))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    echo "cyrus-start: not listening on $port after 15 s" >&2
    tail -n 20 "$dir/syslog" >&2 || true
    if grep -q "Address already in use" "$dir/syslog" 2>/dev/null; then exit 3; fi
    exit 1
  fi
  sleep 0.05
done
echo "ready $port"
