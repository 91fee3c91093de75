#!/usr/bin/env bash
# Benchmark (issue 20): the CPU each worker used on every file of ../shared/corpora, against
# the work its budget counts (PDF pages, image megapixels, package parts, input megabytes).
# Budgets are lifted for the run (every item gets the cap), so nothing is cut short; the
# figures say how large each per-unit rate must be for real files to pass, and set the
# defaults in gateway/service/config.h. Through one `mugai serve` with the real-size database.
# Usage: bench/cpu_budgets.sh [corpus...]   (default: every corpus folder)
. "$(dirname "$0")/common.sh" python3
corpora=../shared/corpora
[ -d "$corpora" ] || { echo "$corpora absent" >&2; exit 2; }
cat > "$work/mugai.toml" <<EOT
[worker]
cpu_seconds = 120
cpu_base_ms = 120000
EOT
"$mugai" serve --socket "$work/mugai.sock" --config "$work/mugai.toml" --signatures "$work/sigs" \
  --state "$work/state" 2> "$work/serve.log" & serve_pid=$!
trap 'kill ${serve_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=($(ls "$corpora"))
for f in "${folders[@]}"; do
  [ -d "$corpora/$f" ] || continue
  mkdir -p "$work/out-$f"
  find "$corpora/$f" -type f ! -name MANIFEST.tsv -print0 |
    W="$work" S="$work/mugai.sock" O="$work/out-$f" xargs -0 -n 20 bash -c \
      'exec "$0" sanitize -q --service "$S" --out "$O" --report "$(mktemp -p "$W" report-XXXXXX.json)" "$@"' \
      "$mugai" >/dev/null 2>&1 || true
done
machine
/usr/bin/python3 - "$work" <<'PY'
import glob, json, re, sys, collections
rows = collections.defaultdict(list)  # kind -> [(units, used)]
def walk(n):
    fam = n.get("detected_type", "")
    for a in n.get("actions", []):
        if a["action"] != "cpu":
            continue
        m = re.match(r"used ([0-9.]+) s of .*?\+ ([0-9.]+) MB x [0-9.]+ s(?: \+ ([0-9.]+) (.+?) x)?", a["detail"])
        if not m:
            continue
        used, mb = float(m.group(1)), float(m.group(2))
        unit = m.group(4) or "MB only"
        units = float(m.group(3)) if m.group(3) else mb
        rows[unit].append((units, used, mb, n.get("name", "")))
    for c in n.get("children", []):
        walk(c)
for path in glob.glob(sys.argv[1] + "/report-*.json"):
    try:
        for item in json.load(open(path))["items"]:
            walk(item)
    except Exception:
        pass
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))]
# The defaults (gateway/service/config.h): base, per MB, and the rate of each kind of work.
base, per_mb = 2.0, 1.0
rate = {"page(s)": 0.1, "megapixel(s)": 0.05, "part(s) and image megapixels": 0.1, "MB only": 0.0}
print("%-30s %6s %8s %8s %8s %10s %s" % ("work counted", "items", "used p50", "used p99", "used max",
                                          "over dflt", "slowest (its work)"))
for unit, r in sorted(rows.items()):
    used = [u for _, u, _, _ in r]
    over = sum(1 for n, u, mb, _ in r if u > base + mb * per_mb + (n * rate[unit] if unit != "MB only" else 0))
    worst = max(r, key=lambda x: x[1])
    print("%-30s %6d %8.2f %8.2f %8.2f %10d %s (%.2f %s)" % (unit, len(r), pct(used, .5), pct(used, .99),
          max(used), over, worst[3][:44], worst[0], unit))
PY
