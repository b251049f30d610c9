#!/bin/bash
# Benchmark (issue 18): kyso-agent under load on loopback. 50 clients, one WebSocket each
# (kyso API), 1000 requests in all, taking turns between the certificate list and a hash
# signature with the PIN cache on (the first signature asks the PIN and remembers it; every
# signature still shows the consent dialog: a fake pinentry). Every answer is checked (id,
# ok, a signature); none may be lost, the agent must survive. Reports throughput, p50/p99
# latency and the agent's peak RSS; the peer is the same requests sent one at a time by one
# client (no concurrency). The 50 clients share one Origin: the agent runs with
# --max-per-origin 64 (default 32). Bounded: the whole run must end within 600 s.
# Release (non-sanitized) build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_init bench-agent-load kyso-agent
bench_harness
bench_token
bench_pinentry_remember
ORIGIN=http://127.0.0.1:9
PORT=$(kh_free_port)
kh_bg "$KH_TMP/agent.log" "$BENCH/bin/kyso-agent" --state-dir "$KH_TMP/state" --origin "$ORIGIN" \
	--pinentry "$KH_TMP/pinentry-remember" --module "$KH_P11_MODULE" --token kyso-rsa \
	--kyso-port "$PORT" --vnpt-ports "" --vgca-port 0 --pin-cache 30 --queue 100 --max-per-origin 64
AGENT_PID=$KH_LAST_PID
kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent.log"
timeout 600 python3 - "$PORT" "$ORIGIN" "$AGENT_PID" "${KYSO_BENCH_CLIENTS:-50}" "${KYSO_BENCH_REQUESTS:-1000}" <<'PY'
import json, os, statistics, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["KYSO_SRC"], "tests", "agent"))
sys.path.insert(0, os.path.join(os.environ["KYSO_SRC"], "tests", "bench"))
import benchlib
from wsclient import WS
port, origin, pid, nclients, nreq = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def ask(ws, i):
    if i % 2:
        req = {"id": i, "op": "sign_hash", "hash": "%064x" % i, "document": "load-%d" % i}
    else:
        req = {"id": i, "op": "certificates"}
    t0 = time.perf_counter()
    ws.send(json.dumps(req))
    r = json.loads(ws.recv())
    dt = time.perf_counter() - t0
    ok = r.get("ok") and r.get("id") == i and (
        r["signatures"][0]["signature"] if i % 2 else r["certificates"][0]["certificate"])
    if not ok:
        raise AssertionError("request %d: %s" % (i, str(r)[:300]))
    return dt
warm = WS(port, "/v1/ws", origin, timeout=120)
ask(warm, 1)  # the PIN is asked once and remembered
# the peer: one client, one request at a time
seq_n = min(100, nreq)
t0 = time.perf_counter()
seq = [ask(warm, 10001 + i) for i in range(seq_n)]
seq_tp = seq_n / (time.perf_counter() - t0)
warm.close()
lat, errors, lock = [], [], threading.Lock()
todo = list(range(2, nreq + 2))
def client():
    try:
        ws = WS(port, "/v1/ws", origin, timeout=120)
    except Exception as e:  # noqa: BLE001
        with lock:
            errors.append("connect: " + repr(e)[:200])
        return
    while True:
        with lock:
            if not todo:
                break
            i = todo.pop()
        try:
            d = ask(ws, i)
            with lock:
                lat.append(d)
        except Exception as e:  # noqa: BLE001 - every failure is counted, then reported
            with lock:
                errors.append(repr(e)[:200])
            ws = WS(port, "/v1/ws", origin, timeout=120)
    ws.close()
t0 = time.perf_counter()
th = [threading.Thread(target=client) for _ in range(nclients)]
for t in th: t.start()
for t in th: t.join()
wall = time.perf_counter() - t0
alive = os.path.exists("/proc/%d" % pid)
hwm = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]) / 1024
lat.sort()
p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
tp = len(lat) / wall
print(f"{nclients} clients, {nreq} requests (certificates + sign_hash, PIN cached): {len(lat)} answered, "
      f"{len(errors)} lost/failed, in {wall:.1f} s: {tp:.0f} req/s (one client alone: {seq_tp:.0f} req/s)")
print(f"latency p50 {p50*1000:.0f} ms, p99 {p99*1000:.0f} ms; agent peak RSS {hwm:.0f} MiB; agent alive: {alive}")
ok = not errors and len(lat) == nreq and alive
print("no request lost, no crash: " + ("MET" if ok else "MISSED " + "; ".join(errors[:3])))
benchlib.record("agent load: %d clients x %d requests, throughput (req/s)" % (nclients, nreq), tp,
                ("one client", seq_tp), None, None, None, "req/s",
                note="%d lost; p50 %.0f ms, p99 %.0f ms" % (len(errors), p50 * 1000, p99 * 1000))
benchlib.record("agent load: p99 latency", p99 * 1000, None, None, None, None, "ms")
benchlib.record("agent load: peak RSS", hwm, None, None, None, 64.0, "MiB")
sys.exit(0 if ok else 1)
PY
kh_stop "$AGENT_PID"
