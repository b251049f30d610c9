#!/bin/bash
# kyso-vicc answers APDUs: SELECT, GET RESPONSE, 6A82 for unknown AIDs, 6D00 for
# unknown INS; the APDU log records them; --remove-after-apdus pulls the card
# in the middle of a command sequence.
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

AID=A000000063504B43532D3135 # PKCS#15
kh_pcscd_start
kh_vicc_insert "$EPASS_ATR" 0 --aid "$AID" --fid 5015

kh_check "SELECT known AID, no FCI -> 9000" test "$(sw_of 0 00A4040C0C$AID)" = 9000
kh_check "SELECT known AID with Le -> FCI + 9000" \
	test "$(resp_of 0 00A404000C${AID}00)" = "6F0E840C${AID}9000"
kh_check "SELECT unknown AID -> 6A82" test "$(sw_of 0 00A4040C07A0000000030000)" = 6A82
kh_check "SELECT MF by id -> 9000" test "$(sw_of 0 00A4000C023F00)" = 9000
kh_check "SELECT known file id -> 9000" test "$(sw_of 0 00A4020C025015)" = 9000
kh_check "SELECT unknown file id -> 6A82" test "$(sw_of 0 00A4020C024401)" = 6A82
kh_check "unknown INS -> 6D00" test "$(sw_of 0 0001020300)" = 6D00
kh_check "CLA FF -> 6E00" test "$(sw_of 0 FFCA000000)" = 6E00

# SELECT without Le leaves the FCI for GET RESPONSE (61xx chaining), in pieces.
out=$(kh-pcsc-probe transmit 0 00A404000C$AID 00C0000004 00C0000000 00C0000000)
echo "$out"
kh_check "SELECT without Le -> 6110" grep -q "\"command\":\"00A404000C$AID\",\"response\":\"6110\"" <<<"$out"
kh_check "GET RESPONSE 4 bytes -> 6F0E840C 610C" grep -q '"response":"6F0E840C610C"' <<<"$out"
kh_check "GET RESPONSE rest -> AID 9000" grep -q "\"response\":\"${AID}9000\"" <<<"$out"
kh_check "GET RESPONSE with nothing pending -> 6985" \
	test "$(sed -n 4p <<<"$out" | grep -o '"sw":"[0-9A-F]*"')" = '"sw":"6985"'

log=$KH_PCSCD_DIR/vicc0.apdu
kh_check "APDU log has the command" grep -qx "> 0001020300" "$log"
kh_check "APDU log has the answer after it" bash -c "grep -A1 -x '> 0001020300' '$log' | grep -qx '< 6D00'"

# Card pulled mid-sequence: two APDUs answered, the third one finds no card.
kh_vicc_insert "$EPASS_ATR" 0 --remove-after-apdus 2
out=$(kh-pcsc-probe transmit 0 00A4000C023F00 0001020300 00A4000C023F00) && rc=0 || rc=$?
echo "$out"
kh_check "two APDUs answered before the removal" test "$(grep -c '"sw"' <<<"$out")" = 2
kh_check "third APDU fails with a PC/SC error" grep -q '"error":"SCardTransmit"' <<<"$out"
kh_check "probe exit status 1 on the failure" test "$rc" = 1
kh_check "reader shows no card after the removal" kh-pcsc-probe wait 0 empty 5
kh_check "log records the removal" grep -qx "# removed mid-command" "$KH_PCSCD_DIR/vicc0.apdu"
kh_vicc_reinsert 0
kh_check "after reinsertion APDUs work again" test "$(sw_of 0 00A4000C023F00)" = 9000
kh_done
