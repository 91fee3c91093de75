#!/usr/bin/env python3
"""SMTP load for bench/milter_postfix.sh: sends one message file COUNT times to 127.0.0.1:PORT
from THREADS connections in parallel, one SMTP transaction per message, and prints messages/s
and the latency of each transaction (connect to 250 after DATA): p50 and p99 in ms, plus how
many were accepted, rejected or deferred."""
import smtplib
import sys
import threading
import time

port, path, count, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
message = open(path, "rb").read()
lat, codes, lock = [], {"ok": 0, "5xx": 0, "4xx": 0, "err": 0}, threading.Lock()
todo = list(range(count))


def worker():
    while True:
        with lock:
            if not todo:
                return
            todo.pop()
        t0 = time.monotonic()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
                s.sendmail("bench@example.jp", ["to@example.jp"], message)
            kind = "ok"
        except smtplib.SMTPResponseException as e:
            kind = "5xx" if e.smtp_code >= 500 else "4xx"
        except smtplib.SMTPRecipientsRefused:
            kind = "5xx"
        except Exception:
            kind = "err"
        with lock:
            lat.append(time.monotonic() - t0)
            codes[kind] += 1


start = time.monotonic()
ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.monotonic() - start
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print("%8.1f %8.1f %8.1f   ok=%d 5xx=%d 4xx=%d err=%d" %
      (count / elapsed, p(0.5), p(0.99), codes["ok"], codes["5xx"], codes["4xx"], codes["err"]))
