#!/usr/bin/env bash
# Benchmark (issue 8): files/s from inbox to outbox through `mugai watch`, for 1,000 small
# PDFs and for 1,000 small text files dropped at once. Each file is claimed (fsync'd record +
# rename), sanitised in its workers, delivered through the journal, and its original kept in
# the quarantine. Usage: bench/watch_throughput.sh [FILES]
files=${1:-1000}
. "$(dirname "$0")/common.sh" bc
printf '[watch]\nstable_ms = 0\nbatch = 64\n' > "$work/w.toml"
machine
for kind in text pdf; do
  rm -rf "$work/in" "$work/out" "$work/state"; mkdir -p "$work/in" "$work/out"
  for i in $(seq 1 "$files"); do
    if [ $kind = text ]; then
      printf '連絡事項 %d: 会議は15時からです。\n' "$i" > "$work/in/memo$i.txt"
    else
      sed "s/Hello from the city office/Notice $i from the city office/" \
        fixtures/pdf/plain.pdf > "$work/in/doc$i.pdf"
    fi
  done
  /usr/bin/time -f '%e' -o "$work/t" "$mugai" watch --once --config "$work/w.toml" \
    --in "$work/in" --out "$work/out" --signatures "$work/sigs" --state "$work/state" 2>/dev/null
  secs=$(cat "$work/t")
  delivered=$(find "$work/out" -type f ! -path '*/.mugai-staging/*' | wc -l)
  printf '%-5s %5d files: %6.2f s  %6.1f files/s  (%d files in the outbox, notes included)\n' "$kind" "$files" "$secs" \
    "$(echo "$files / $secs" | bc -l)" "$delivered"
done
