#!/usr/bin/env bash
# Benchmark/check (issue 20): every Word, Excel and PowerPoint file of ../shared/corpora, sanitised
# with the OOXML allow-list through one `mugai serve` (real-size database), then the input and
# the delivered output both opened by LibreOffice (converted to PDF) and their text compared
# (pdftotext, whitespace folded). Prints each file whose visible text changed, and the count.
# Usage: bench/ooxml_visible_text.sh
. "$(dirname "$0")/common.sh" soffice pdftotext python3
corpora=../shared/corpora
[ -d "$corpora" ] || { echo "$corpora absent" >&2; exit 2; }
"$mugai" serve --socket "$work/mugai.sock" --signatures "$work/sigs" --state "$work/state" \
  2> "$work/serve.log" & serve_pid=$!
trap 'kill ${serve_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
mkdir -p "$work/in" "$work/out" "$work/pdf-in" "$work/pdf-out"
n=0
find "$corpora" -type f \( -iname '*.docx' -o -iname '*.xlsx' -o -iname '*.pptx' -o -iname '*.docm' \
  -o -iname '*.xlsm' -o -iname '*.pptm' \) -print0 | while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$work/in/$n-$(basename "$f")"
done
"$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/out" --report "$work/report.json" \
  "$work"/in/* >/dev/null 2>&1 || true
lo() { soffice -env:UserInstallation=file://$work/lo --headless --convert-to pdf --outdir "$1" "$2" >/dev/null 2>&1 || true; }
machine
/usr/bin/python3 - "$work" <<'PY' > "$work/pairs"
import json, sys, os
w = sys.argv[1]
for item in json.load(open(w + "/report.json"))["items"]:
    if item["verdict"] == "blocked" or not item.get("outputs"):
        continue
    print(item["name"] + "\t" + os.path.basename(item["outputs"][0]["path"]) if "path" in item["outputs"][0] else item["name"] + "\t" + item["outputs"][0]["name"])
PY
same=0; changed=0; total=0
while IFS=$'\t' read -r name out; do
  total=$((total + 1))
  lo "$work/pdf-in" "$work/in/$name"
  lo "$work/pdf-out" "$work/out/$out"
  a="$work/pdf-in/${name%.*}.pdf"; b="$work/pdf-out/${out%.*}.pdf"
  ta=$( [ -f "$a" ] && pdftotext "$a" - 2>/dev/null | tr -s '[:space:]' ' ' )
  tb=$( [ -f "$b" ] && pdftotext "$b" - 2>/dev/null | tr -s '[:space:]' ' ' )
  if [ "$ta" = "$tb" ]; then same=$((same + 1)); else changed=$((changed + 1)); echo "visible text changed: $name"; fi
done < "$work/pairs"
echo "delivered OOXML documents: $total; same visible text in LibreOffice: $same; changed: $changed"
