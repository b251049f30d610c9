#!/bin/bash
# Benchmark: a 50 MiB PDF signed through the VNPT-CA Plugin protocol (signPdf, functionID 2:
# the PDF as base64 in one WebSocket text frame, the signed PDF back as base64 in the reply)
# against `kyso sign` of the same file, same SoftHSM2 token and fake pinentry, in the same run.
# Median of KYSO_BENCH_N (default 5) each, taken in turns; the agent's peak RSS (VmHWM) after
# the runs. Each result is checked by pdfsig before it counts. Two times: from the frame sent
# to the answer received (what the agent does), and with the client's own base64 and file work.
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
PYTHONPATH=$KYSO_SRC/tests/agent:$KYSO_SRC/tests/bench python3 - "$N" "$PORT" "$ORIGIN" "$BENCH/bin/kyso" "$KH_TMP" "$AGENT_PID" <<'PY'
import base64, json, os, statistics, struct, subprocess, sys, time
import benchlib
from wsclient import WS
n, port, origin, kyso, tmp, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
src = os.path.join(tmp, "50mb.pdf")
size = os.path.getsize(src)
def pdfsig_ok(path):
    r = subprocess.run(["pdfsig", path], capture_output=True, text=True)
    return r.returncode == 0 and "Signature is Valid" in r.stdout
def recv_msg(ws):
    """one text message, linear in its size (a browser is; wsclient.recv is not meant
    for 67 MB)"""
    out = bytearray()
    buf = bytearray(ws.buf)
    ws.buf = b""
    chunk = bytearray(1 << 20)
    def need(k):
        nonlocal buf
        while len(buf) < k:
            got = ws.s.recv_into(chunk)
            if not got:
                raise EOFError
            buf += chunk[:got]
        head = bytes(buf[:k]); del buf[:k]
        return head
    while True:
        b0, b1 = need(2)
        m = b1 & 0x7f
        if m == 126: m = struct.unpack("!H", need(2))[0]
        elif m == 127: m = struct.unpack("!Q", need(8))[0]
        # payload: what is buffered, then straight from the socket
        take = min(m, len(buf)); out += buf[:take]; del buf[:take]; m -= take
        while m > 0:
            got = ws.s.recv_into(chunk, min(m, len(chunk)))
            if not got:
                raise EOFError
            out += chunk[:got]; m -= got
        if b0 & 0x80:
            return out
def via_agent():
    t0 = time.perf_counter()
    data = base64.b64encode(open(src, "rb").read())
    frame = b'{"functionID":2,"funcCallback":"callbackDefault","args":["' + data + b'"],"domain":"127.0.0.1"}'
    ws = WS(port, "/plugin", origin, host_header="localhost:%d" % port, timeout=600)
    t1 = time.perf_counter()
    ws.send_frame(1, frame)
    reply = recv_msg(ws)
    t2 = time.perf_counter()
    ws.close()
    star = reply.rindex(b"*")
    r = json.loads(bytes(reply[:star]))
    out = os.path.join(tmp, "agent.pdf")
    with open(out, "wb") as f:
        f.write(base64.b64decode(r["data"]))
    t3 = time.perf_counter()
    assert reply[star + 1:] == b"callbackDefault" and r["code"] == 0 and pdfsig_ok(out), (reply[:300], out)
    return t3 - t0, t2 - t1
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
e2e, exch, c = [], [], []
for i in range(n):
    a, x = via_agent(); e2e.append(a); exch.append(x); c.append(via_cli())
me, mx, mc = statistics.median(e2e), statistics.median(exch), statistics.median(c)
hwm = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]) * 1024
mib = hwm / 1048576
print(f"50 MiB PDF ({size} bytes) x {n}: VNPT signPdf over wss: frame sent -> answer received "
      f"median {mx:.2f} s; with the client's base64 and file work {me:.2f} s; kyso sign CLI median {mc:.2f} s")
print(f"ratio exchange/CLI {mx/mc:.2f} (target <= 1.5): {'MET' if mx <= 1.5 * mc else 'MISSED'}")
print(f"ratio end-to-end/CLI {me/mc:.2f} (target <= 1.5): {'MET' if me <= 1.5 * mc else 'MISSED'}")
print(f"agent peak RSS {mib:.0f} MiB = {hwm/size:.2f} x file size (target <= 2): "
      f"{'MET' if hwm <= 2 * size else 'MISSED'}")
benchlib.record("agent VNPT signPdf 50 MiB (wss, frame -> answer)", mx, ("kyso sign CLI", mc),
                None, "peer", 1.5, note="median of %d" % n)
benchlib.record("agent VNPT signPdf 50 MiB (incl. client base64 + files)", me, ("kyso sign CLI", mc),
                None, "peer", 1.5, note="median of %d" % n)
benchlib.record("agent peak RSS, VNPT signPdf 50 MiB", mib, None, None,
                ("file size MiB", size / 1048576), 2.0, "MiB")
PY
kh_stop "$AGENT_PID"
