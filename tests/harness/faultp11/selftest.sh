# Self-test of kyso-faultp11: every fault rule seen through pkcs11-tool and
# through kyso-faultp11-client, against a private SoftHSM2 token.
. "$KYSO_HARNESS/lib.sh"

FP=$KYSO_BUILD/lib/kyso-faultp11.so
RAW=${KYSO_FAULT_TARGET:-/usr/lib/softhsm/libsofthsm2.so}
CLIENT=$KYSO_BUILD/bin/kyso-faultp11-client
PIN=123456
unset KYSO_FAULT KYSO_FAULT_FILE KYSO_FAULT_STATE

kh_tmpdir
T=$KH_TMP
mkdir -p "$T/tokens"
cat >"$T/softhsm2.conf" <<EOF
directories.tokendir = $T/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label fault --so-pin 12345678 --pin "$PIN" >/dev/null
pkcs11-tool --module "$RAW" --token-label fault --login --pin "$PIN" \
	--keypairgen --key-type rsa:2048 --id 01 --label faultkey >/dev/null
pkcs11-tool --module "$RAW" --token-label fault --read-object --type pubkey --id 01 \
	-o "$T/pub.der" >/dev/null
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem"
printf 'data to be signed by the fault module\n' >"$T/data"

LOGIN=(--token-label fault --login --pin "$PIN")
SIGN=(--sign --id 01 -m SHA256-RSA-PKCS --input-file "$T/data")

# fp RULES ARGS...: pkcs11-tool on the proxy with KYSO_FAULT=RULES.
# Sets OUT (stdout+stderr), RC and MS (run time in milliseconds).
fp() {
	local rules=$1 t0
	shift
	t0=$(date +%s%N)
	set +e
	OUT=$(KYSO_FAULT="$rules" pkcs11-tool --module "$FP" "$@" 2>&1)
	RC=$?
	set -e
	MS=$((($(date +%s%N) - t0) / 1000000))
}
raw() {
	set +e
	OUT=$(pkcs11-tool --module "$RAW" "$@" 2>&1)
	RC=$?
	set -e
}
has() { grep -qF -- "$1" <<<"$OUT"; }
hasnt() { ! grep -qF -- "$1" <<<"$OUT"; }
ok_has() { [[ $RC -eq 0 ]] && has "$1"; }
fails_with() { [[ $RC -ne 0 ]] && has "$1"; }

# --- no fault: the proxy answers exactly like the real module -------------
for args in "-L" "-T" "-M" "${LOGIN[*]} -O"; do
	# shellcheck disable=SC2086
	raw $args
	want=$OUT
	# shellcheck disable=SC2086
	fp "" $args
	kh_check "no fault: 'pkcs11-tool $args' same as the raw module" \
		test "$RC" -eq 0 -a "$OUT" = "$want" -a -n "$want"
done
raw -T
RAW_T=$OUT
raw "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.raw"
fp "" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.fp"
kh_check "no fault: signature identical to the raw module's" cmp -s "$T/sig.raw" "$T/sig.fp"
kh_check "no fault: signature verifies with the public key" \
	openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.fp" "$T/data"

# OpenSSL's pkcs11 engine (libp11) through the proxy
set +e
PKCS11_MODULE_PATH=$FP KYSO_FAULT="log=$T/engine.log" openssl dgst -engine pkcs11 -keyform engine \
	-sign "pkcs11:token=fault;object=faultkey;type=private;pin-value=$PIN" -sha256 \
	-out "$T/sig.engine" "$T/data" >"$T/engine.out" 2>&1
set -e
kh_check "libp11 engine: signs through the proxy, signature verifies" \
	eval 'openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.engine" "$T/data" &&
	grep -qx "C_Sign CKR_OK 0x0" "$T/engine.log"'

# --- PIN state flags --------------------------------------------------------
OUT=$RAW_T
kh_check "raw token shows no PIN warning flags" \
	eval 'hasnt "user PIN locked" && hasnt "user PIN count low" && hasnt "final user PIN try"'
fp pin-locked -T
kh_check "pin-locked: -T shows 'user PIN locked'" ok_has "user PIN locked"
fp pin-locked "${LOGIN[@]}" -O
kh_check "pin-locked: login fails with CKR_PIN_LOCKED" fails_with CKR_PIN_LOCKED
fp pin-count-low -T
kh_check "pin-count-low: -T shows 'user PIN count low'" ok_has "user PIN count low"
fp pin-final-try -T
kh_check "pin-final-try: -T shows 'final user PIN try'" ok_has "final user PIN try"

# --- wrong PIN and the try counter (3 tries, state file) -------------------
export KYSO_FAULT_STATE=$T/pin.state
fp wrong-pin "${LOGIN[@]}" -O
kh_check "wrong-pin: correct PIN refused with CKR_PIN_INCORRECT" fails_with CKR_PIN_INCORRECT
fp wrong-pin -T
kh_check "wrong-pin: 1 failure -> count low, not final try" \
	eval 'ok_has "user PIN count low" && hasnt "final user PIN try" && hasnt "user PIN locked"'
fp wrong-pin "${LOGIN[@]}" -O
fp wrong-pin -T
kh_check "wrong-pin: 2 failures -> final try" \
	eval 'ok_has "final user PIN try" && hasnt "user PIN locked"'
fp wrong-pin "${LOGIN[@]}" -O
kh_check "wrong-pin: third try still CKR_PIN_INCORRECT" fails_with CKR_PIN_INCORRECT
fp wrong-pin -T
kh_check "wrong-pin: 3 failures -> user PIN locked" ok_has "user PIN locked"
fp wrong-pin "${LOGIN[@]}" -O
kh_check "wrong-pin: fourth try CKR_PIN_LOCKED" fails_with CKR_PIN_LOCKED
fp pin-tries=3 "${LOGIN[@]}" -O
kh_check "pin-tries: locked counter refuses the correct PIN" fails_with CKR_PIN_LOCKED
rm -f "$KYSO_FAULT_STATE"
fp pin-tries=3 --token-label fault --login --pin 000000 -O
kh_check "pin-tries: a really wrong PIN gives CKR_PIN_INCORRECT" fails_with CKR_PIN_INCORRECT
fp pin-tries=3 -T
kh_check "pin-tries: and is counted (count low)" ok_has "user PIN count low"
fp pin-tries=3 "${LOGIN[@]}" -O
kh_check "pin-tries: the correct PIN logs in" ok_has "faultkey"
fp pin-tries=3 -T
kh_check "pin-tries: a good login resets the counter" \
	eval '[[ $RC -eq 0 ]] && hasnt "user PIN count low"'
unset KYSO_FAULT_STATE

# --- token removal ----------------------------------------------------------
fp removed -L
kh_check "removed: -L shows the slots empty" \
	eval 'ok_has "(empty)" && hasnt "token label"'
fp removed "${LOGIN[@]}" -O
kh_check "removed: the token cannot be found" fails_with 'No slot with token named "fault"'
fp "remove-before-sign,log=$T/rbs.log" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "remove-before-sign: sign fails with CKR_DEVICE_REMOVED" fails_with CKR_DEVICE_REMOVED
kh_check "remove-before-sign: after a good login, at C_SignInit" \
	eval 'grep -q "^C_Login CKR_OK" "$T/rbs.log" &&
	grep -q "^C_SignInit CKR_DEVICE_REMOVED 0x32 fault=remove-before-sign" "$T/rbs.log"'
fp "remove-during-sign,log=$T/rds.log" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "remove-during-sign: sign fails with CKR_DEVICE_REMOVED" fails_with CKR_DEVICE_REMOVED
kh_check "remove-during-sign: C_SignInit passed, C_Sign failed" \
	eval 'grep -q "^C_SignInit CKR_OK" "$T/rds.log" &&
	grep -q "^C_Sign CKR_DEVICE_REMOVED 0x32 fault=remove-during-sign" "$T/rds.log"'

fp "remove-during-sign=600ms" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "remove-during-sign=600ms: fails with CKR_DEVICE_REMOVED after >= 600 ms ($MS ms)" \
	eval 'fails_with CKR_DEVICE_REMOVED && [[ $MS -ge 600 ]]'

# --- slow token, device errors, unsupported functions ----------------------
fp "" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
base_ms=$MS
fp slow:C_Sign=800 "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.slow"
kh_check "slow:C_Sign=800: signing takes >= 800 ms (took $MS ms, $base_ms ms without)" \
	eval '[[ $RC -eq 0 && $MS -ge 800 ]] && cmp -s "$T/sig.slow" "$T/sig.raw"'
fp slow:C_Sign=800 -L
kh_check "slow:C_Sign=800: calls other than C_Sign are not delayed ($MS ms)" \
	eval '[[ $RC -eq 0 && $MS -lt 800 ]]'
fp slow=300 -I
kh_check "slow=300: every call delayed (-I makes >= 3 calls, took $MS ms)" \
	eval '[[ $RC -eq 0 && $MS -ge 900 ]]'
# pkcs11-tool falls back to C_SignUpdate/C_SignFinal when C_Sign fails
fp "device-error:C_Sign,log=$T/de.log" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "device-error:C_Sign: C_Sign answers CKR_DEVICE_ERROR, the operation ends" \
	eval 'grep -qx "C_Sign CKR_DEVICE_ERROR 0x30 fault=device-error target=CKR_OK" "$T/de.log" &&
	grep -q "^C_SignFinal CKR_OK" "$T/de.log"'
fp device-error:C_Sign,device-error:C_SignFinal "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "device-error:C_Sign+C_SignFinal: pkcs11-tool sign fails with CKR_DEVICE_ERROR" \
	fails_with "C_SignFinal failed: rv = CKR_DEVICE_ERROR"
fp not-supported:C_GetMechanismList -M
kh_check "not-supported:C_GetMechanismList: -M fails with CKR_FUNCTION_NOT_SUPPORTED" \
	fails_with "C_GetMechanismList failed: rv = CKR_FUNCTION_NOT_SUPPORTED"

# --- call log never holds the PIN ------------------------------------------
fp "log=$T/calls.log" "${LOGIN[@]}" "${SIGN[@]}" --output-file "$T/sig.x"
kh_check "log: records C_Login and C_Sign" \
	eval 'grep -qx "C_Login CKR_OK 0x0" "$T/calls.log" && grep -qx "C_Sign CKR_OK 0x0" "$T/calls.log"'
kh_check "log: never contains the PIN" eval '! grep -qF "$PIN" "$T/calls.log"'

# --- bad configuration is loud ----------------------------------------------
fp "bogus-fault" -L
kh_check "unknown rule: every call fails and stderr names it" \
	fails_with "kyso-faultp11: unknown fault in rule 'bogus-fault'"
fp "device-error" -L
kh_check "device-error without a function is rejected" fails_with "missing ':C_Function'"
fp "slow:C_Nope=5" -L
kh_check "unknown function name is rejected" fails_with "unknown PKCS#11 function"
fp "pin-tries=0" -L
kh_check "pin-tries=0 is rejected" fails_with "'pin-tries=N' (1..99) needed"
set +e
OUT=$(KYSO_FAULT_TARGET=$T/none.so pkcs11-tool --module "$FP" -L 2>&1)
RC=$?
set -e
kh_check "missing target module: load fails with a message" fails_with "cannot load target module"

# --- rule file switched while a client keeps the module loaded -------------
export KYSO_FAULT_FILE=$T/rules
run_client() { # run_client NAME STEP...: output in $T/NAME.out, exit status in $T/NAME.rc
	local name=$1
	shift
	kh_bg "$T/$name.err" sh -c '"$@" >"$0.out"; echo $? >"$0.rc"' "$T/$name" \
		"$CLIENT" "$FP" fault "$PIN" "$@"
}
set_rules() { printf '%s\n' "$1" >"$T/rules.tmp" && mv "$T/rules.tmp" "$T/rules"; }
line() { sed -n "$1p" "$T/$2.out"; }

set_rules "pin-final-try # from the file"
fp pin-count-low -T
kh_check "rules from KYSO_FAULT and KYSO_FAULT_FILE both apply" \
	eval 'ok_has "user PIN count low" && has "final user PIN try"'

rm -f "$T/rules"
run_client live slots login sign touch:"$T/s1" wait:"$T/g1" \
	sign tokeninfo slots touch:"$T/s2" wait:"$T/g2" \
	slots tokeninfo sign login sign
kh_wait_for 30 test -e "$T/s1"
set_rules removed
touch "$T/g1"
kh_wait_for 30 test -e "$T/s2"
set_rules "# token is back"
touch "$T/g2"
kh_wait_for 30 test -s "$T/live.rc"
cat "$T/live.out"
slots_before=$(line 2 live)
kh_check "client: starts with the token present" test "$slots_before" != "slots CKR_OK 0"
kh_check "client: first signature made" test "$(line 4 live)" = "sign CKR_OK 256"
kh_check "client: after switching the file to 'removed' the next sign fails" \
	eval 'line 5 live | grep -q "^sign CKR_DEVICE_REMOVED"'
kh_check "client: token info then says CKR_TOKEN_NOT_PRESENT" \
	test "$(line 6 live)" = "tokeninfo CKR_TOKEN_NOT_PRESENT"
kh_check "client: no slot lists a token" test "$(line 7 live)" = "slots CKR_OK 0"
kh_check "client: rule file changed back -> token present again" \
	test "$(line 8 live)" = "$slots_before"
kh_check "client: token info works again" eval 'line 9 live | grep -q "^tokeninfo CKR_OK"'
kh_check "client: the old session died with the removal" \
	eval 'line 10 live | grep -q "^sign CKR_SESSION_HANDLE_INVALID"'
kh_check "client: a new login signs again" \
	eval 'test "$(line 11 live)" = "login CKR_OK" && test "$(line 12 live)" = "sign CKR_OK 256"'
kh_check "client: exits 0" test "$(cat "$T/live.rc")" = 0

set_rules "remove-during-sign=1"
run_client rds login sign sign tokeninfo
kh_wait_for 30 test -s "$T/rds.rc"
cat "$T/rds.out"
kh_check "remove-during-sign=1: first signature made" test "$(line 3 rds)" = "sign CKR_OK 256"
kh_check "remove-during-sign=1: second fails in C_Sign with CKR_DEVICE_REMOVED" \
	test "$(line 4 rds)" = "sign CKR_DEVICE_REMOVED (C_Sign)"
kh_check "remove-during-sign=1: the token stays removed" \
	test "$(line 5 rds)" = "tokeninfo CKR_TOKEN_NOT_PRESENT"

set_rules "device-error:C_Sign"
run_client de login sign
kh_wait_for 30 test -s "$T/de.rc"
cat "$T/de.out"
kh_check "device-error:C_Sign: the client's sign fails with CKR_DEVICE_ERROR" \
	test "$(line 3 de)" = "sign CKR_DEVICE_ERROR (C_Sign)"

kh_done
