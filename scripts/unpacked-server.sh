#!/usr/bin/env bash
# Sourced by scripts/cyrus-start.sh and scripts/courier-start.sh: prepares an IMAP server
# whose Debian packages conflict with Dovecot's (`Conflicts: imap-server`) without installing
# them — downloaded once (apt-get download) into TERN_SERVERS_CACHE (default
# /var/cache/tern-servers) and unpacked there (dpkg -x) — plus the libraries they need that
# conflict with nothing, and the syslog shim. One preparation at a time: tests start servers
# in parallel and apt allows one install.
#
#   prepare_unpacked NAME BINARY LIBDIR "LIBRARY PACKAGES" PACKAGE...
#
# Sets `root` (the unpacked tree) and `shim` (the LD_PRELOAD library). BINARY (relative to
# the tree) is what must run; LIBDIR (relative too) holds the packages' own libraries.
prepare_unpacked() {
  local name=$1 binary=$2 libdir=$3 libraries=$4
  shift 4
  local cache=${TERN_SERVERS_CACHE:-/var/cache/tern-servers}
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  root="$cache/$name-root"
  mkdir -p "$cache"
  exec 9>"$cache/.prepare.lock"
  flock 9
  if [ ! -x "$root/$binary" ]; then
    echo "$name-start: fetching $* into $root" >&2
    mkdir -p "$cache/debs"
    (cd "$cache/debs" && apt-get download -qq "$@" 2>/dev/null)
    rm -rf "$root.new" && mkdir -p "$root.new"
    local package
    for package in "$@"; do
      dpkg -x "$(ls "$cache"/debs/"${package}"_*.deb | tail -n 1)" "$root.new"
    done
    rm -rf "$root" && mv "$root.new" "$root"
  fi
  if LD_LIBRARY_PATH="$root/$libdir" ldd "$root/$binary" | grep -q "not found"; then
    # Checked: none of these removes or replaces anything (no imap-server among them).
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $libraries >/dev/null
  fi
  shim=$("$here/syslog-shim.sh")
  flock -u 9
  exec 9>&-
}
