#!/usr/bin/env bash
# Build (once) and print the path of a small LD_PRELOAD library for the private Cyrus and
# Courier servers: their syslog() goes to the file named by TERN_SYSLOG_FILE (they find no
# /dev/log here and would log into nothing), and fsync()/fdatasync() return at once (test
# mail needs no durability; Cyrus syncs on every write).
set -euo pipefail
cache=${TERN_SERVERS_CACHE:-/var/cache/tern-servers}
out="$cache/syslog-shim.so"
src="$cache/syslog-shim.c"
mkdir -p "$cache"
if [ ! -s "$out" ]; then
  cat > "$src" <<'C'
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *ident = "";

void openlog(const char *name, int option, int facility) {
  (void)option; (void)facility;
  ident = name ? name : "";
}
void closelog(void) {}

void vsyslog(int priority, const char *format, va_list args) {
  const char *path = getenv("TERN_SYSLOG_FILE");
  if (!path) return;
  FILE *file = fopen(path, "a");
  if (!file) return;
  fprintf(file, "%ld %s[%d] <%d> ", (long)time(NULL), ident, (int)getpid(), priority & 7);
  vfprintf(file, format, args);
  fputc('\n', file);
  fclose(file);
}

void syslog(int priority, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsyslog(priority, format, args);
  va_end(args);
}

void __syslog_chk(int priority, int flag, const char *format, ...) {
  (void)flag;
  va_list args;
  va_start(args, format);
  vsyslog(priority, format, args);
  va_end(args);
}

int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
C
  gcc -shared -fPIC -O2 -o "$out.new" "$src"
  mv "$out.new" "$out"
fi
echo "$out"
