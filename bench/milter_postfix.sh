#!/usr/bin/env bash
# Benchmark (issue 6): mail through a private Postfix instance (loopback, its own config and
# queue, a local sink as next hop), same messages, same signatures, same run:
#   - no milter (Postfix alone: the baseline for added latency)
#   - clamav-milter + clamd (scan only)
#   - mugai milter (full sanitisation), in-process and as a client of `mugai serve`
# Workloads: 1,000 text-only messages and 200 messages with a ~200 KB PDF attachment, sent
# from 4 parallel SMTP clients. Prints messages/s and per-transaction latency p50/p99 (ms).
# Needs root (Postfix), postfix, clamav-daemon, clamav-milter (scripts/install-deps).
text_count=${1:-1000}
pdf_count=${2:-200}
. "$(dirname "$0")/common.sh" postfix clamd clamav-milter pdftocairo
[ "$(id -u)" -eq 0 ] || { echo "run as root (a private Postfix instance)" >&2; exit 2; }
chmod 755 "$work"
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
smtpd=$(port); sinkp=$(port); milterp=$(port)

# Messages
python3 bench/make_pdf_inputs.py "$work/s.pdf" 40 >/dev/null
pdftocairo -pdf "$work/s.pdf" "$work/att.pdf"
python3 - "$work" <<'PY'
import base64, sys
w = sys.argv[1]
head = "From: sender@example.com\r\nTo: to@example.jp\r\nSubject: bench\r\nMIME-Version: 1.0\r\n"
body = "令和8年度の予算要求について、各課は別添様式により提出してください。\r\n" * 20
open(w + "/text.eml", "wb").write((head + "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\n" + body).encode())
pdf = base64.encodebytes(open(w + "/att.pdf", "rb").read()).decode().replace("\n", "\r\n")
open(w + "/pdf.eml", "wb").write((head + 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
    '--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\n" + pdf + "--B--\r\n").encode())
PY

# The sink (next hop)
python3 - "$sinkp" > "$work/sink.log" 2>&1 <<'PY' &
import asyncore, smtpd, sys, warnings
warnings.filterwarnings("ignore")
class Sink(smtpd.SMTPServer):
    def process_message(self, *a, **k): return None
Sink(("127.0.0.1", int(sys.argv[1])), None, decode_data=False)
asyncore.loop()
PY
sink_pid=$!

# Postfix
mkdir -p "$work/pf/etc" "$work/pf/queue" "$work/pf/data"
chown postfix "$work/pf/data"
postfix_conf() {  # $1 = smtpd_milters value ("" for none)
  cat > "$work/pf/etc/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $work/pf/queue
data_directory = $work/pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mugai-bench.localdomain
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$sinkp
smtp_tls_security_level = none
smtpd_milters = $1
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 300s
maillog_file = $work/pf/maillog
maillog_file_prefixes = $work
alias_maps =
alias_database =
message_size_limit = 52428800
default_process_limit = 100
EOF2
  sed "s/^smtp      inet.*/127.0.0.1:$smtpd inet n - n - - smtpd/" /usr/share/postfix/master.cf.dist \
    > "$work/pf/etc/master.cf"
}
postfix_conf ""
postfix -c "$work/pf/etc" start >/dev/null
trap 'postfix -c "$work/pf/etc" abort >/dev/null 2>&1; kill $sink_pid ${milter_pid:-} ${clamd_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
sleep 2

run() {  # label
  for w in text pdf; do
    n=$([ $w = text ] && echo "$text_count" || echo "$pdf_count")
    printf '%-16s %-5s %5d ' "$1" "$w" "$n"
    python3 bench/smtp_load.py "$smtpd" "$work/$w.eml" "$n" 4
  done
}
reload_with() { postfix_conf "$1"; postfix -c "$work/pf/etc" reload >/dev/null 2>&1; sleep 2; }

machine
printf '%-16s %-5s %5s %8s %8s %8s\n' setup load msgs msg/s p50ms p99ms
run "postfix-only"

# clamav-milter + clamd, same signatures
cat > "$work/clamd.conf" <<EOF2
LocalSocket $work/clamd.sock
DatabaseDirectory $work/sigs
Foreground yes
LogFile $work/clamd.log
PidFile $work/clamd.pid
MaxThreads 4
EOF2
clamd -c "$work/clamd.conf" & clamd_pid=$!
for i in $(seq 1 1500); do [ -S "$work/clamd.sock" ] && break; sleep 0.2; done  # a real-size database loads for ~20 s
cat > "$work/clamav-milter.conf" <<EOF2
MilterSocket inet:$milterp@127.0.0.1
ClamdSocket unix:$work/clamd.sock
Foreground yes
OnInfected Reject
OnFail Defer
LogFile $work/clamav-milter.log
MaxFileSize 50M
EOF2
clamav-milter -c "$work/clamav-milter.conf" & milter_pid=$!
sleep 2
reload_with "inet:127.0.0.1:$milterp"
run "clamav-milter"
mem_of clamd "$clamd_pid"
kill $milter_pid; wait $milter_pid 2>/dev/null || true

# mugai milter
"$mugai" milter --socket "inet:$milterp@127.0.0.1" --signatures "$work/sigs" --state "$work/state" \
  2> "$work/mugai-milter.log" & milter_pid=$!
for i in $(seq 1 1500); do grep -q listening "$work/mugai-milter.log" 2>/dev/null && break; sleep 0.2; done
reload_with "inet:127.0.0.1:$milterp"
run "mugai-milter"
mem_of mugai-milter "$milter_pid"
kill $milter_pid; wait $milter_pid 2>/dev/null || true

# mugai milter handing every message to `mugai serve` (one engine on the host)
"$mugai" serve --socket "$work/mugai.sock" --signatures "$work/sigs" --state "$work/state-serve" \
  2> "$work/mugai-serve.log" & serve_pid=$!
trap 'postfix -c "$work/pf/etc" abort >/dev/null 2>&1; kill $sink_pid ${milter_pid:-} ${clamd_pid:-} ${serve_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 1500); do grep -q listening "$work/mugai-serve.log" 2>/dev/null && break; sleep 0.2; done
"$mugai" milter --socket "inet:$milterp@127.0.0.1" --service "$work/mugai.sock" \
  --state "$work/state-milter" 2> "$work/mugai-milter2.log" & milter_pid=$!
for i in $(seq 1 100); do grep -q listening "$work/mugai-milter2.log" 2>/dev/null && break; sleep 0.2; done
reload_with "inet:127.0.0.1:$milterp"
run "milter+serve"
mem_of "mugai serve" "$serve_pid"
mem_of "milter (client)" "$milter_pid"

# The host with every front end of issue 15 at once: the service, the milter and a watcher
# as its clients, and a one-shot command (its RSS sampled while it runs).
mkdir -p "$work/inbox" "$work/outbox"
"$mugai" watch --service "$work/mugai.sock" --in "$work/inbox" --out "$work/outbox" \
  2> "$work/mugai-watch.log" & watch_pid=$!
trap 'postfix -c "$work/pf/etc" abort >/dev/null 2>&1; kill $sink_pid ${milter_pid:-} ${clamd_pid:-} ${serve_pid:-} ${watch_pid:-} 2>/dev/null; rm -rf "$work"' EXIT
sleep 2
cp fixtures/text/utf8.txt "$work/inbox/memo.txt"
for i in $(seq 1 100); do [ -e "$work/outbox/memo.txt" ] && break; sleep 0.1; done
[ -e "$work/outbox/memo.txt" ] || echo "watch (client) delivered nothing: $(cat "$work/mugai-watch.log")" >&2
mem_of "watch (client)" "$watch_pid"
one_shot_kib=$( { /usr/bin/time -f '%M' "$mugai" sanitize -q --service "$work/mugai.sock" \
  --out "$work/one" fixtures/text/utf8.txt >/dev/null; } 2>&1 | tail -1)
printf '%-22s RSS %5d MiB (peak of one mugai sanitize --service)\n' "one-shot (client)" $((one_shot_kib / 1024))
mem_of "host: serve+milter+watch" "$serve_pid $milter_pid $watch_pid"
kill $watch_pid; wait $watch_pid 2>/dev/null || true

# A signature reload under steady text mail: SIGHUP to the service 3 s into the run. The
# scanner loads a second engine at SCHED_IDLE beside the first and swaps it in; the line
# below counts 4xx (must be 0) and gives p99 against the steady run's above.
printf '%-16s %-5s %5d ' "serve+SIGHUP" text "$text_count"
python3 bench/smtp_load.py "$smtpd" "$work/text.eml" "$text_count" 4 > "$work/reload.out" & load=$!
sleep 3
hup_at=$(date +%s)
kill -HUP "$serve_pid"
(for i in $(seq 1 1800); do
   grep -q "signatures reloaded" "$work/mugai-serve.log" && { date +%s > "$work/reloaded"; break; }
   sleep 0.5
 done) & poller=$!
wait $load
load_end=$(date +%s)
cat "$work/reload.out"
wait $poller
done_at=$(cat "$work/reloaded" 2>/dev/null || echo 0)
if [ "$done_at" -gt 0 ]; then
  printf 'reload: engine swapped %d s after SIGHUP (the load ended %d s after it)\n' \
    $((done_at - hup_at)) $((load_end - hup_at))
else
  echo "reload: not finished 900 s after SIGHUP"
fi
# The floor for the PDF mail: one pdftocairo -pdf per core on the same PDF.
n=20
start=$(date +%s.%N)
floor_pids=""
for c in $(seq 1 "$(nproc)"); do
  (for i in $(seq 1 $n); do pdftocairo -pdf "$work/att.pdf" "$work/floor-$c.pdf"; done) &
  floor_pids="$floor_pids $!"
done
wait $floor_pids  # not a bare wait: the service, the milter and clamd are children too
end=$(date +%s.%N)
printf 'pdftocairo floor: %.1f PDFs/s (%s per core, %d cores, %s pages)\n' \
  "$(echo "$n * $(nproc) / ($end - $start)" | bc -l)" "$n" "$(nproc)" "$(pdfinfo "$work/att.pdf" | awk '/^Pages/ {print $2}')"
