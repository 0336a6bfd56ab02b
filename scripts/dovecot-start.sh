#!/usr/bin/env bash
# Start a private Dovecot IMAP server on loopback for tests, benchmarks and the demo.
#
#   scripts/dovecot-start.sh DIR PORT [TLS_PORT]
#
# Everything (config, TLS certificate, users, mail, logs, pid file) lives under DIR.
# Users: alice/alice-pw, bob/bob-pw and carol/carol-pw. SPECIAL-USE folders Sent, Drafts, Trash,
# Archive and Junk are created for each. Prints "ready PORT TLS_PORT" when it accepts
# connections. Installs dovecot-imapd with apt when it is missing (needs root).
# Stop it with scripts/dovecot-stop.sh DIR.
#
# For an MTA in front (scripts/postfix-start.sh): TERN_DOVECOT_LMTP_PORT adds an LMTP
# listener (delivery into the users' INBOX) and TERN_DOVECOT_AUTH_PORT a SASL auth listener
# (SMTP AUTH checks the same passwords), both on 127.0.0.1.
#
# TERN_DOVECOT_OAUTH2_INTROSPECTION=URL also accepts OAuth2 bearer tokens (AUTHENTICATE
# XOAUTH2 and OAUTHBEARER, and SMTP AUTH through the SASL listener), each checked at login by
# RFC 7662 introspection at URL (a mock authorization server in tests); failures are not
# delayed, so tests of refused tokens stay fast.
#
# TERN_DOVECOT_VERY_DIRTY_SYNCS=no runs the Maildir with Dovecot's default
# (maildir_very_dirty_syncs = no) instead of yes (see below): for benchmarks that open many
# message files in many commands. With yes, Dovecot knows a seeded message's file only by
# the base name `doveadm index` wrote (without its ":2,flags"), so every command that opens
# message files rescans the whole cur/ directory (0.16 s a command at 100,000 messages).
set -euo pipefail

dir=${1:?usage: dovecot-start.sh DIR PORT [TLS_PORT]}
port=${2:?usage: dovecot-start.sh DIR PORT [TLS_PORT]}
tls_port=${3:-$((port + 1))}

if ! command -v dovecot >/dev/null 2>&1; then
  echo "dovecot-start: installing dovecot-imapd" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
mkdir -p "$dir/run" "$dir/state" "$dir/tls" "$dir/mail"

# A private CA (tls/ca.pem: what clients trust with --ca-file) and a server certificate
# for 127.0.0.1/localhost signed by it. With TERN_DOVECOT_SELF_SIGNED=1 instead: one
# self-signed certificate (as `openssl req -x509` makes them), which is also tls/ca.pem.
if [ ! -s "$dir/tls/cert.pem" ] && [ "${TERN_DOVECOT_SELF_SIGNED:-0}" = 1 ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
  cp "$dir/tls/cert.pem" "$dir/tls/ca.pem"
fi
if [ ! -s "$dir/tls/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Tern test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/tls/ca-key.pem" -out "$dir/tls/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/server.csr" >/dev/null 2>&1
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/tls/server.ext"
  openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca-key.pem" \
    -CAcreateserial -days 3650 -extfile "$dir/tls/server.ext" -out "$dir/tls/cert.pem" >/dev/null 2>&1
fi

cat > "$dir/users" <<USERS
alice:{PLAIN}alice-pw::::::
bob:{PLAIN}bob-pw::::::
carol:{PLAIN}carol-pw::::::
USERS

anvil=""
if [ "$(id -u)" = 0 ]; then
  mail_uid=8; mail_gid=8; login_user=dovenull; internal_user=dovecot; extra=""
  chown -R 8:8 "$dir/mail"
else
  mail_uid=$(id -u); mail_gid=$(id -g); login_user=$(id -un); internal_user=$(id -un)
  extra="default_internal_group = $(id -gn)
service imap-login {
  chroot =
}"
  anvil="chroot ="
fi

mechanisms="plain login"
oauth2=""
all_users=""
if [ -n "${TERN_DOVECOT_OAUTH2_INTROSPECTION:-}" ]; then
  mechanisms="plain login xoauth2 oauthbearer"
  # The static userdb asks the passdbs whether a user exists; the oauth2 one cannot say.
  all_users=" allow_all_users=yes"
  cat > "$dir/oauth2.conf.ext" <<OAUTH
introspection_url = $TERN_DOVECOT_OAUTH2_INTROSPECTION
introspection_mode = post
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 2000
OAUTH
  oauth2="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/oauth2.conf.ext
}
auth_failure_delay = 0"
  anvil="$anvil
  unix_listener anvil-auth-penalty {
    mode = 0
  }"
fi
extra="$extra
service anvil {
  $anvil
}"

# TERN_DOVECOT_CAPABILITY replaces the capabilities announced after login (tests of
# servers without IDLE, for example).
protocols="imap"
delivery=""
if [ -n "${TERN_DOVECOT_LMTP_PORT:-}" ]; then
  protocols="imap lmtp"
  delivery="postmaster_address = postmaster@tern.test
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $TERN_DOVECOT_LMTP_PORT
  }
}"
fi
if [ -n "${TERN_DOVECOT_AUTH_PORT:-}" ]; then
  delivery="$delivery
service auth {
  inet_listener sasl {
    address = 127.0.0.1
    port = $TERN_DOVECOT_AUTH_PORT
  }
}"
fi

capability=""
if [ -n "${TERN_DOVECOT_CAPABILITY:-}" ]; then
  capability="imap_capability = $TERN_DOVECOT_CAPABILITY"
fi

cat > "$dir/dovecot.conf" <<CONF
instance_name = tern-test-$port
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = $protocols
listen = 127.0.0.1
default_login_user = $login_user
default_internal_user = $internal_user
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = $mechanisms
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/users
}
$oauth2
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$dir/mail/%n$all_users
}
first_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_location = maildir:~/Maildir
mail_fsync = never
# Only Dovecot (and the seeding tool, which re-indexes) touches the Maildir: skip rescanning
# cur/ on every SELECT, which costs ~1 ms per 1,600 messages and would swamp delta timings.
maildir_very_dirty_syncs = ${TERN_DOVECOT_VERY_DIRTY_SYNCS:-yes}
# Cache what mail clients fetch for message lists, as a long-running server would have
# decided to; doveadm index (run by the seeding tool) fills it for seeded mail.
mail_always_cache_fields = flags date.received size.virtual imap.envelope hdr.References hdr.Content-Type
mailbox_list_index = yes
mail_max_userip_connections = 1000
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
protocol imap {
  mail_plugins = \$mail_plugins imap_zlib
  $capability
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
  service_count = 0
  process_min_avail = 1
}
$delivery
$extra
CONF

doveconf -c "$dir/dovecot.conf" -n >/dev/null
if ! dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot-stdout.log" 2>&1; then
  echo "dovecot-start: dovecot failed to start:" >&2
  cat "$dir/dovecot-stdout.log" >&2 || true
  tail -n 20 "$dir/dovecot.log" >&2 2>/dev/null || true
  # Exit 3 tells the test harness the port was taken between choosing and binding it.
  if grep -q "Address already in use" "$dir/dovecot-stdout.log" "$dir/dovecot.log" 2>/dev/null; then
    exit 3
  fi
  exit 1
fi

# Wait (with a deadline) until both listeners accept connections.
deadline=$((SECONDS + 15))
listening() {
  local each
  for each in "$port" "$tls_port" ${TERN_DOVECOT_LMTP_PORT:-} ${TERN_DOVECOT_AUTH_PORT:-}; do
    (exec 3<>"/dev/tcp/127.0.0.1/$each") 2>/dev/null || return 1
  done
}
until listening; do
  if [ $SECONDS -ge $deadline ]; then
    echo "dovecot-start: not listening on $port/$tls_port after 15 s; see $dir/dovecot.log" >&2
    tail -n 20 "$dir/dovecot.log" >&2 || true
    exit 1
  fi
  sleep 0.05
done
# The master writes its pid file on its own time: a stop right after a start must find it.
until [ -s "$dir/run/master.pid" ]; do
  if [ $SECONDS -ge $deadline ]; then
    echo "dovecot-start: no $dir/run/master.pid after 15 s" >&2
    exit 1
  fi
  sleep 0.05
done
echo "ready $port $tls_port"
