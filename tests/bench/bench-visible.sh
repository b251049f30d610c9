#!/bin/bash
# Benchmark (issue 6): `kyso sign` with a visible box (PNG image + Vietnamese text, HarfBuzz +
# hb-subset) against the invisible signature on a 50 MiB PDF, and `podofosign` with its visible
# annotation (text + the same image, PEM key of the same signer) in the same run: median wall
# time of KYSO_BENCH_RUNS (default 5) runs each, the tools taking turns.
# Target: visible / invisible <= 1.1x (issue 21). kyso comes from the Release build in build-bench/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS=${KYSO_BENCH_RUNS:-5}
bench_init bench-visible
bench_harness
command -v podofosign >/dev/null || { echo "bench-visible: podofosign missing (apt-get install libpodofo-utils)" >&2; exit 1; }
bench_token
kh-bigpdf "$KH_TMP/big.pdf" --pages 20 --mb 50 >/dev/null
python3 "$top/tests/appearance/imgcheck.py" make "$KH_TMP/sig.png"
K=$BENCH/bin/kyso
KS=("$K" sign --module "$KH_P11_MODULE" --token kyso-rsa --pin-env BENCH_PIN "$KH_TMP/big.pdf")
python3 - "$RUNS" "$KH_TMP" "${KS[@]}" <<'PY'
import statistics, subprocess, sys, time
runs, tmp, ks = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
png = tmp + "/sig.png"
cmds = {
    "kyso invisible": ks + ["-o", tmp + "/inv.pdf"],
    "kyso visible": ks + ["-o", tmp + "/vis.pdf", "--page", "1", "--rect", "300,80,250,90", "--image", png,
                          "--reason", "Phê duyệt văn bản", "--location", "Hà Nội"],
    "podofosign visible": ["podofosign", "-in", tmp + "/big.pdf", "-out", tmp + "/pod.pdf",
                           "-cert", sys.argv[0] and __import__("os").environ["KH_PKI_SIGNER_RSA_CERT"],
                           "-pkey", __import__("os").environ["KH_PKI_SIGNER_RSA_KEY"], "-digest", "SHA256",
                           "-annot-units", "mm", "-annot-position", "1,105,230,88,32", "-annot-print",
                           "-annot-font", "3,000000,Helvetica",
                           "-annot-image", "0,0,34,17," + png,
                           "-annot-text", "36,4,Ký bởi: Nguyễn Văn An", "-annot-text", "36,9,Lý do: Phê duyệt văn bản"],
}
t = {k: [] for k in cmds}
for _ in range(runs):
    for k, c in cmds.items():
        s = time.monotonic()
        r = subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t[k].append(time.monotonic() - s)
        if r.returncode != 0:
            sys.exit("%s failed: %s" % (k, r.stderr.decode(errors="replace")[-400:]))
for out in ("inv.pdf", "vis.pdf", "pod.pdf"):  # each tool really signed
    o = subprocess.run(["pdfsig", tmp + "/" + out], capture_output=True, text=True).stdout
    if "Signature is Valid." not in o:
        sys.exit("bench-visible: %s is not a valid signature:\n%s" % (out, o[-500:]))
m = {k: statistics.median(v) for k, v in t.items()}
for k in cmds:
    print("%-20s median %.3f s" % (k, m[k]))
ratio = m["kyso visible"] / m["kyso invisible"]
print("visible/invisible: %.2fx (target <= 1.1x) %s" % (ratio, "OK" if ratio <= 1.1 else "OVER"))
import os
sys.path.insert(0, os.path.join(os.environ["KYSO_SRC"], "tests", "bench"))
import benchlib
benchlib.record("sign 50 MiB visible", m["kyso visible"], ("podofosign visible", m["podofosign visible"]),
                ("kyso invisible", m["kyso invisible"]), "floor", 1.1)
print("kyso visible / podofosign visible: %.2fx" % (m["kyso visible"] / m["podofosign visible"]))
PY
