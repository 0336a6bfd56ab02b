#!/bin/sh
# Stands in for xdg-open in the end-to-end tests: notes each URL Tern hands to the desktop.
printf '%s\n' "$1" >> "${TERN_OPENED_FILE:?}"
