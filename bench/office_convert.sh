#!/usr/bin/env bash
# Benchmark (issue 4): legacy Word 97 documents — a one-page Japanese memo
# (fixtures/office/memo-ja.doc) and ~10 pages of Japanese text with a table — to PDF — with mugai's warm LibreOffice pool, and with a cold `soffice --headless --convert-to
# pdf` (a new LibreOffice process per document, its profile already created), in the same
# run. Goal: warm at least 5x faster than cold. Also the whole pipeline per document with
# the pool warm, and a one-shot `mugai sanitize` (which starts its pool cold).
rounds=${1:-20}
. "$(dirname "$0")/common.sh" soffice bc
bin=build/bench/office_convert
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 2; }
/usr/bin/python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
line = "令和8年度の予算要求について、各課は別添様式により期限までに提出してください。"
paras = "".join("<p>%s %d</p>" % (line * 4, i) for i in range(120))
rows = "".join("<tr><td>項目%d</td><td>%d</td><td>%s</td></tr>" % (i, i * 1000, "備考") for i in range(60))
open(w + "/bench.html", "w", encoding="utf-8").write(
    "<html><head><meta charset='utf-8'></head><body><h1>予算要求の手引き</h1>" + paras +
    "<table border='1'>" + rows + "</table></body></html>")
PY
profile="file://$work/lo-profile"
soffice --headless "-env:UserInstallation=$profile" --convert-to 'doc:MS Word 97' \
  --outdir "$work" "$work/bench.html" >/dev/null 2>&1
[ -s "$work/bench.doc" ] || { echo "could not make the .doc" >&2; exit 1; }
cp fixtures/office/memo-ja.doc "$work/memo.doc"  # a one-page memo with Japanese text
machine
soffice --version | head -1
for doc in "$work/memo.doc" "$work/bench.doc"; do
  name=$(basename "$doc")
  echo
  printf 'document: %s, %d bytes (Word 97)\n' "$name" "$(stat -c %s "$doc")"
  : > "$work/runs"
  for r in $(seq 1 5); do
    rm -rf "$work/cold"
    /usr/bin/time -f '%e' -o "$work/t" soffice --headless "-env:UserInstallation=$profile" \
      --convert-to pdf --outdir "$work/cold" "$doc" >/dev/null 2>&1
    [ -s "$work/cold/${name%.doc}.pdf" ] || { echo "cold soffice made no PDF" >&2; exit 1; }
    cat "$work/t" >> "$work/runs"
  done
  cold=$(echo "$(median < "$work/runs") * 1000" | bc -l)
  printf 'cold soffice --convert-to pdf: %.0f ms per document (median of 5)\n' "$cold"
  rm -rf "$work/state"
  "$bin" "$doc" "$rounds" "$work/state" "$work/sigs" | tee "$work/warm.txt"
  warm=$(sed -n 's/^warm converter.*median \([0-9.]*\) ms.*/\1/p' "$work/warm.txt")
  printf 'warm pool vs cold soffice: %.1fx faster\n' "$(echo "$cold / $warm" | bc -l)"
  ms=$(sanitize_ms 3 "$doc")
  printf 'one-shot mugai sanitize (its pool started cold): %s ms (median of 3), output %s\n' \
    "$ms" "$(ls "$work/out")"
done
