#!/bin/bash
# Benchmark: a 1 MiB PDF signed KYSO_BENCH_N (default 20) times through kyso-agent (kyso HTTP
# API, one HTTPS request each, like a web page) and with the `kyso sign` CLI, in the same run,
# same SoftHSM2 token, same fake pinentry (consent + PIN prompt in both). Prints the median
# wall time of each and the agent overhead per signature; then the peak RSS (VmHWM) of a fresh
# agent after it signed a 50 MiB PDF (streamed: body to disk, signed file from disk).
# Both make the same invisible PAdES B-B signature. The agent runs with --pin-cache
# ${KYSO_BENCH_PIN_CACHE:-0}: 0 = one dialog (consent + PIN), as the CLI's one PIN prompt; with
# the default (5) an unremembered PIN takes two dialogs (consent, then PIN), i.e. one more
# pinentry start per signature.
# Targets: agent overhead <= 20 ms per signature; agent peak RSS <= 64 MiB.
# Release (non-sanitized) build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
N=${KYSO_BENCH_N:-20}
bench_init bench-agent kyso kyso-agent
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
kh-bigpdf "$KH_TMP/1mb.pdf" --pages 4 --mb 1 >/dev/null
# the largest PDF the agent takes is 50 MiB; kh-bigpdf writes at least --mb MiB
kh-bigpdf "$KH_TMP/50mb.pdf" --pages 20 --mb 49.9 >/dev/null || kh-bigpdf "$KH_TMP/50mb.pdf" --pages 20 --mb 49 >/dev/null
size=$(stat -c %s "$KH_TMP/50mb.pdf")
echo "big PDF: $size bytes (limit 52428800)"
ORIGIN=http://127.0.0.1:9
start_agent() {
	PORT=$(kh_free_port)
	kh_bg "$KH_TMP/agent-$1.log" "$BENCH/bin/kyso-agent" --state-dir "$KH_TMP/state" --origin "$ORIGIN" \
		--pinentry "$KH_TMP/pinentry" --module "$KH_P11_MODULE" --token kyso-rsa \
		--kyso-port "$PORT" --vnpt-ports "" --vgca-port 0 --pin-cache "${KYSO_BENCH_PIN_CACHE:-0}"
	AGENT_PID=$KH_LAST_PID
	kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent-$1.log"
}
start_agent time
python3 - "$N" "$PORT" "$ORIGIN" "$BENCH/bin/kyso" "$KH_TMP" <<'PY'
import http.client, os, ssl, statistics, subprocess, sys, time
n, port, origin, kyso, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
pdf = open(os.path.join(tmp, "1mb.pdf"), "rb").read()
ctx = ssl._create_unverified_context()
def via_agent():
    t0 = time.perf_counter()
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)
    c.request("POST", "/v1/sign/pdf?document=bench.pdf", body=pdf,
              headers={"Origin": origin, "Host": "localhost", "Content-Type": "application/pdf"})
    r = c.getresponse(); body = r.read(); c.close()
    assert r.status == 200 and body.startswith(b"%PDF-"), (r.status, body[:200])
    return time.perf_counter() - t0
def via_cli():
    out = os.path.join(tmp, "cli.pdf")
    if os.path.exists(out): os.unlink(out)
    t0 = time.perf_counter()
    subprocess.run([kyso, "sign", os.path.join(tmp, "1mb.pdf"), "-o", out, "--module",
                    os.environ["KH_P11_MODULE"], "--token", "kyso-rsa", "--pinentry",
                    os.path.join(tmp, "pinentry")], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0
a, c = [], []
for i in range(n):          # take turns, so load changes hit both alike
    a.append(via_agent()); c.append(via_cli())
ma, mc = statistics.median(a), statistics.median(c)
print(f"1 MiB PDF x {n}: agent median {ma*1000:.0f} ms, kyso sign CLI median {mc*1000:.0f} ms")
print(f"agent overhead per signature: {(ma-mc)*1000:+.0f} ms (target <= 20 ms): "
      f"{'PASS' if ma - mc <= 0.020 else 'FAIL'}")
PY
kh_stop "$AGENT_PID"
start_agent rss
python3 - "$PORT" "$ORIGIN" "$KH_TMP/50mb.pdf" "$AGENT_PID" <<'PY'
import http.client, os, ssl, sys
port, origin, path, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
size = os.path.getsize(path)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context(), timeout=600)
with open(path, "rb") as f:
    c.request("POST", "/v1/sign/pdf?document=big.pdf", body=f,
              headers={"Origin": origin, "Host": "localhost", "Content-Type": "application/pdf",
                       "Content-Length": str(size)})
    r = c.getresponse()
    got = 0
    while True:
        b = r.read(1 << 20)
        if not b: break
        got += len(b)
assert r.status == 200 and got > size, (r.status, got)
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
mib = int(hwm) / 1024
print(f"50 MiB PDF ({size} bytes) signed by the agent: peak RSS {mib:.1f} MiB (target <= 64 MiB): "
      f"{'PASS' if mib <= 64 else 'FAIL'}")
PY
kh_stop "$AGENT_PID"
