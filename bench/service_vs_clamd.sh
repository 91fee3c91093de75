#!/usr/bin/env bash
# Benchmark (issue 15): `mugai sanitize` through a running `mugai serve` (identify + scan +
# convert + verify in another process + audit before delivery, workers sandboxed) against
# `clamdscan` through a running clamd (scan only), same real-size signature database, same
# 1,000 small text and HTML files, same run. Also: the start-up cost of a one-shot
# `mugai sanitize` against the running service (p50/p99 of 30 runs), and the memory of each
# daemon with its children (RSS and PSS). Usage: bench/service_vs_clamd.sh [FILES] [ROUNDS]
files=${1:-1000}
rounds=${2:-3}
. "$(dirname "$0")/common.sh" clamd clamdscan bc

mkdir -p "$work/in"
small_inputs "$work/in" "$files"
chmod 755 "$work" "$work/in"; chmod 644 "$work"/in/*


# clamd, as packaged: a thread per core.
cat > "$work/clamd.conf" <<EOF2
LocalSocket $work/clamd.sock
DatabaseDirectory $work/sigs
Foreground yes
LogFile $work/clamd.log
MaxThreads $(nproc)
EOF2
clamd -c "$work/clamd.conf" & clamd_pid=$!
trap 'kill ${clamd_pid:-} ${serve_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 1500); do [ -S "$work/clamd.sock" ] && break; sleep 0.2; done

# mugai serve
"$mugai" serve --socket "$work/mugai.sock" --signatures "$work/sigs" --state "$work/state" \
  2> "$work/serve.log" & serve_pid=$!
for i in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done

: > "$work/clam.runs"; : > "$work/mugai.runs"
for r in $(seq 1 "$rounds"); do
  /usr/bin/time -f '%e' -o "$work/t" clamdscan --multiscan --fdpass --quiet \
    -c "$work/clamd.conf" "$work/in" >/dev/null 2>&1 || true
  cat "$work/t" >> "$work/clam.runs"
  rm -rf "$work/out"
  /usr/bin/time -f '%e' -o "$work/t" "$mugai" sanitize -q --service "$work/mugai.sock" \
    --out "$work/out" "$work"/in/* >/dev/null || { echo "mugai sanitize failed" >&2; exit 1; }
  cat "$work/t" >> "$work/mugai.runs"
done
clam=$(median < "$work/clam.runs")
mug=$(median < "$work/mugai.runs")
delivered=$(ls "$work/out" | wc -l)

# Start-up: one small file, one-shot command, service running.
: > "$work/start.runs"
for i in $(seq 1 30); do
  rm -rf "$work/one"
  s=$(date +%s%N)
  "$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/one" fixtures/text/utf8.txt >/dev/null
  e=$(date +%s%N)
  echo $(( (e - s) / 1000000 )) >> "$work/start.runs"
done
p50=$(sort -n "$work/start.runs" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
p99=$(sort -n "$work/start.runs" | tail -1)

machine
printf 'inputs: %d files, %d bytes (text in UTF-8/Shift_JIS/EUC-JP, HTML with scripts)\n' \
  "$files" "$(du -sb "$work/in" | cut -f1)"
printf 'clamdscan --multiscan (scan only):        %6.2f s %7.1f files/s\n' "$clam" "$(echo "$files / $clam" | bc -l)"
printf 'mugai sanitize --service (full pipeline): %6.2f s %7.1f files/s (%d delivered)\n' \
  "$mug" "$(echo "$files / $mug" | bc -l)" "$delivered"
printf 'ratio mugai/clamdscan files/s: %.2f (median of %d rounds)\n' "$(echo "$clam / $mug" | bc -l)" "$rounds"
printf 'one-shot mugai sanitize of one small file, service running: p50 %d ms, p99 (max of 30) %d ms\n' "$p50" "$p99"
mem_of "clamd" "$clamd_pid"
mem_of "mugai serve (+scanner)" "$serve_pid"
