#!/usr/bin/env python3
"""Keep-alive load generator for `kyso reports serve` (tests and benchmark).
Usage: reports_load.py THREADS OUT.json URL[,URL2...] FILE...
Each thread keeps one HTTP/1.1 connection per collector and uploads its share of
the files (thread i takes files i, i+THREADS, ...; with several URLs, file k goes
to URL k % len(URLs)). A 429/503 answer is retried after its Retry-After; a
connection error is recorded as not acknowledged. Writes
{acked: {id: status}, failed: [file...], created: N, known: N, seconds, p99_ms}."""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

threads, out, urls, files = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
token = os.environ["KYSO_REPORT_TOKEN"]
lock = threading.Lock()
acked, failed, lat, counts = {}, [], [], {200: 0, 201: 0}


def conn(u):
    p = urllib.parse.urlsplit(u)
    return http.client.HTTPConnection(p.hostname, p.port, timeout=60), p.path


def worker(k):
    cs = {}
    for i in range(k, len(files), threads):
        u = urls[i % len(urls)]
        body = open(files[i], "rb").read()
        ctype = "application/zip" if body[:2] == b"PK" else "application/json"
        for attempt in range(50):
            if u not in cs:
                cs[u] = conn(u)
            c, path = cs[u]
            t0 = time.perf_counter()
            try:
                c.request("POST", path, body, {"Authorization": "Bearer " + token,
                                                "Content-Type": ctype})
                r = c.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                c.close()
                del cs[u]
                with lock:
                    failed.append(files[i])
                break
            dt = time.perf_counter() - t0
            if r.status in (429, 503):
                c.close()
                del cs[u]
                time.sleep(min(float(r.getheader("Retry-After", "1")), 2) / 10)
                continue
            with lock:
                lat.append(dt)
                if r.status in (200, 201):
                    acked[json.loads(data)["id"]] = r.status
                    counts[r.status] += 1
                else:
                    failed.append(files[i])
            break


t0 = time.perf_counter()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
secs = time.perf_counter() - t0
lat.sort()
res = {"acked": acked, "failed": failed, "seconds": secs,
       "created": counts[201], "known": counts[200],
       "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else None}
json.dump(res, open(out, "w"))
