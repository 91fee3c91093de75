#!/usr/bin/env bash
# Benchmark (issues 7 and 17): items recorded into the quarantine per second, exactly as the
# pipeline records a blocked item, against the pipeline's own rate for small blocked items
# measured in the same run. Goal: recording is never the bottleneck (issue 17: >= 5x).
#   SQLite + audit.log (one node), 1/2/4 processes on one state folder;
#   PostgreSQL (a private server started here: initdb, pg_ctl, fsync and synchronous_commit
#   on, loopback TCP), blobs in the database, 1/2/4 processes = nodes; and blobs in a
#   directory (quarantine.blob_store = "directory"), 1 and 2 nodes.
# Usage: bench/quarantine_throughput.sh [ITEMS]
items=${1:-500}
set --
. "$(dirname "$0")/common.sh" bc
rec=build/bench/quarantine_record
[ -x "$rec" ] || { echo "build first: scripts/build" >&2; exit 2; }
machine
chmod 0755 "$work"
pg="$work/pg"
trap 'bash tests/pg/pg-server.sh stop "$pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
bash tests/pg/pg-server.sh start "$pg" >/dev/null
[ -f "$pg/dsn" ] || { echo "PostgreSQL is not installed (scripts/install-deps)" >&2; exit 2; }
echo "PostgreSQL: $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)"
dsn_for() {  # a fresh database per row
  psql "$(cat "$pg/dsn")" -qc "CREATE DATABASE $1" >/dev/null
  sed "s/dbname=postgres/dbname=$1/" "$pg/dsn"
}
for procs in 1 2 4; do
  rm -rf "$work/q"
  "$rec" "$work/q" "$items" "$procs"
done
for procs in 1 2 4; do
  rm -rf "$work/q"
  "$rec" "$work/q" "$items" "$procs" "$(dsn_for db$procs)"
done
for procs in 1 2; do
  rm -rf "$work/q"
  "$rec" "$work/q" "$items" "$procs" "$(dsn_for dir$procs)" directory
done
# The pipeline on 200 small blocked items (EICAR variants), same machine, same run, through a
# running `mugai serve` (its engine loaded once, as in production), recording into SQLite and
# then into PostgreSQL (one node, blobs in the database).
mkdir -p "$work/in"
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
for i in $(seq 1 200); do printf '%s%*s' "$eicar" "$i" '' > "$work/in/f$i.pdf"; done
for backend in sqlite postgresql; do
  cfg="$work/$backend.toml"
  printf '[paths]\nstate = "%s"\n[quarantine]\nbackend = "%s"\n' "$work/state-$backend" "$backend" > "$cfg"
  if [ "$backend" = postgresql ]; then
    printf 'dsn = "%s"\n' "$(dsn_for pipeline)" >> "$cfg"
    "$mugai" db migrate --config "$cfg" >/dev/null
  fi
  sock="$work/$backend.sock"
  "$mugai" serve --config "$cfg" --signatures "$work/sigs" --socket "$sock" 2> "$work/serve.err" &
  serve=$!
  for _ in $(seq 1 600); do grep -q listening "$work/serve.err" 2>/dev/null && break; sleep 0.2; done
  # one warm-up item, then the 200
  "$mugai" sanitize -q --service "$sock" "$work/in/f1.pdf" >/dev/null 2>&1 || true
  start=$(date +%s.%N)
  "$mugai" sanitize -q --service "$sock" "$work"/in/* >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  kill "$serve"; wait "$serve" 2>/dev/null || true
  printf 'pipeline through mugai serve (%s): 200 blocked items in %.2f s, %.0f items/s\n' \
    "$backend" "$(echo "$end - $start" | bc -l)" "$(echo "200 / ($end - $start)" | bc -l)"
done
