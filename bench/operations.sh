#!/usr/bin/env bash
# Benchmark (issue 18): what operations cost, with a real-size signature database.
#  1. Monitoring: 1,000 small files through `mugai serve` (sanitize --service), with nobody
#     scraping and with a scraper hitting /metrics and /healthz 10 times a second (40 times a
#     usual 15 s Prometheus interval), same run; scrape latency p50/p99 idle and under load.
#  2. The suspend switch: how long `mugai suspend` takes, and whether the next request is
#     refused (exit 3).
#  3. Stale signatures with scan.stale_action = "hold": from the moment freshclam's files are
#     new until the first item is taken again (scanner reload of the whole database included).
# Usage: bench/operations.sh [FILES] [ROUNDS]
files=${1:-1000}
rounds=${2:-3}
. "$(dirname "$0")/common.sh" curl bc
mkdir -p "$work/in"
small_inputs "$work/in" "$files"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
me=$(id -un)
# A private copy of the signatures: their dates are changed below (a copy, not links: a hard
# link shares the date with the original).
cp -r "$(readlink -f "$work/sigs")" "$work/db"
cat > "$work/c.toml" <<EOF2
[service]
metrics_listen = "127.0.0.1:$port"
[scan]
reload_check_seconds = 5
max_signature_age_hours = 48
stale_action = "hold"
[roles]
admins = ["$me"]
EOF2
start_serve() {
  "$mugai" serve --config "$work/c.toml" --socket "$work/mugai.sock" --signatures "$work/db" \
    --state "$work/state" 2> "$work/serve.log" & serve_pid=$!
  for _ in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
}
trap 'kill ${serve_pid:-} ${scraper_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
start_serve

scrape_ms() {  # N scrapes of URL, one per 100 ms → ms each into $work/$2
  : > "$work/$2"
  for _ in $(seq 1 "$1"); do
    curl -s -o /dev/null -w '%{time_total}\n' "$3" | awk '{printf "%.1f\n", $1*1000}' >> "$work/$2"
    sleep 0.1
  done
}
pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int(NR*p/100+0.5); if(i<1)i=1; print a[i]}'; }

scrape_ms 50 idle_metrics "http://127.0.0.1:$port/metrics"
scrape_ms 50 idle_health "http://127.0.0.1:$port/healthz"
run_batch() {
  rm -rf "$work/out"
  /usr/bin/time -f '%e' -o "$work/t" "$mugai" sanitize -q --service "$work/mugai.sock" \
    --out "$work/out" "$work"/in/* >/dev/null 2>&1 || true
  cat "$work/t"
}
: > "$work/plain.runs"; : > "$work/scraped.runs"
for _ in $(seq 1 "$rounds"); do
  run_batch >> "$work/plain.runs"
  ( while :; do
      curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >> "$work/load_metrics.raw"
      curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/healthz" >> "$work/load_health.raw"
      sleep 0.1
    done ) & scraper_pid=$!
  run_batch >> "$work/scraped.runs"
  kill "$scraper_pid"; wait "$scraper_pid" 2>/dev/null || true; scraper_pid=
done
awk '{printf "%.1f\n", $1*1000}' "$work/load_metrics.raw" > "$work/load_metrics"
awk '{printf "%.1f\n", $1*1000}' "$work/load_health.raw" > "$work/load_health"
plain=$(median < "$work/plain.runs"); scraped=$(median < "$work/scraped.runs")
items=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^mugai_items_total/ {s+=$2} END {print s}')

# 2. Suspend, and the request after it.
s=$(date +%s%N)
"$mugai" suspend --service "$work/mugai.sock" --reason bench >/dev/null
e=$(date +%s%N)
suspend_ms=$(( (e - s) / 1000000 ))
set +e
"$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/o2" fixtures/text/utf8.txt >/dev/null 2>&1
held_rc=$?
set -e
"$mugai" resume --service "$work/mugai.sock" >/dev/null

# 3. Stale, then fresh: restart on signatures dated 72 h back, then date them now.
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
touch -d '72 hours ago' "$work"/db/*
start_serve
set +e
"$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/o3" fixtures/text/utf8.txt >/dev/null 2>&1
stale_rc=$?
touch "$work"/db/*
s=$(date +%s%N)
for _ in $(seq 1 600); do
  "$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/o3" fixtures/text/utf8.txt >/dev/null 2>&1 && break
  sleep 0.5
done
e=$(date +%s%N)
set -e
fresh_s=$(echo "scale=1; ($e - $s) / 1000000000" | bc)

machine
echo "files: $files small text/HTML files per batch, $rounds rounds (median); $items items counted by /metrics"
echo
echo "| run | batch s | files/s |"
echo "|---|---|---|"
echo "| nobody scraping | $plain | $(echo "scale=1; $files / $plain" | bc) |"
echo "| /metrics + /healthz 10×/s | $scraped | $(echo "scale=1; $files / $scraped" | bc) |"
echo
echo "| endpoint | idle p50 ms | idle p99 ms | under load p50 ms | under load p99 ms |"
echo "|---|---|---|---|---|"
echo "| /metrics | $(pct "$work/idle_metrics" 50) | $(pct "$work/idle_metrics" 99) | $(pct "$work/load_metrics" 50) | $(pct "$work/load_metrics" 99) |"
echo "| /healthz | $(pct "$work/idle_health" 50) | $(pct "$work/idle_health" 99) | $(pct "$work/load_health" 50) | $(pct "$work/load_health" 99) |"
echo
echo "mugai suspend: ${suspend_ms} ms; the next sanitize exits $held_rc (3 = held)"
echo "stale signatures (72 h, hold): sanitize exits $stale_rc; fresh files → first item taken: ${fresh_s} s (reload_check_seconds = 5, then the scanner loads the whole database)"
