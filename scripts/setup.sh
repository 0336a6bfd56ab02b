#!/usr/bin/env bash
# Installs what building and testing Tern needs on Debian 12 (idempotent; uses sudo when
# not root): a C toolchain, Dovecot for the test/demo IMAP server, OpenSSL, D-Bus and
# gnome-keyring for keyring tests, Chromium for rendering sanitized mail in a real browser,
# and a Rust toolchain (rustup) when cargo is missing.
set -euo pipefail

sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi

packages=(build-essential pkg-config ca-certificates curl openssl
          dovecot-imapd procps dbus dbus-x11 gnome-keyring libsecret-tools chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The system Dovecot service is not needed (tests start private instances); keep it off.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet dovecot 2>/dev/null; then
  $sudo_cmd systemctl disable --now dovecot >/dev/null 2>&1 || true
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust with rustup" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi
