#!/bin/bash
# PIN handling of kyso-pkcs11 against the virtual Bit4id token: the PIN is
# padded with FF to 8 bytes, a wrong PIN is tried exactly once (no automatic
# retry), the tries left show in C_GetTokenInfo's flags (count low, final
# try), three wrong PINs lock it (CKR_PIN_LOCKED, "user PIN locked"). Also the
# emulation's strictness the module has to satisfy (wrong AID, unpadded PIN,
# wrong algorithm reference).
. "$KYSO_SRC/tests/bit4id/common.sh"
b4_insert

# --- the emulation is strict where the field report is specific ---
kh_check "card: wrong AID -> 6A82" \
	test "$(kh-pcsc-probe transmit 0 00A4040C07A000000063504B | tail -n1 | grep -o '"sw":"[0-9A-F]*"')" = '"sw":"6A82"'
kh_check "card: PIN not padded to 8 bytes -> 6A80" test "$(card_sw 002000010431323334)" = 6A80
kh_check "card: the unpadded PIN used no try" test "$(tries_left)" = 63C3
kh_check "card: MSE SET with algorithm 0x8A, key 0x81 -> 9000" test "$(card_sw 002241B60680018A840181)" = 9000
kh_check "card: MSE SET with algorithm 0x02 -> 6A80" test "$(card_sw 002241B606800102840181)" = 6A80

# --- login through the module ---
out=$(p11 --login --pin "$PIN" -O 2>&1)
kh_check "right PIN: login works" grep -q 'Private Key Object' <<<"$out"
kh_check "the PIN went to the card padded with FF to 8 bytes" grep -q '^> 002000010831323334FFFFFFFF$' "$APDU_LOG"
kh_check "after logging in, 3 tries left" test "$(tries_left)" = 63C3

n0=$(verifies_sent)
out=$(p11 --login --pin 9999 -O 2>&1) && rc=0 || rc=$?
echo "$out"
kh_check "wrong PIN: CKR_PIN_INCORRECT" grep -q 'CKR_PIN_INCORRECT' <<<"$out"
kh_check "wrong PIN: pkcs11-tool fails" test "$rc" != 0
kh_check "wrong PIN: exactly one VERIFY sent (no retry)" test "$(($(verifies_sent) - n0))" = 1
kh_check "wrong PIN: the card counts 2 tries left" test "$(tries_left)" = 63C2
out=$(p11 -L)
kh_check "token flags: user PIN count low" grep -q 'user PIN count low' <<<"$out"
kh_check "token flags: not yet final try" bash -c '! grep -q "final user PIN try" <<<"$1"' _ "$out"

out=$(p11 --login --pin 99999 -O 2>&1) || true
kh_check "second wrong PIN: CKR_PIN_INCORRECT" grep -q 'CKR_PIN_INCORRECT' <<<"$out"
out=$(p11 -L)
kh_check "token flags: final user PIN try" grep -q "final user PIN try" <<<"$out"

n0=$(verifies_sent)
out=$(p11 --login --pin 999999 -O 2>&1) || true
echo "$out"
kh_check "third wrong PIN: CKR_PIN_LOCKED" grep -q 'CKR_PIN_LOCKED' <<<"$out"
kh_check "third wrong PIN: one VERIFY" test "$(($(verifies_sent) - n0))" = 1
kh_check "the card is blocked (6983)" test "$(tries_left)" = 6983
out=$(p11 -L)
kh_check "token flags: user PIN locked" grep -q 'user PIN locked' <<<"$out"
out=$(p11 --login --pin "$PIN" -O 2>&1) || true
kh_check "right PIN on a locked token: CKR_PIN_LOCKED" grep -q 'CKR_PIN_LOCKED' <<<"$out"

# --- PIN length rules ---
b4_insert
out=$(p11 --login --pin 123 -O 2>&1) || true
kh_check "3-character PIN: CKR_PIN_LEN_RANGE" grep -q 'CKR_PIN_LEN_RANGE' <<<"$out"
out=$(p11 --login --pin 12345678901234567 -O 2>&1) || true
kh_check "17-character PIN: CKR_PIN_LEN_RANGE" grep -q 'CKR_PIN_LEN_RANGE' <<<"$out"
kh_check "no VERIFY sent for out-of-range PINs" test "$(verifies_sent)" = 0
kh_check "no try used" test "$(tries_left)" = 63C3

# A PIN longer than 8 characters is sent as it is (our assumption, see the doc).
b4_insert --applet-opt pin=123456789012
out=$(p11 --login --pin 123456789012 -O 2>&1)
kh_check "12-character PIN: login works" grep -q 'Private Key Object' <<<"$out"
kh_check "12-character PIN sent unpadded (Lc 0C)" grep -q '^> 002000010C313233343536373839303132$' "$APDU_LOG"

# Starting locked, the token says so before any login.
b4_insert --applet-opt tries=0
out=$(p11 -L)
kh_check "a locked token shows 'user PIN locked' in -L" grep -q 'user PIN locked' <<<"$out"
kh_done
