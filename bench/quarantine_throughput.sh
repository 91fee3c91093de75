#!/usr/bin/env bash
# Benchmark (issue 7): items recorded into the quarantine per second (blob + SQLite row +
# two audit records, every one fsync'd), against the pipeline's own rate for small blocked
# items measured in the same run. Goal: the quarantine is never the bottleneck (>= 10x).
items=${1:-500}
set --
. "$(dirname "$0")/common.sh" bc
rec=build/bench/quarantine_record
[ -x "$rec" ] || { echo "build first: scripts/build" >&2; exit 2; }
machine
for procs in 1 2 4; do
  rm -rf "$work/q"
  "$rec" "$work/q" "$items" "$procs"
done
# The pipeline on 200 small blocked items (EICAR variants), same machine, same run.
mkdir -p "$work/in"
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
for i in $(seq 1 200); do printf '%s%*s' "$eicar" "$i" '' > "$work/in/f$i.pdf"; done
start=$(date +%s.%N)
"$mugai" sanitize -q --signatures "$work/sigs" --state "$work/state" "$work"/in/* >/dev/null || true
end=$(date +%s.%N)
printf 'pipeline: 200 blocked items in %.2f s, %.0f items/s\n' "$(echo "$end - $start" | bc -l)" \
  "$(echo "200 / ($end - $start)" | bc -l)"
