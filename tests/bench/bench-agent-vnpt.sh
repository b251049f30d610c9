#!/bin/bash
# Benchmark: a 50 MiB PDF signed through the VNPT-CA Plugin protocol (signPdf, functionID 2:
# the PDF as base64 in one WebSocket text frame, the signed PDF back as base64 in the reply)
# against `kyso sign` of the same file, same SoftHSM2 token and fake pinentry, in the same run.
# Median of KYSO_BENCH_N (default 5) each, taken in turns; the agent's peak RSS (VmHWM) after
# the runs. Each result is checked by pdfsig before it counts.
# Targets: agent time <= 1.5 x CLI time; agent peak RSS <= 2 x file size.
# Release (non-sanitized) build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
N=${KYSO_BENCH_N:-5}
bench_init bench-agent-vnpt kyso kyso-agent
bench_harness
bench_token
cat >"$KH_TMP/pinentry" <<'PE'
#!/usr/bin/env bash
exec 2>/dev/null
echo "OK Pleased to meet you"
while IFS= read -r line; do
	case $line in
	GETPIN) printf 'D %s\nOK\n' "$BENCH_PIN" ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PE
chmod +x "$KH_TMP/pinentry"
# the largest PDF the agent takes is 50 MiB; kh-bigpdf writes at least --mb MiB
kh-bigpdf "$KH_TMP/50mb.pdf" --pages 20 --mb 49.9 >/dev/null || kh-bigpdf "$KH_TMP/50mb.pdf" --pages 20 --mb 49 >/dev/null
ORIGIN=http://127.0.0.1:9
PORT=$(kh_free_port)
kh_bg "$KH_TMP/agent.log" "$BENCH/bin/kyso-agent" --state-dir "$KH_TMP/state" --origin "$ORIGIN" \
	--pinentry "$KH_TMP/pinentry" --module "$KH_P11_MODULE" --token kyso-rsa \
	--kyso-port 0 --vnpt-ports "$PORT" --vgca-port 0 --pin-cache 0
AGENT_PID=$KH_LAST_PID
kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent.log"
PYTHONPATH=$KYSO_SRC/tests/agent python3 - "$N" "$PORT" "$ORIGIN" "$BENCH/bin/kyso" "$KH_TMP" "$AGENT_PID" <<'PY'
import base64, json, os, statistics, subprocess, sys, time
from wsclient import WS
n, port, origin, kyso, tmp, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
src = os.path.join(tmp, "50mb.pdf")
size = os.path.getsize(src)
def pdfsig_ok(path):
    r = subprocess.run(["pdfsig", path], capture_output=True, text=True)
    return r.returncode == 0 and "Signature is Valid" in r.stdout
def via_agent():
    t0 = time.perf_counter()
    data = base64.b64encode(open(src, "rb").read()).decode()
    ws = WS(port, "/plugin", origin, host_header="localhost:%d" % port, timeout=600)
    ws.buf = bytearray(ws.buf)  # a 67 MB reply: grow in place, not by copies
    ws.send(json.dumps({"functionID": 2, "funcCallback": "callbackDefault", "args": [data],
                        "domain": "127.0.0.1"}))
    reply = ws.recv()
    ws.close()
    res, cb = reply.split("*")[:2]
    r = json.loads(res)
    out = os.path.join(tmp, "agent.pdf")
    with open(out, "wb") as f:
        f.write(base64.b64decode(r["data"]))
    t = time.perf_counter() - t0
    assert cb == "callbackDefault" and r["code"] == 0 and pdfsig_ok(out), (reply[:300], out)
    return t
def via_cli():
    out = os.path.join(tmp, "cli.pdf")
    if os.path.exists(out): os.unlink(out)
    t0 = time.perf_counter()
    subprocess.run([kyso, "sign", src, "-o", out, "--module", os.environ["KH_P11_MODULE"], "--token",
                    "kyso-rsa", "--pinentry", os.path.join(tmp, "pinentry")], check=True,
                   stdout=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    assert pdfsig_ok(out), out
    return t
a, c = [], []
for i in range(n):
    a.append(via_agent()); c.append(via_cli())
ma, mc = statistics.median(a), statistics.median(c)
hwm = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]) * 1024
print(f"50 MiB PDF ({size} bytes) x {n}: VNPT signPdf over wss median {ma:.2f} s, kyso sign CLI median {mc:.2f} s")
print(f"ratio agent/CLI {ma/mc:.2f} (target <= 1.5): {'PASS' if ma <= 1.5 * mc else 'FAIL'}")
print(f"agent peak RSS {hwm/1048576:.0f} MiB = {hwm/size:.2f} x file size (target <= 2): "
      f"{'PASS' if hwm <= 2 * size else 'FAIL'}")
PY
kh_stop "$AGENT_PID"
