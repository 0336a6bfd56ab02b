#!/usr/bin/env bash
# Builds Tern's Linux packages, a .deb and an .rpm, with Tauri's bundler (both without network
# access): the app (/usr/bin/tern-app), the `tern` CLI beside it (/usr/bin/tern), the desktop
# entry (the system's mail handler: x-scheme-handler/mailto), the icons, the AppStream metainfo
# and the package dependencies (WebKitGTK 4.1, libayatana-appindicator).
#
#   scripts/package.sh            the `dist` profile (release, stripped): what people install
#   scripts/package.sh --debug    debug build (minutes faster; what the test run checks)
#
# Prints the paths of the two packages. Install one with
#   sudo apt install ./target/dist/bundle/deb/Tern_0.1.0_amd64.deb
#   sudo dnf install ./target/dist/bundle/rpm/Tern-0.1.0-1.x86_64.rpm
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
source "$repo/scripts/env.sh"

# `dist`: the release profile without debug information (Cargo.toml).
profile=dist
tauri_flags=()
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  tauri_flags+=(--debug)
fi

if [ "$profile" = debug ]; then
  cargo build --quiet --locked -p tern-cli --bin tern
else
  cargo build --quiet --locked --profile dist -p tern-cli --bin tern
fi
cli="$CARGO_TARGET_DIR/$profile/tern"

# Where this build put the CLI is known only now: given on the command line, merged key by key
# into tauri.conf.json's bundle settings (beside the metainfo file it names).
config=$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/tern":"%s"}},"rpm":{"files":{"/usr/bin/tern":"%s"}}}}}' "$cli" "$cli")
bundle_dir="$CARGO_TARGET_DIR/$profile/bundle"
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm"
cargo_args=()
[ "$profile" = dist ] && cargo_args=(-- --profile dist)
(cd src-tauri && "$repo/ui/node_modules/.bin/tauri" build "${tauri_flags[@]}" --bundles deb,rpm \
  --config "$config" --ci "${cargo_args[@]}" >&2)
ls "$bundle_dir"/deb/*.deb "$bundle_dir"/rpm/*.rpm
