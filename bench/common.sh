# Sourced by the bench/ scripts: repository root, the built binary, the tools a benchmark
# needs, a scratch folder removed on exit, the ClamAV test database, and small helpers.
# Usage: . "$(dirname "$0")/common.sh" TOOL...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mugai=build/gateway/mugai
[ -x "$mugai" ] || { echo "build first: scripts/build" >&2; exit 2; }
for tool in "$@"; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps" >&2; exit 2; }
done
work=$(mktemp -d /tmp/mugai-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
bash tests/make-test-signatures.sh "$work/sigs" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
machine() {
  printf 'machine: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
}
timed() {  # prints wall seconds of "$@" (its output discarded, its failure ignored)
  /usr/bin/time -f '%e' -o "$work/t" "$@" >/dev/null 2>&1 || true
  cat "$work/t"
}
# Median wall time in ms of ROUNDS one-shot `mugai sanitize FILE` runs, each with a fresh
# state folder; the last run's outputs stay in $work/out.
sanitize_ms() {
  local rounds=$1 file=$2
  : > "$work/runs"
  for _ in $(seq 1 "$rounds"); do
    rm -rf "$work/out" "$work/sanitize-state"
    timed "$mugai" sanitize -q --signatures "$work/sigs" --state "$work/sanitize-state" \
      --out "$work/out" "$file" >> "$work/runs"
  done
  printf '%.0f' "$(echo "$(median < "$work/runs") * 1000" | bc -l)"
}
