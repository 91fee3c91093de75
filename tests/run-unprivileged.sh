#!/usr/bin/env bash
# Runs a test binary as an unprivileged user (nobody) when started as root, so that limits
# root bypasses (RLIMIT_NPROC) are exercised in CI too; as any other user it just runs it.
set -euo pipefail
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  cd /tmp
  exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
fi
exec "$@"
