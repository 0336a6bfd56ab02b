#!/usr/bin/env bash
# Builds the .deb and .rpm (debug build: the same bundling, minutes faster) and checks them as
# installed files (src-tauri/tests/packages/). Run by scripts/test.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t built < <(bash "$repo/scripts/package.sh" --debug)
export TERN_DEB TERN_RPM
for package in "${built[@]}"; do
  case "$package" in
    *.deb) TERN_DEB=$package ;;
    *.rpm) TERN_RPM=$package ;;
  esac
done
cd "$repo/src-tauri/tests/packages"
python3 -m unittest -v test_packages 2>&1
