#!/bin/sh
# Stands in for the person's browser in the end-to-end tests ($BROWSER): opens the sign-in
# page of the mock authorization server, which approves at once and redirects to Tern's
# loopback listener, and follows that redirect.
exec python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read()' "$1"
