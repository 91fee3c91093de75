#!/bin/bash
# A private PostgreSQL server for the tests (Debian's postgresql): initdb and pg_ctl in DIR,
# listening on 127.0.0.1 only, trust authentication for user "mugai".
#   pg-server.sh start DIR   starts it and writes DIR/dsn (a libpq connection string);
#                            without PostgreSQL installed it says so and writes no dsn
#                            (the tests then skip visibly)
#   pg-server.sh stop DIR    stops it (fast shutdown)
#   pg-server.sh kill DIR    stops it at once (immediate shutdown: a crash, for the tests)
# As root, the server runs as `nobody` (initdb refuses root).
set -u
cmd=${1:?start, stop or kill}
dir=${2:?folder}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
runas=()
if [ "$(id -u)" = 0 ]; then
  runas=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
case $cmd in
start)
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "PostgreSQL is not installed (apt-get install postgresql): PostgreSQL tests will skip"
    exit 0
  fi
  [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
  chmod 0700 "$dir"
  if ! "${runas[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U mugai --locale=C -E UTF8 \
      >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  port=${MUGAI_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  if ! "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
    cat "$dir/server.log" >&2
    exit 1
  fi
  chmod 0755 "$dir"
  echo "host=127.0.0.1 port=$port user=mugai dbname=postgres connect_timeout=5" > "$dir/dsn"
  echo "PostgreSQL for the tests: $(cat "$dir/dsn")"
  ;;
restart)
  # Starts it again on the same port after stop or kill.
  port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$dir/dsn")
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  ;;
stop | kill)
  [ -f "$dir/data/postmaster.pid" ] || exit 0
  mode=fast
  [ "$cmd" = kill ] && mode=immediate
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m $mode -w stop >/dev/null
  ;;
*)
  echo "usage: pg-server.sh start|stop|kill|restart DIR" >&2
  exit 2
  ;;
esac
