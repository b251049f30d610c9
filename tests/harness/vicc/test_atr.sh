#!/bin/bash
# A private pcscd + kyso-vicc: opensc-tool sees exactly the ePass2003 ATR through
# PCSCLITE_CSOCK_NAME, and the host's /run/pcscd is left alone.
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

before=$(host_run_pcscd)
drivers_before=$(ls -A /usr/lib/pcsc/drivers)
kh_pcscd_start
kh_vicc_insert "$EPASS_ATR" 0

kh_check "client socket is the private one" test "$PCSCLITE_CSOCK_NAME" = "$KH_TMP/pcscd/run/pcscd.comm"
kh_check "private socket exists" test -S "$PCSCLITE_CSOCK_NAME"
kh_check "pcscd runs with our pid" kill -0 "$KH_PCSCD_PID"

out=$(opensc-tool -r 0 -a 2>&1) || true
echo "opensc-tool -r 0 -a: $out"
kh_check "opensc-tool -a shows exactly the ePass2003 ATR" test "$out" = "$(atr_colon "$EPASS_ATR")"

out=$(opensc-tool -l 2>&1) || true
echo "$out"
kh_check "opensc-tool -l lists the vpcd reader with a card" \
	grep -Eq "^0 +Yes +$KH_VPCD_READER 00 00$" <<<"$out"

# Without PCSCLITE_CSOCK_NAME a client must not reach the private pcscd.
out=$(env -u PCSCLITE_CSOCK_NAME opensc-tool -r 0 -a 2>&1) || true
kh_check "without PCSCLITE_CSOCK_NAME the card is not visible" \
	test "$out" != "$(atr_colon "$EPASS_ATR")"

# pcscd sees no USB reader drivers (it must not claim a real reader), the host still does.
kh_check "pcscd's view of the USB drivers dir is empty" \
	test -z "$(nsenter -t "$KH_PCSCD_PID" -m find /usr/lib/pcsc/drivers -mindepth 1)"
kh_check "host's USB drivers dir unchanged" test "$(ls -A /usr/lib/pcsc/drivers)" = "$drivers_before"

# The bind mounts live only in pcscd's mount namespace.
kh_check "no bind mount on the host's /run/pcscd" \
	bash -c '! grep -q " /run/pcscd " /proc/self/mountinfo'
kh_check "host /run/pcscd unchanged while pcscd runs" test "$(host_run_pcscd)" = "$before"

kh_pcscd_stop
kh_check "pcscd gone after stop" gone "$KH_PCSCD_PID"
kh_check "pcscd removed its private socket" test ! -e "$PCSCLITE_CSOCK_NAME"
kh_check "host /run/pcscd unchanged after stop" test "$(host_run_pcscd)" = "$before"
kh_done
