#!/bin/bash
# Benchmark: wall time of `kyso detect --json` against a private pcscd with a
# virtual ePass2003, beside `opensc-tool -a` on the same card in the same run.
# Median of KYSO_BENCH_RUNS (default 25) runs each; target <= 20 ms (issue 21).
# kyso is measured from a non-sanitized Release build in build-bench/ (made
# here if missing); the harness programs (kyso-vicc, kh-pcsc-probe) come from
# the test build ($KYSO_BUILD_DIR or build/).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUNS=${KYSO_BENCH_RUNS:-25}
TARGET_MS=20
bench_init bench-detect kyso kyso_translations
# The same detection in a program linked with kyso_detect + kyso_core only:
# shows what process start-up of the full kyso binary (all libraries) costs.
cat >"$BENCH/detect_only.c" <<'C'
#include "kyso_detect.h"
int main(void)
{
	kyso_error_t err;
	kyso_i18n_init("en");
	kyso_catalog_t *cat = kyso_catalog_load(NULL, &err);
	if (cat == NULL)
		return 5;
	kyso_detect_opts_t o = {.catalog = cat};
	kyso_detect_result_t *r = kyso_detect_scan(&o, &err);
	int rc = r != NULL && kyso_json_print(kyso_detect_result_to_json(r)) == KYSO_OK ? 0 : 1;
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
	return rc;
}
C
${CC:-clang} -O2 -I"$top/detect" -I"$top/core" -o "$BENCH/detect-only" "$BENCH/detect_only.c" \
	"$BENCH/detect/libkyso_detect.a" "$BENCH/core/libkyso_core.a" \
	$(pkg-config --libs libpcsclite libusb-1.0 jansson libcrypto)
for p in kyso-vicc kh-pcsc-probe; do
	[[ -x $KYSO_BUILD/bin/$p ]] || cmake --build "$KYSO_BUILD" -j "${KYSO_JOBS:-2}" --target "$p" >/dev/null
done
export PATH=$KYSO_BUILD/bin:$KYSO_HARNESS/bin:$PATH
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_HARNESS/vicc/pcscd.sh"
kh_tmpdir
export KYSO_SYSCONFDIR=$KH_TMP/etc XDG_CONFIG_HOME=$KH_TMP/config
export KYSO_DATADIR=$top/data
# private copies: another run may rebuild build-bench meanwhile
mkdir -p "$KH_TMP/bin" "$KH_TMP/libexec"
cp "$BENCH/bin/kyso" "$BENCH/detect-only" "$KH_TMP/bin/"
cp -r "$BENCH/libexec/kyso" "$KH_TMP/libexec/" # kyso execs libexec/kyso/kyso-detect
export KYSO_LOCALEDIR=$BENCH/share/locale
kh_pcscd_start
kh_vicc_insert 3B9F958131FE9F006646530520032571DF000003900096 0

# sanity: both tools see the card, kyso identifies it
"$KH_TMP/bin/kyso" detect --json | grep -q '"id": "feitian-epass2003"' ||
	{ echo "bench-detect: kyso did not identify the virtual ePass2003" >&2; exit 1; }
opensc-tool -a >/dev/null

python3 - "$RUNS" "$TARGET_MS" "$KH_TMP/bin/kyso" "$KH_TMP/bin/detect-only" <<'PY'
import os, statistics, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["KYSO_SRC"], "tests", "bench"))
import benchlib
runs, target, kyso, only = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
def measure(cmd):
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        t.append((time.perf_counter() - s) * 1000)
    return statistics.median(t), min(t), max(t)
rows = [("kyso detect --json", [kyso, "detect", "--json"]),
        ("kyso detect --json --no-usb", [kyso, "detect", "--json", "--no-usb"]),
        ("detect-only (libs of detect)", [only]),
        ("kyso version (start-up only)", [kyso, "version"]),
        ("opensc-tool -a", ["opensc-tool", "-a"]),
        ("true (process spawn)", ["true"])]
res = {}
print(f"{'command':30} {'median':>9} {'min':>8} {'max':>8}   ({runs} runs each)")
for name, cmd in rows:
    med, lo, hi = measure(cmd)
    res[name] = med
    print(f"{name:30} {med:7.1f}ms {lo:6.1f}ms {hi:6.1f}ms")
import json
scan = [json.loads(subprocess.run([kyso, "detect", "--json"], capture_output=True).stdout)["elapsed_ms"]
        for _ in range(runs)]
print(f"{'(scan inside kyso, elapsed_ms)':30} {statistics.median(scan):7.1f}ms {min(scan):6.1f}ms {max(scan):6.1f}ms")
with open("/proc/loadavg") as f:
    print(f"load average during the run: {f.read().split()[0]} ({__import__('os').cpu_count()} CPUs)")
ok = res["kyso detect --json"] <= target
benchlib.record("detect --json (virtual ePass2003)", res["kyso detect --json"] / 1000,
                ("opensc-tool -a", res["opensc-tool -a"] / 1000),
                ("process spawn", res["true (process spawn)"] / 1000), None, target / 1000)
print(f"kyso detect --json median {res['kyso detect --json']:.1f} ms, target <= {target:.0f} ms: "
      f"{'PASS' if ok else 'FAIL'} (opensc-tool -a: {res['opensc-tool -a']:.1f} ms)")
sys.exit(0 if ok else 1)
PY
