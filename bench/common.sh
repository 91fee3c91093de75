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
# The ClamAV database every figure is taken with: one of real size and mix (~8.7 M signatures,
# ../shared/tools/make-realistic-signatures), generated once into $MUGAI_BENCH_DB. Only with
# MUGAI_BENCH_SIGNATURES=test the 45-signature test database (a second row, never the only one).
bench_db=${MUGAI_BENCH_DB:-/var/tmp/mugai-bench-db}
if [ "${MUGAI_BENCH_SIGNATURES:-real}" = test ]; then
  bash tests/make-test-signatures.sh "$work/sigs" >/dev/null
  sig_label="the 45-signature test database"
else
  if [ ! -f "$bench_db/synthetic.hsb" ]; then
    gen=../shared/tools/make-realistic-signatures
    [ -x "$gen" ] || { echo "$gen missing: set MUGAI_BENCH_DB to a real-size database" >&2; exit 2; }
    echo "writing a real-size ClamAV database into $bench_db (once; ~20 s, ~650 MB)" >&2
    python3 "$gen" "$bench_db" >&2
  fi
  ln -s "$bench_db" "$work/sigs"
  sig_label="a real-size database ($(cat "$bench_db"/*.?db "$bench_db"/*.hsb 2>/dev/null | wc -l) signatures, make-realistic-signatures)"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
machine() {
  printf 'machine: %s, %s cores, %s, %s GiB\n' "$(uname -m)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
    "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
  printf 'signatures: %s\n' "$sig_label"
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
# Prints RSS and PSS (MiB) of a process and all its descendants: PSS counts shared pages once,
# which is what the host actually spends. Usage: mem_of LABEL PID
mem_of() {  # label pid: RSS and PSS (MiB) of a process and its descendants
  local pids="$2" rss=0 pss=0 p more  # $2 may list several PIDs: their sum
  more=$(for p in $2; do pgrep -P "$p" || true; done | tr '\n' ' ')  # no children: no error
  while [ -n "$more" ]; do
    pids="$pids $more"
    more=$(for p in $more; do pgrep -P "$p" || true; done | tr '\n' ' ')
  done
  for p in $pids; do
    [ -r "/proc/$p/smaps_rollup" ] || continue
    rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
  done
  printf '%-22s RSS %5d MiB  PSS %5d MiB  (%d processes)\n' "$1" $((rss / 1024)) $((pss / 1024)) "$(echo $pids | wc -w)"
}
# Writes N small inputs into DIR: half plain text in UTF-8, Shift_JIS and EUC-JP, half a
# 1.1 KB HTML page with scripts and links (each page slightly different).
small_inputs() {  # dir n
  mkdir -p "$1"
  for i in $(seq 1 "$2"); do
    case $((i % 6)) in
      0) cp fixtures/text/utf8.txt "$1/memo$i.txt" ;;
      1) cp fixtures/text/shift_jis.txt "$1/memo$i.txt" ;;
      2) cp fixtures/text/euc-jp.txt "$1/memo$i.txt" ;;
      *) sed "s/市民課/市民課$i/" fixtures/html/hostile.html > "$1/page$i.html" ;;
    esac
  done
}
