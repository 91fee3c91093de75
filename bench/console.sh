#!/usr/bin/env bash
# Benchmark (issue 16): what the web console costs, on a service holding a real-size
# signature database, with ITEMS quarantined items (default 1,000 HTML files, each converted
# and its original kept).
#  - log-in: one argon2id check (64 MiB, 3 passes) per log-in: p50/p99 of 20 log-ins;
#  - pages, one client: /items (the newest 500, through the service), an item page, the
#    dashboard (14 days of items plus the service's /metrics): p50/p99 of 100 requests each;
#  - pages, 8 clients at once: /items requests per second.
# There is no peer to compare with on this machine (the commercial consoles are closed); the
# comparison row is the same pages with 100 items instead of ITEMS, same run.
# Usage: bench/console.sh [ITEMS]
items=${1:-1000}
. "$(dirname "$0")/common.sh" python3
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
mport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$work/c.toml" <<EOF2
[service]
metrics_listen = "127.0.0.1:$mport"
[console]
listen = "127.0.0.1:$port"
mail_domains = ["town.example.jp"]
[roles]
operators = ["kanri"]
admins = ["kanri"]
EOF2
trap 'kill ${console_pid:-} ${serve_pid:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$mugai" serve --config "$work/c.toml" --socket "$work/mugai.sock" --signatures "$work/sigs" \
  --state "$work/state" 2> "$work/serve.log" & serve_pid=$!
for _ in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
echo 'kanri-password-1' | "$mugai" user add kanri --config "$work/c.toml" --state "$work/state" >/dev/null
"$mugai" console --config "$work/c.toml" --state "$work/state" --service "$work/mugai.sock" \
  2> "$work/console.log" & console_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/console.log" 2>/dev/null && break; sleep 0.1; done

fill() {  # N more quarantined items: HTML pages (converted to text, originals kept)
  rm -rf "$work/in" "$work/out"; mkdir -p "$work/in"
  for i in $(seq 1 "$1"); do
    printf '<html><body><p>お知らせ %s</p><script>x()</script></body></html>' "$i" > "$work/in/page-$i-$RANDOM.html"
  done
  "$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/out" "$work"/in/* >/dev/null 2>&1 || true
}
measure() {
  python3 - "http://127.0.0.1:$port" <<'PY'
import http.cookiejar, statistics, sys, threading, time, urllib.parse, urllib.request
base = sys.argv[1]
def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def login(web):
    t = time.perf_counter()
    web.open(base + "/login", urllib.parse.urlencode({"username": "kanri", "password": "kanri-password-1"}).encode()).read()
    return (time.perf_counter() - t) * 1000
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(len(xs) * p / 100))]
logins = [login(opener()) for _ in range(20)]
web = opener(); login(web)
page = web.open(base + "/items").read().decode()
item = page.split('data-id="', 1)[1].split('"', 1)[0]
rows = page.count('class="item"')
def timed(path, n=100):
    out = []
    for _ in range(n):
        t = time.perf_counter(); web.open(base + path).read(); out.append((time.perf_counter() - t) * 1000)
    return out
res = {"/items": timed("/items"), "/items/ID": timed("/items/" + item), "/dashboard": timed("/dashboard", 50)}
print("  log-in: p50 %.0f ms, p99 %.0f ms (argon2id)" % (pct(logins, 50), pct(logins, 99)))
for k, v in res.items():
    print("  %-11s p50 %.1f ms, p99 %.1f ms%s" % (k, pct(v, 50), pct(v, 99), " (%d rows)" % rows if k == "/items" else ""))
done = [0]; lock = threading.Lock()
def client():
    w = opener(); login(w)
    for _ in range(40):
        w.open(base + "/items").read()
        with lock: done[0] += 1
t = time.perf_counter()
ts = [threading.Thread(target=client) for _ in range(8)]
[x.start() for x in ts]; [x.join() for x in ts]
print("  /items with 8 clients at once: %.0f requests/s" % (done[0] / (time.perf_counter() - t - 0)))
PY
}
machine
fill 100
echo "100 quarantined items:"
measure
fill $((items - 100))
echo "$items quarantined items:"
measure
