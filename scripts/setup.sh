#!/usr/bin/env bash
# Installs what building and testing Tern needs on Debian 12 (idempotent; uses sudo when
# not root): a C toolchain, Dovecot for the test/demo IMAP server (with LMTP) and Postfix
# for the test/demo MTA, OpenSSL, D-Bus and
# gnome-keyring for keyring tests, Chromium for rendering sanitized mail in a real browser,
# WebKitGTK and the tray/X libraries for the desktop app, Xvfb + WebKitWebDriver +
# tauri-driver + Python (selenium, python-dbusmock) for its end-to-end tests, Node.js >= 20.19
# with the UI's npm packages, and a Rust toolchain (rustup) when cargo is missing.
# Scripts then `source scripts/env.sh` for PATH.
set -euo pipefail

sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi

packages=(build-essential pkg-config ca-certificates curl openssl
          dovecot-imapd procps dbus dbus-x11 gnome-keyring libsecret-tools chromium
          libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev
          xvfb xauth x11-utils webkit2gtk-driver imagemagick
          # Checking the packages (scripts/package.sh): the desktop entry, the AppStream
          # metainfo, the .rpm's file list.
          desktop-file-utils appstream rpm
          xdotool python3 python3-venv python3-dbus python3-gi python3-xlib gir1.2-webkit2-4.1
          dovecot-lmtpd postfix
          # What the private Cyrus and Courier servers (scripts/cyrus-start.sh,
          # courier-start.sh) need beside their own unpacked packages; none conflicts.
          libxapian30 libpcre3 libical3 libsasl2-modules libsasl2-modules-db
          libcourier-unicode4 libgamin0 gamin)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Node.js and npm from apt only when there are none (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  # Postfix asks how to configure the system MTA: not at all (tests run private instances).
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo_cmd debconf-set-selections
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The system Dovecot and Postfix services are not needed (tests start private instances).
for service in dovecot postfix; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    $sudo_cmd systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust with rustup" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

export PATH="$HOME/.cargo/bin:$PATH"
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TERN_CACHE_DIR:-$HOME/.cache/tern}
mkdir -p "$cache"

# Node.js: Vite 8 needs >= 20.19 (Debian 12's apt has 18); fetch a newer one from npm when
# the system's is older.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; }
if ! node_ok && ! PATH="$cache/node/node_modules/node/bin:$PATH" node_ok; then
  echo "setup: installing Node.js 22 under $cache/node" >&2
  npm install --silent --prefix "$cache/node" node@22 >/dev/null
fi

# The UI's packages (exactly as locked).
source "$repo/scripts/env.sh"
if [ ! -d "$repo/ui/node_modules" ] || [ "$repo/ui/package-lock.json" -nt "$repo/ui/node_modules/.package-lock.json" ]; then
  echo "setup: installing the UI's npm packages" >&2
  npm --prefix "$repo/ui" ci --silent --no-audit --no-fund >/dev/null
fi

# WebDriver for the app window (drives WebKitWebDriver).
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver" >&2
  cargo install tauri-driver --locked --quiet
fi

# Python for the end-to-end tests (system dbus/gi bindings, pip's selenium and dbusmock).
venv=${TERN_E2E_VENV:-$cache/e2e-venv}
if ! "$venv/bin/python" -c 'import selenium, dbusmock, dbus, gi' >/dev/null 2>&1; then
  echo "setup: preparing the Python environment for end-to-end tests" >&2
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check selenium==4.51.0 python-dbusmock==0.38.1
fi
