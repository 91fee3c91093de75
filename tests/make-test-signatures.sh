#!/usr/bin/env bash
# Generates a ClamAV test signature database into $1 (a folder) with sigtool:
#  - mugai-eicar.ndb: a body signature of the EICAR test string (matches it anywhere),
#  - mugai-testfiles.hdb: MD5 signatures of Debian's clamav-testfiles (clam.exe & co).
# No live malware is involved; the EICAR string is assembled here from two halves so that
# this script itself is not flagged.
set -euo pipefail
out=${1:?usage: make-test-signatures.sh OUTDIR}
mkdir -p "$out"
command -v sigtool >/dev/null || { echo "sigtool missing: run scripts/install-deps" >&2; exit 2; }

eicar_a='X5O!P%@AP[4\PZX54(P^)7CC)7}$'
eicar_b='EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
hex=$(printf '%s%s' "$eicar_a" "$eicar_b" | sigtool --hex-dump | tr -d '\n')
printf 'Mugai.Test.EICAR:0:*:%s\n' "$hex" > "$out/mugai-eicar.ndb.tmp"
mv "$out/mugai-eicar.ndb.tmp" "$out/mugai-eicar.ndb"

testfiles=/usr/share/clamav-testfiles
: > "$out/mugai-testfiles.hdb.tmp"
if [ -d "$testfiles" ]; then
  for f in "$testfiles"/*; do
    [ -f "$f" ] || continue
    sigtool --md5 "$f" | sed "s/:[^:]*\$/:Mugai.Test.$(basename "$f")/" >> "$out/mugai-testfiles.hdb.tmp"
  done
else
  echo "make-test-signatures: $testfiles missing (install clamav-testfiles); EICAR only" >&2
fi
mv "$out/mugai-testfiles.hdb.tmp" "$out/mugai-testfiles.hdb"
echo "make-test-signatures: wrote $(cat "$out"/*.ndb "$out"/*.hdb | wc -l) signatures to $out"
