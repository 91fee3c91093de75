#!/usr/bin/env bash
# Benchmark: `mugai sanitize` (identify + scan + convert + verify + worker isolation) against
# `clamscan` (scan only), same signature database, same 1,000 small text/HTML files, same run.
# Prints files/s for each and the ratio. Usage: bench/sanitize_vs_clamscan.sh [FILES] [ROUNDS]
files=${1:-1000}
rounds=${2:-3}
. "$(dirname "$0")/common.sh" clamscan bc

# Inputs: half plain text in the four Japanese encodings, half HTML with scripts and links.
mkdir -p "$work/in"
small_inputs "$work/in" "$files"
bytes=$(du -sb "$work/in" | cut -f1)


# Each run prints "wall cpu" (cpu = user + system of the command and its children).
run_clamscan() {
  /usr/bin/time -f '%e %U %S' -o "$work/time" \
    clamscan --no-summary --quiet -d "$work/sigs" "$work/in" >/dev/null || true
  awk '{printf "%s %s\n", $1, $2 + $3}' "$work/time"
}
run_mugai() {
  local rc
  rm -rf "$work/out" "$work/state"
  set +e
  /usr/bin/time -f '%e %U %S' -o "$work/time" \
    "$mugai" sanitize --quiet --signatures "$work/sigs" --state "$work/state" \
    --out "$work/out" "$work/in"/* >/dev/null
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { echo "mugai exited $rc" >&2; exit 1; }
  awk '{printf "%s %s\n", $1, $2 + $3}' "$work/time"
}

: > "$work/clam.runs"; : > "$work/mugai.runs"
for r in $(seq 1 "$rounds"); do
  run_clamscan >> "$work/clam.runs"
  run_mugai >> "$work/mugai.runs"
done
clam=$(cut -d' ' -f1 "$work/clam.runs" | median)
mug=$(cut -d' ' -f1 "$work/mugai.runs" | median)
clam_cpu=$(cut -d' ' -f2 "$work/clam.runs" | median)
mug_cpu=$(cut -d' ' -f2 "$work/mugai.runs" | median)
delivered=$(ls "$work/out" | wc -l)

machine
printf 'inputs: %d files, %d bytes (text in UTF-8/Shift_JIS/EUC-JP, HTML with scripts)\n' \
  "$files" "$bytes"
printf 'signatures: %s (generated test database)\n' "$(cat "$work"/sigs/* | wc -l)"
printf 'clamscan %s (scan only):                %6.2f s wall %6.2f s cpu %7.1f files/s\n' \
  "$(clamscan --version | cut -d/ -f1 | awk '{print $2}')" "$clam" "$clam_cpu" \
  "$(echo "$files / $clam" | bc -l)"
printf 'mugai sanitize (full pipeline, %s jobs):    %6.2f s wall %6.2f s cpu %7.1f files/s (%d delivered)\n' \
  "$(nproc)" "$mug" "$mug_cpu" "$(echo "$files / $mug" | bc -l)" "$delivered"
printf 'ratio mugai/clamscan throughput: %.2f (median of %d rounds)\n' \
  "$(echo "$clam / $mug" | bc -l)" "$rounds"
