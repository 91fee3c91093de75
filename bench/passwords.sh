#!/usr/bin/env bash
# Benchmark (issue 19): what opening a password-protected file costs, through one `mugai serve`
# with the real-size database. Per file: the median wall time of `mugai sanitize --service
# --password` (the whole pipeline: identify, scan, decrypt in a fresh decryption helper,
# process what came out, verify), beside the bare tool on the same file in the same run
# (`7z x -p`, `unar -p`, msoffcrypto-tool, or nothing for zip, which the worker decrypts
# itself) and the
# same content unencrypted through mugai. Usage: bench/passwords.sh [ROUNDS]
. "$(dirname "$0")/common.sh" 7z unar msoffcrypto-tool
rounds=${1:-15}
"$mugai" serve --socket "$work/mugai.sock" --signatures "$work/sigs" --state "$work/state" \
  2> "$work/serve.log" & serve_pid=$!
trap 'kill ${serve_pid:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 1500); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
grep -q listening "$work/serve.log" || { cat "$work/serve.log" >&2; exit 3; }

# Inputs: a 7z with encrypted headers and its unencrypted twin (the same ~1 MB of text and a
# page), an AES zip of the same, and Apache POI's encrypted workbook with its decrypted twin.
mkdir -p "$work/src/資料"
python3 - "$work/src" <<'PY'
import sys, random
random.seed(19)
words = ["会議", "資料", "ご確認", "ください", "予算", "報告", "議事録", "お知らせ"]
with open(sys.argv[1] + "/お知らせ.txt", "w", encoding="utf-8") as f:
    for _ in range(20000):
        f.write(" ".join(random.choice(words) for _ in range(8)) + "\n")
with open(sys.argv[1] + "/資料/page.html", "w") as f:
    f.write("<html><body><p>Agenda</p><script>alert(1)</script></body></html>\n")
PY
(cd "$work/src" && 7z a -bd -bso0 -t7z -psecret -mhe=on ../enc.7z . && 7z a -bd -bso0 -t7z ../plain.7z . &&
  7z a -bd -bso0 -tzip -psecret -mem=AES256 ../enc-aes.zip . && 7z a -bd -bso0 -tzip ../plain.zip .)
xlsx=../shared/corpora/apache-poi/spreadsheet/protected_passtika.xlsx
have_xlsx=0
if [ -f "$xlsx" ]; then
  cp "$xlsx" "$work/enc.xlsx"
  msoffcrypto-tool -p tika "$work/enc.xlsx" "$work/plain.xlsx" && have_xlsx=1
fi

through_mugai() {  # file [password]: median ms of sanitize through the service
  : > "$work/runs"
  for _ in $(seq 1 "$rounds"); do
    rm -rf "$work/out"
    timed "$mugai" sanitize -q --service "$work/mugai.sock" --out "$work/out" \
      ${2:+--password "$2"} "$1" >> "$work/runs"
  done
  printf '%.0f' "$(echo "$(median < "$work/runs") * 1000" | bc -l)"
}
bare() {  # command...: median ms
  : > "$work/runs"
  for _ in $(seq 1 "$rounds"); do
    rm -rf "$work/x"
    timed "$@" >> "$work/runs"
  done
  printf '%.0f' "$(echo "$(median < "$work/runs") * 1000" | bc -l)"
}
machine
echo "rounds: $rounds (median wall ms; sanitize through one mugai serve)"
printf '%-34s %10s %12s %12s\n' "input" "mugai pw" "bare tool" "unencrypted"
row() { printf '%-34s %10s %12s %12s\n' "$@"; }
row "7z, encrypted headers ($(stat -c %s "$work/enc.7z") B)" "$(through_mugai "$work/enc.7z" secret)" \
  "$(bare sh -c "echo secret | 7z x -bd -y -o$work/x $work/enc.7z")" "$(through_mugai "$work/plain.7z")"
row "zip, AES-256 ($(stat -c %s "$work/enc-aes.zip") B)" "$(through_mugai "$work/enc-aes.zip" secret)" \
  "$(bare 7z x -bd -y -psecret -o"$work/x" "$work/enc-aes.zip")" "$(through_mugai "$work/plain.zip")"
rar=../shared/corpora/recursive-extractor/archives
if [ -f "$rar/TestDataEncrypted.rar" ]; then
  row "rar 5, AES-256 (RE, $(stat -c %s "$rar/TestDataEncrypted.rar") B)" \
    "$(through_mugai "$rar/TestDataEncrypted.rar" TestData)" \
    "$(bare unar -q -f -o "$work/x" -p TestData "$rar/TestDataEncrypted.rar")" \
    "$(through_mugai "$rar/TestData.rar")"
else
  echo "rar row skipped: ../shared/corpora/recursive-extractor absent"
fi
if [ "$have_xlsx" = 1 ]; then
  row "xlsx, ECMA-376 (POI, $(stat -c %s "$work/enc.xlsx") B)" "$(through_mugai "$work/enc.xlsx" tika)" \
    "$(bare msoffcrypto-tool -p tika "$work/enc.xlsx" "$work/x.xlsx")" "$(through_mugai "$work/plain.xlsx")"
else
  echo "xlsx row skipped: ../shared/corpora/apache-poi absent"
fi
[ -n "$(ls "$work/out" 2>/dev/null)" ] || { echo "nothing was delivered: see $work/serve.log" >&2; exit 3; }
