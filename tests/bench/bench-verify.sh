#!/bin/bash
# Benchmark: `kyso verify --offline` against `pdfsig -no-ocsp` on the same corpus of >= 100 signed
# PDFs made here (SoftHSM2 token with the harness PKI: one, two or three signatures each, some
# with visible text, some with a reason/location), in one run: each file is checked by both tools
# in turn; median wall time per file of each, and the ratio. Before timing, every file must be
# TOTAL-PASSED for kyso (exit 0) and "Signature is Valid" for every signature in pdfsig (NSS db
# trusting the harness root), so both really produced their result. Target: ratio <= 1.0.
# kyso is a non-sanitized Release build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
N=${KYSO_BENCH_FILES:-120}
bench_init bench-verify kyso kyso_translations
bench_harness
command -v pdfsig >/dev/null || { echo "bench-verify: pdfsig missing (./dev deps)" >&2; exit 1; }
bench_token
mkdir -p "$KH_TMP/bin"
cp "$BENCH/bin/kyso" "$KH_TMP/bin/"
[[ -d $BENCH/libexec ]] && cp -r "$BENCH/libexec" "$KH_TMP/"
K=$KH_TMP/bin/kyso
export KYSO_DATADIR=$top/data KYSO_LOCALEDIR=$BENCH/share/locale
NSS=$KH_TMP/nss
mkdir -p "$NSS"
certutil -N -d "sql:$NSS" --empty-password
certutil -A -d "sql:$NSS" -n kyso-root -t "CT,C,C" -i "$KH_PKI_ROOT_CERT"

C=$KH_TMP/corpus
mkdir -p "$C"
"$K" sign --sample "$C/base.pdf" >/dev/null
sign() { "$K" sign "$1" -o "$2" --module "$KH_P11_MODULE" --token kyso-rsa --pin-env BENCH_PIN "${@:3}" >/dev/null; }
for i in $(seq 1 "$N"); do
	f=$C/f$(printf %03d "$i").pdf
	case $((i % 4)) in
	0) sign "$C/base.pdf" "$f" --reason "Phê duyệt số $i" --location "Hà Nội" ;;
	1) sign "$C/base.pdf" "$f" --name "Văn thư $i" ;;
	2) sign "$C/base.pdf" "$C/t.pdf" && sign "$C/t.pdf" "$f" --hash sha384 --field "Ký nháy" ;;
	3) sign "$C/base.pdf" "$C/t.pdf" && sign "$C/t.pdf" "$C/u.pdf" --field K2 &&
		sign "$C/u.pdf" "$f" --field K3 --reason "Ban hành" ;;
	esac
done
rm -f "$C/base.pdf" "$C/t.pdf" "$C/u.pdf"

python3 - "$K" "$NSS" "$KH_PKI_ROOT_CERT" "$C" <<'PY'
import os, statistics, subprocess, sys, time
kyso, nss, root, cdir = sys.argv[1:]
files = sorted(os.path.join(cdir, f) for f in os.listdir(cdir) if f.endswith(".pdf"))
kcmd = lambda f: [kyso, "verify", "--offline", "--no-system-ca", "--ca", root, f]
pcmd = lambda f: ["pdfsig", "-no-ocsp", "-nssdir", "sql:" + nss, f]
# both tools really produce their result on every file
for f in files:
    k = subprocess.run(kcmd(f), capture_output=True, text=True)
    if k.returncode != 0:
        sys.exit("bench-verify: kyso verify did not pass %s (exit %d)\n%s" % (f, k.returncode, k.stdout[-1500:]))
    p = subprocess.run(pcmd(f), capture_output=True, text=True)
    n = p.stdout.count("Signature #")
    if n == 0 or p.stdout.count("Signature is Valid") != n:
        sys.exit("bench-verify: pdfsig did not validate %s\n%s" % (f, p.stdout[-1500:]))
tk, tp = [], []
for f in files:  # the tools take turns per file
    for cmd, acc in ((kcmd(f), tk), (pcmd(f), tp)):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        acc.append(time.perf_counter() - t0)
mk, mp = statistics.median(tk), statistics.median(tp)
print("files: %d signed PDFs (1-3 signatures each)" % len(files))
print("kyso verify --offline: median %.1f ms per file" % (mk * 1000))
print("pdfsig -no-ocsp:       median %.1f ms per file" % (mp * 1000))
print("ratio kyso/pdfsig: %.2fx (target <= 1.0x)" % (mk / mp))
PY
