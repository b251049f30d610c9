#!/bin/bash
# Insert and remove the virtual card during a test: SIGUSR1 removes, SIGUSR2
# inserts, SIGTERM ends it; --start-removed begins with an empty reader.
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

kh_pcscd_start
kh_check "reader 0 empty before any card" test "$(probe_field 0 card)" = false
kh_vicc_insert "$EPASS_ATR" 0
kh_check "card present after insert" test "$(probe_field 0 card)" = true
kh_check "ATR after insert" test "$(probe_field 0 atr)" = "$EPASS_ATR"

kill -USR1 "${KH_VICC_PIDS[0]}"
kh_check "reader empty after SIGUSR1" kh-pcsc-probe wait 0 empty 10
kh_check "no ATR while removed" test -z "$(probe_field 0 atr)"
kh_check "card process still alive while removed" kill -0 "${KH_VICC_PIDS[0]}"
sleep 1 # pcscd keeps polling; the card must stay out until SIGUSR2
kh_check "still empty a second later" test "$(probe_field 0 card)" = false

kill -USR2 "${KH_VICC_PIDS[0]}"
kh_check "card back after SIGUSR2" kh-pcsc-probe wait 0 present 10
kh_check "same ATR after reinsertion" test "$(probe_field 0 atr)" = "$EPASS_ATR"
kh_check "APDU works after reinsertion" test "$(sw_of 0 00A4000C023F00)" = 9000

kh_check "kh_vicc_remove" kh_vicc_remove 0
kh_check "kh_vicc_reinsert" kh_vicc_reinsert 0
kh_check "present after kh_vicc_reinsert" test "$(probe_field 0 card)" = true

pid=${KH_VICC_PIDS[0]}
kh_check "kh_vicc_stop empties the reader" kh_vicc_stop 0
kh_check "card process gone after SIGTERM" gone "$pid"
kh_check "log ends with a clean exit" test "$(tail -n 1 "$KH_PCSCD_DIR/vicc0.apdu")" = "# exit"

# --start-removed: no card until SIGUSR2.
kh_bg "$KH_TMP/late.log" kyso-vicc --port "$KH_VPCD_PORT" --atr "$BIT4ID_ATR" --start-removed
late=$KH_LAST_PID
sleep 1
kh_check "--start-removed leaves the reader empty" test "$(probe_field 0 card)" = false
kill -USR2 "$late"
kh_check "--start-removed card appears on SIGUSR2" kh-pcsc-probe wait 0 present 10
kh_check "its ATR is the Bit4id one" test "$(probe_field 0 atr)" = "$BIT4ID_ATR"
kh_done
