#!/bin/bash
# Two cards in the two readers of one vpcd entry (reader 00 00 and 00 01).
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

kh_pcscd_start --name "Kyso Two"
kh_vicc_insert "$EPASS_ATR" 0
kh_vicc_insert "$BIT4ID_ATR" 1

kh_check "reader 0 is 00 00" test "$(probe_field 0 reader)" = "Kyso Two 00 00"
kh_check "reader 1 is 00 01" test "$(probe_field 1 reader)" = "Kyso Two 00 01"
kh_check "reader 0 has the ePass2003 ATR" test "$(probe_field 0 atr)" = "$EPASS_ATR"
kh_check "reader 1 has the Bit4id ATR" test "$(probe_field 1 atr)" = "$BIT4ID_ATR"
out=$(opensc-tool -r 1 -a 2>&1) || true
kh_check "opensc-tool -r 1 -a shows the Bit4id ATR" test "$out" = "$(atr_colon "$BIT4ID_ATR")"
kh_check "APDU to reader 1 reaches card 1" test "$(sw_of 1 0001020300)" = 6D00
kh_check "card 1 logged it" grep -qx "> 0001020300" "$KH_PCSCD_DIR/vicc1.apdu"
kh_check "card 0 did not see it" bash -c "! grep -qx '> 0001020300' '$KH_PCSCD_DIR/vicc0.apdu'"

kh_vicc_remove 0
kh_check "reader 0 empty after removing card 0" test "$(probe_field 0 card)" = false
kh_check "reader 1 still holds its card" test "$(probe_field 1 atr)" = "$BIT4ID_ATR"
kh_done
