#!/bin/bash
# Benchmark: `kyso verify` against `pdfsig` (poppler) in the same run, on the 50 MiB PDF signed
# by kyso and on a corpus of KYSO_BENCH_CORPUS (default 120) signed PDFs (kh-bigpdf files of
# 1..40 pages, 100 signed by `kyso sign`, the rest by `pdfsig -add-signature`, a fifth of
# them signed twice). Every file is checked first: kyso must say every signature is valid
# (exit 0) and pdfsig must print "Signature is Valid." for each, before any time counts.
# Median of KYSO_BENCH_RUNS (default 5) rounds, the tools taking turns (file by file on the
# 50 MiB PDF, corpus pass by corpus pass on the corpus). The floor of the 50 MiB figure is
# `openssl dgst -sha256` of the file (the ByteRange must be read and hashed).
# Target (issues 17, 21): kyso verify --offline / pdfsig <= 1.0x on both. kyso: Release build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS=${KYSO_BENCH_RUNS:-5}
NCORPUS=${KYSO_BENCH_CORPUS:-120}
bench_init bench-verify
bench_harness
bench_token
bench_nss
certutil -A -d "sql:$NSS" -n kyso-root -t "C,C,C" -i "$KH_PKI_ROOT_CERT"
K=$BENCH/bin/kyso
SIGN=(--module "$KH_P11_MODULE" --token kyso-rsa --pin-env BENCH_PIN)
C=$KH_TMP/corpus
mkdir -p "$C"
kh-bigpdf "$KH_TMP/big.pdf" --pages 20 --mb 50 >/dev/null
"$K" sign "$KH_TMP/big.pdf" -o "$KH_TMP/big-signed.pdf" "${SIGN[@]}" >/dev/null
for i in $(seq 1 "$NCORPUS"); do
	kh-bigpdf "$KH_TMP/u.pdf" --pages $((i % 40 + 1)) --seed "$i" >/dev/null
	if ((i <= 100)); then
		"$K" sign "$KH_TMP/u.pdf" -o "$C/s$i.pdf" "${SIGN[@]}" --reason "bench $i" >/dev/null
	else
		pdfsig -nssdir "sql:$NSS" -add-signature -nick "$NICK" "$KH_TMP/u.pdf" "$C/s$i.pdf" >/dev/null
	fi
	if ((i % 5 == 0)); then # a second signature
		"$K" sign "$C/s$i.pdf" -o "$C/t.pdf" "${SIGN[@]}" >/dev/null
		mv "$C/t.pdf" "$C/s$i.pdf"
	fi
done
python3 - "$RUNS" "$K" "$KH_TMP" "$NSS" "$KH_PKI_ROOT_CERT" <<'PY'
import glob, os, statistics, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["KYSO_SRC"], "tests", "bench"))
import benchlib
runs, kyso, tmp, nss, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
files = sorted(glob.glob(os.path.join(tmp, "corpus", "*.pdf")))
big = os.path.join(tmp, "big-signed.pdf")
kv = lambda f: [kyso, "verify", "--offline", "--no-system-ca", "--ca", root, f]
pv = lambda f: ["pdfsig", "-nssdir", "sql:" + nss, f]
# checked first: both tools really verify every signature of every file
nsig = 0
for f in files + [big]:
    k = subprocess.run(kv(f), capture_output=True, text=True)
    p = subprocess.run(pv(f), capture_output=True, text=True)
    n = p.stdout.count("Signature is Valid.")
    if k.returncode != 0 or n == 0 or n != p.stdout.count("Signature #"):
        sys.exit("bench-verify: %s: kyso exit %d, pdfsig %d valid of %d\n%s%s" % (
            f, k.returncode, n, p.stdout.count("Signature #"), k.stdout[-500:], p.stdout[-500:]))
    nsig += n
print("bench-verify: %d signed PDFs (%d signatures) and the 50 MiB PDF: kyso and pdfsig "
      "find every signature valid" % (len(files), nsig - 1))

def corpus_pass(cmd):
    t0 = time.perf_counter()
    for f in files:
        subprocess.run(cmd(f), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0
tk, tp = [], []
for i in range(runs + 1):
    a, b = corpus_pass(kv), corpus_pass(pv)
    if i:
        tk.append(a); tp.append(b)
mk, mp = statistics.median(tk), statistics.median(tp)
res = benchlib.paired({"kyso": (kv(big), ""), "pdfsig": (pv(big), ""),
                       "floor": (["openssl", "dgst", "-sha256", big], "")}, runs)
print("%-34s %10s %10s %8s" % ("figure", "kyso", "pdfsig", "ratio"))
print("%-34s %8.3f s %8.3f s %7.2fx (target <= 1.0x: %s)" % (
    "verify %d signed PDFs (total)" % len(files), mk, mp, mk / mp, "ok" if mk <= mp else "MISSED"))
print("%-34s %8.3f s %8.3f s %7.2fx (target <= 1.0x: %s; floor openssl dgst %.3f s)" % (
    "verify 50 MiB PDF", res["kyso"], res["pdfsig"], res["kyso"] / res["pdfsig"],
    "ok" if res["kyso"] <= res["pdfsig"] else "MISSED", res["floor"]))
benchlib.record("verify %d signed PDFs (total)" % len(files), mk, ("pdfsig", mp), None, "peer", 1.0)
benchlib.record("verify 50 MiB PDF", res["kyso"], ("pdfsig", res["pdfsig"]),
                ("openssl dgst", res["floor"]), "peer", 1.0)
sys.exit(0 if mk <= mp and res["kyso"] <= res["pdfsig"] else 1)
PY
