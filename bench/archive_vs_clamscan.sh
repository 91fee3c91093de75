#!/usr/bin/env bash
# Benchmark (issue 5): one ~50 MB zip of mixed office documents (text, HTML, PDFs with text
# pages, JPEG photos, a nested zip), same run, same signatures:
#   - clamscan: unpacks the zip and scans every member (scan only, no isolation)
#   - mugai sanitize: scans the zip, unpacks it in a worker, sends every member through the
#     pipeline (identify, scan, convert, verify in a fresh worker) and rebuilds a new zip
# Prints seconds, MB/s of the input and members/s.
rounds=${1:-3}
. "$(dirname "$0")/common.sh" clamscan zip pdftocairo python3 bc
src="$work/src"
mkdir -p "$src/text" "$src/html" "$src/pdf" "$src/photo" "$src/nested"
python3 bench/make_pdf_inputs.py "$work/synthetic.pdf" 30
pdftocairo -pdf "$work/synthetic.pdf" "$work/text30.pdf"
/usr/bin/python3 - "$src" "$work/text30.pdf" <<'PY'
import os, random, sys
from PIL import Image
src, pdf = sys.argv[1], sys.argv[2]
random.seed(7)
line = "令和8年度の予算要求について、各課は別添様式により提出してください。The office updates its network.\n"
for i in range(200):                       # 200 text files of ~40 KB
    with open(f"{src}/text/memo{i:03d}.txt", "w", encoding="utf-8") as f:
        f.write(line * 300)
for i in range(100):                       # 100 HTML pages of ~30 KB
    with open(f"{src}/html/page{i:03d}.html", "w", encoding="utf-8") as f:
        f.write("<html><body>" + ("<p>" + line + "<a href='http://example.jp/'>link</a></p>") * 200
                + "<script>alert(1)</script></body></html>")
data = open(pdf, "rb").read()
for i in range(12):                        # 12 thirty-page text PDFs
    open(f"{src}/pdf/report{i:02d}.pdf", "wb").write(data)
for i in range(26):                        # 26 noisy 1600x1200 JPEG photos
    img = Image.effect_noise((1600, 1200), 64).convert("RGB")
    img.save(f"{src}/photo/photo{i:02d}.jpg", quality=95)
PY
(cd "$src/nested" && cp ../text/memo00{0..9}.txt . && zip -q inner.zip memo*.txt && rm memo*.txt)
(cd "$src" && zip -q -r "$work/mixed.zip" .)
in="$work/mixed.zip"
in_mb=$(echo "$(stat -c %s "$in") / 1048576" | bc -l)
members=$(find "$src" -type f | wc -l)

machine
printf 'input: %.1f MB zip, %d members (+10 in a nested zip)\n' "$in_mb" "$members"
printf '%-16s %8s %8s %10s\n' method seconds MB/s members/s
for method in clamscan mugai; do
  : > "$work/runs"
  for r in $(seq 1 "$rounds"); do
    rm -rf "$work/out" "$work/state"; mkdir -p "$work/out"
    case $method in
      clamscan) timed clamscan --no-summary -d "$work/sigs" "$in" >> "$work/runs" ;;
      mugai) timed "$mugai" sanitize -q --signatures "$work/sigs" --state "$work/state" \
               --out "$work/out" "$in" >> "$work/runs" ;;
    esac
  done
  if [ "$method" = mugai ]; then
    [ -f "$work/out/mixed.zip" ] || { echo "mugai delivered nothing" >&2; exit 1; }
  fi
  secs=$(median < "$work/runs")
  printf '%-16s %8.2f %8.2f %10.1f\n' "$method" "$secs" "$(echo "$in_mb / $secs" | bc -l)" \
    "$(echo "$members / $secs" | bc -l)"
done
