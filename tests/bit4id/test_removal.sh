#!/bin/bash
# A card pulled out while kyso-pkcs11 uses it gives an error, never a crash or
# a hang: in the middle of C_Sign (the PSO command never answered) and between
# calls of a long-running program, which then sees the card again when it comes
# back. The module holds the card shared: another PC/SC program can talk to it
# while our session is open.
. "$KYSO_SRC/tests/bit4id/common.sh"
b4_insert
id=$(signer_id)
echo data >"$KH_TMP/data"

# Count the APDUs of a full sign, then pull the card when the PSO command comes.
b4_insert
p11 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS --id "$id" -i "$KH_TMP/data" -o "$KH_TMP/sig0"
kh_check "dry run signs" test -s "$KH_TMP/sig0"
n=$(awk '/^> 002A9E9A/ {print n; exit} /^> / {n++}' "$APDU_LOG")
kh_check "dry run reached PSO after $n APDUs" test -n "$n"

b4_insert --remove-after-apdus "$n"
start=$(date +%s)
out=$(p11 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS --id "$id" -i "$KH_TMP/data" \
	-o "$KH_TMP/sig1" 2>&1) && rc=0 || rc=$?
secs=$(($(date +%s) - start))
echo "$out (rc $rc, ${secs}s)"
kh_check "card pulled during PSO: the card saw the PSO command last" \
	bash -c 'grep "^> " "$1" | tail -n1 | grep -q "^> 002A9E9A"' _ "$APDU_LOG"
kh_check "card pulled during PSO: the vicc removed the card mid-command" \
	grep -qx '# removed mid-command' "$APDU_LOG"
kh_check "card pulled during PSO: pkcs11-tool fails, not killed by timeout" \
	bash -c '[[ $1 != 0 && $1 != 124 && $1 -lt 128 ]]' _ "$rc"
kh_check "card pulled during PSO: CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT" \
	grep -q 'CKR_DEVICE_REMOVED\|CKR_TOKEN_NOT_PRESENT' <<<"$out"
kh_check "card pulled during PSO: answered within 10 s" test "$secs" -le 10
kh_check "card pulled during PSO: no signature written" bash -c '[[ ! -s $1 ]]' _ "$KH_TMP/sig1"
out=$(p11 -L)
kh_check "after the removal the slot is empty" bash -c 'grep -A1 "VPCD 00 00" <<<"$1" | grep -q empty' _ "$out"

# One process across removal and reinsertion; shared access meanwhile.
b4_insert
kh_bg "$KH_TMP/check.out" kh-p11-check "$MOD" "$PIN"
checker=$KH_LAST_PID
kh_wait_for 20 grep -q '^logged-in' "$KH_TMP/check.out"
cat "$KH_TMP/check.out"
kh_check "client logged in" grep -q '^logged-in rv=CKR_OK' "$KH_TMP/check.out"
kh_check "shared access: another program selects the applet while our session is open" \
	test "$(card_sw 0020000100)" = 9000
kh_vicc_remove 0
kh_wait_for 20 grep -q '^old-session' "$KH_TMP/check.out"
kh_check "removal seen by C_GetTokenInfo: CKR_TOKEN_NOT_PRESENT" \
	grep -q '^removed rv=CKR_TOKEN_NOT_PRESENT' "$KH_TMP/check.out"
kh_check "a session from before the removal: CKR_DEVICE_REMOVED" \
	grep -q '^old-session rv=CKR_DEVICE_REMOVED' "$KH_TMP/check.out"
kh_vicc_reinsert 0
kh_wait_for 30 grep -q '^finalize' "$KH_TMP/check.out"
cat "$KH_TMP/check.out"
kh_check "reinserted card found by the same process" grep -q '^reinserted' "$KH_TMP/check.out"
kh_check "login state did not survive the removal" \
	grep -q '^state-after rv=CKR_OK public=1' "$KH_TMP/check.out"
kh_check "signing works again after reinsertion" \
	grep -q '^signed rv=CKR_OK len=256' "$KH_TMP/check.out"
kh_check "C_Logout: the key is gone (CKR_USER_NOT_LOGGED_IN), login again signs" \
	grep -q '^relogin logout=CKR_OK signinit=CKR_USER_NOT_LOGGED_IN login=CKR_OK sign=CKR_OK' \
	"$KH_TMP/check.out"
kh_check "C_Logout reset the card (its PIN status is cleared)" grep -qx '# reset' "$APDU_LOG"
kh_check "C_Finalize clean, and C_Initialize again works" \
	grep -q '^finalize rv=CKR_OK again=CKR_OK' "$KH_TMP/check.out"
wait "$checker" && rc=0 || rc=$?
kh_check "client exit status 0" test "$rc" = 0

# The same across a restart of pcscd itself (the module makes a new PC/SC context).
b4_insert
kh_bg "$KH_TMP/check2.out" kh-p11-check "$MOD" "$PIN"
checker=$KH_LAST_PID
kh_wait_for 20 grep -q '^logged-in' "$KH_TMP/check2.out"
kh_vicc_stop 0
kh_pcscd_stop
kh_wait_for 20 grep -q '^old-session' "$KH_TMP/check2.out"
kh_pcscd_start
b4_insert
kh_wait_for 30 grep -q '^finalize' "$KH_TMP/check2.out"
cat "$KH_TMP/check2.out"
kh_check "pcscd restarted: token gone meanwhile" grep -q '^removed rv=CKR_TOKEN_NOT_PRESENT' "$KH_TMP/check2.out"
kh_check "pcscd restarted: the same process signs again" \
	grep -q '^signed rv=CKR_OK len=256' "$KH_TMP/check2.out"
wait "$checker" && rc=0 || rc=$?
kh_check "pcscd restarted: client exit status 0" test "$rc" = 0
kh_done
