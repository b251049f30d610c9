#!/bin/bash
# pcscd with no reader at all (detect tests need it).
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

kh_pcscd_start --no-reader
kh_check "pcscd runs" kill -0 "$KH_PCSCD_PID"
kh_check "no vpcd port exported" test -z "$KH_VPCD_PORT"
kh_check "config dir has no reader entry" test -z "$(ls -A "$KH_PCSCD_DIR/conf")"
out=$(kh-pcsc-probe list)
echo "$out"
kh_check "PC/SC lists zero readers" test "$out" = '{"readers":0}'
out=$(opensc-tool -l 2>&1) || true
echo "$out"
kh_check "opensc-tool finds no reader" grep -q "No smart card readers found" <<<"$out"
insert_fails() { ! (kh_vicc_insert 3B00 0) 2>/dev/null; }
kh_check "kh_vicc_insert refuses without a reader" insert_fails
kh_done
