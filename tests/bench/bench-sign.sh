#!/bin/bash
# Benchmark: `kyso sign` with a SoftHSM2 token on a 50 MiB PDF (20 pages of incompressible
# images) and on a 5,000-page PDF, beside `mutool sign` (on a copy with a pre-made empty
# signature field, PKCS#12 of the same key) and `pdfsig -add-signature` (NSS db with the
# same key), measured in the same run: median wall time of KYSO_BENCH_RUNS (default 5) runs
# each (the tools take turns), median user+sys CPU time, and the peak RSS (/usr/bin/time -v,
# largest of the runs). On a busy machine wall time mostly measures the run queue; CPU time is
# printed beside it.
# Targets: kyso time <= 1.0x mutool's, kyso peak RSS <= 16 MiB, time per MiB not growing
# with the file size. kyso comes from a non-sanitized Release build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS=${KYSO_BENCH_RUNS:-5}
# everything: `kyso` may exec a per-command program (libexec/kyso/kyso-sign)
bench_init bench-sign
bench_harness
for t in mutool pdfsig pk12util /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench-sign: $t missing (./dev deps)" >&2; exit 1; }
done

bench_token
NSS=$KH_TMP/nss
mkdir -p "$NSS"
certutil -N -d "sql:$NSS" --empty-password
pk12util -i "$KH_PKI_SIGNER_RSA_P12" -d "sql:$NSS" -W 1234 >/dev/null
NICK=$(certutil -L -d "sql:$NSS" | sed -n 's/ *u,u,u$//p' | head -n 1)

F=$KH_TMP/files
mkdir -p "$F"
kh-bigpdf "$F/big-50mb.pdf" --pages 20 --mb 50 >/dev/null
kh-bigpdf "$F/pages-5000.pdf" --pages 5000 >/dev/null

python3 - "$RUNS" "$BENCH/bin/kyso" "$F" "$NSS" "$NICK" "$KYSO_SRC/tests/bench/add-sig-field.py" <<'PY'
import os, re, statistics, subprocess, sys, time

runs, kyso, fdir, nss, nick, addfield = int(sys.argv[1]), *sys.argv[2:]
env = os.environ
module, p12 = env["KH_P11_MODULE"], env["KH_PKI_SIGNER_RSA_P12"]

def run1(cmd, out):
    if os.path.exists(out):
        os.unlink(out)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0 or (out and not os.path.exists(out)):
        sys.exit("bench-sign: failed: %s\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    cpu = sum(float(re.search(r"%s time \(seconds\): ([0-9.]+)" % k, p.stderr).group(1))
              for k in ("User", "System"))
    return dt, rss / 1024.0, cpu

def measure_all(cmds):
    """cmds: {tool: (argv, out)}; the tools take turns in every round, so a busy machine
    slows them alike. Returns {tool: (median s, peak MiB)}."""
    t = {k: [] for k in cmds}
    r = {k: [] for k in cmds}
    c = {k: [] for k in cmds}
    for _ in range(runs):
        for k, (argv, out) in cmds.items():
            dt, rss, cpu = run1(argv, out)
            t[k].append(dt)
            r[k].append(rss)
            c[k].append(cpu)
    return {k: (statistics.median(t[k]), max(r[k]), statistics.median(c[k])) for k in cmds}

def valid(pdf):
    o = subprocess.run(["pdfsig", "-nssdir", "sql:" + nss, pdf], capture_output=True, text=True).stdout
    return "Signature is Valid." in o

ok = True
rows = []
per_mib = {}
for name in ("big-50mb.pdf", "pages-5000.pdf"):
    src = os.path.join(fdir, name)
    mib = os.path.getsize(src) / 1048576.0
    field = os.path.join(fdir, "field-" + name)
    obj = subprocess.run(["python3", addfield, src, field], capture_output=True, text=True,
                         check=True).stdout.strip()
    outk = os.path.join(fdir, "kyso-" + name)
    outm = os.path.join(fdir, "mutool-" + name)
    outp = os.path.join(fdir, "pdfsig-" + name)
    res = measure_all({
        "kyso sign": ([kyso, "sign", src, "-o", outk, "--module", module, "--token", "kyso-rsa",
                       "--pin-env", "BENCH_PIN"], outk),
        "mutool sign": (["mutool", "sign", "-s", p12, "-P", "1234", "-o", outm, field, obj], outm),
        "pdfsig -add-signature": (["pdfsig", "-nssdir", "sql:" + nss, "-add-signature", "-nick",
                                   nick, src, outp], outp),
    })
    for out, tool in ((outk, "kyso"), (outm, "mutool"), (outp, "pdfsig")):
        if not valid(out):
            print("bench-sign: %s output of %s is not a valid signature" % (tool, name))
            ok = False
    for tool, (t, r, c) in res.items():
        rows.append((name, "%.1f MiB" % mib, tool, t, r, c))
    kt, kr, kc = res["kyso sign"]
    mt, _, mc = res["mutool sign"]
    per_mib[name] = (kt / mib, mib)
    ratio = kt / mt
    verdict = "ok" if ratio <= 1.0 else "MISSED"
    rverdict = "ok" if kr <= 16.0 else "MISSED"
    rows.append((name, None, "=> kyso/mutool wall time %.2fx (target <= 1.0x: %s; CPU time %.2fx), "
                 "kyso peak RSS %.1f MiB (target <= 16: %s)" % (ratio, verdict, kc / mc, kr, rverdict),
                 None, None, None))
    ok = ok and ratio <= 1.0 and kr <= 16.0

print("bench-sign: %d runs each, median wall time, peak RSS (SoftHSM2 token, RSA-2048, SHA-256)" % runs)
print("%-16s %-10s %-24s %10s %10s %12s" % ("file", "size", "tool", "wall (s)", "CPU (s)",
                                            "peak RSS"))
for name, size, tool, t, r, c in rows:
    if t is None:
        print("%-16s %s" % ("", tool))
    else:
        print("%-16s %-10s %-24s %10.3f %10.3f %9.1f MiB" % (name, size, tool, t, c, r))
base = statistics.median(run1([kyso, "version"], "")[1] for _ in range(3))
print("(wall: median; CPU: median user+sys; peak RSS: largest run)")
print("context: `kyso version` alone peaks at %.1f MiB" % base)
big, small = per_mib["big-50mb.pdf"], per_mib["pages-5000.pdf"]
growth = "ok" if big[0] <= small[0] * 1.5 else "MISSED"
print("kyso time per MiB: %.4f s (50 MiB file) vs %.4f s (%.1f MiB file): %s" %
      (big[0], small[0], small[1], growth))
sys.exit(0 if ok else 1)
PY
