#!/usr/bin/env bash
# Start a private Postfix on loopback for tests, benchmarks and the demo: it accepts mail
# for the domain tern.test (users alice, bob and carol; anyone else is rejected at RCPT with 550)
# and delivers it over LMTP into a private Dovecot started with TERN_DOVECOT_LMTP_PORT and
# TERN_DOVECOT_AUTH_PORT (scripts/dovecot-start.sh), whose passwords SMTP AUTH checks.
#
#   scripts/postfix-start.sh DIR PORT SUBMISSION_PORT SMTPS_PORT LMTP_PORT AUTH_PORT TLS_DIR
#
# PORT: plain SMTP with AUTH (loopback only, like the test IMAP port); SUBMISSION_PORT:
# STARTTLS required before AUTH (587's role); SMTPS_PORT: implicit TLS (465's role).
# TLS_DIR holds cert.pem/key.pem (Dovecot's, signed by its tls/ca.pem). Everything else
# (config, queue, log) lives under DIR. Prints "ready PORT SUBMISSION_PORT SMTPS_PORT".
# Needs root (Postfix's master drops to the postfix user). Stop with scripts/postfix-stop.sh DIR.
set -euo pipefail
# Postfix's master runs as root (it drops to the postfix user itself): sudo when not root,
# without prompting (a password prompt would hang a test run).
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo -n"; fi
usage="usage: postfix-start.sh DIR PORT SUBMISSION_PORT SMTPS_PORT LMTP_PORT AUTH_PORT TLS_DIR"
dir=${1:?$usage}; port=${2:?$usage}; submission=${3:?$usage}; smtps=${4:?$usage}
lmtp=${5:?$usage}; auth=${6:?$usage}; tls=${7:?$usage}

if ! command -v postfix >/dev/null 2>&1; then
  echo "postfix-start: installing postfix" >&2
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
dir=$(cd "$dir" && pwd)
tls=$(cd "$tls" && pwd)
$sudo_cmd chown postfix "$dir/data"

printf 'alice@tern.test OK\nbob@tern.test OK\ncarol@tern.test OK\n' > "$dir/conf/vmailbox"

cat > "$dir/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/postfix.log
maillog_file_prefixes = $dir
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.tern.test
mydomain = tern.test
myorigin = tern.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
virtual_mailbox_domains = tern.test
virtual_mailbox_maps = texthash:$dir/conf/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$lmtp
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$auth
smtpd_sasl_auth_enable = yes
broken_sasl_auth_clients = no
# Mail for tern.test from anyone; elsewhere only for logged-in users (and nothing leaves
# this machine: no route out, see default_transport).
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
default_transport = error:this test MTA delivers only to tern.test
smtpd_tls_cert_file = $tls/cert.pem
smtpd_tls_key_file = $tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
message_size_limit = 52428800
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
in_flow_delay = 0
CONF

cat > "$dir/conf/master.cf" <<CONF
127.0.0.1:$port inet n - n - - smtpd
127.0.0.1:$submission inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
127.0.0.1:$smtps inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF

$sudo_cmd postfix -c "$dir/conf" check >>"$dir/postfix-start.log" 2>&1 || true
if ! $sudo_cmd postfix -c "$dir/conf" start >>"$dir/postfix-start.log" 2>&1; then
  echo "postfix-start: postfix failed to start:" >&2
  cat "$dir/postfix-start.log" >&2
  if grep -q "Address already in use" "$dir/postfix-start.log" "$dir/postfix.log" 2>/dev/null; then exit 3; fi
  exit 1
fi

listening() {
  local each
  for each in "$port" "$submission" "$smtps"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$each") 2>/dev/null || return 1
  done
}
deadline=$((SECONDS + 15))
until listening; do
  if [ $SECONDS -ge $deadline ]; then
    echo "postfix-start: not listening on $port/$submission/$smtps after 15 s; see $dir/postfix.log" >&2
    tail -n 20 "$dir/postfix.log" "$dir/postfix-start.log" >&2 2>/dev/null || true
    if grep -q "Address already in use" "$dir/postfix.log" 2>/dev/null; then exit 3; fi
    exit 1
  fi
  sleep 0.05
done
echo "ready $port $submission $smtps"
