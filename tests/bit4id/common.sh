# Common prelude of the Bit4id / kyso-pkcs11 tests: a private pcscd, the test
# PKI, and the bit4id applet of kyso-vicc in reader 0.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_HARNESS/vicc/pcscd.sh"
. "$KYSO_HARNESS/pki/pki.sh"

BIT4ID_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3
BIT4ID_AID=E828BD080FD25047656E65726963
MOD=$KYSO_BUILD/lib/kyso-pkcs11.so
PIN=1234

[[ -f $MOD ]] || {
	echo "no module $MOD (build the kyso-pkcs11 target)" >&2
	exit 1
}

kh_tmpdir
kh_pki
kh_pcscd_start

# fresh_reader: stop the card in reader 0 (if any) and start a new APDU log.
fresh_reader() {
	if [[ -n ${KH_VICC_PIDS[0]:-} ]]; then
		kh_vicc_stop 0
	fi
	: >"$KH_PCSCD_DIR/vicc0.apdu"
}

# b4_insert [--applet-opt K=V | kyso-vicc option]...: a fresh virtual token in
# reader 0 with the RSA signer of the test PKI and its CA chain.
b4_insert() {
	fresh_reader
	kh_vicc_insert "$BIT4ID_ATR" 0 --applet bit4id \
		--applet-opt "key=$KH_PKI_SIGNER_RSA_KEY" --applet-opt "cert=$KH_PKI_SIGNER_RSA_CERT" \
		--applet-opt "ca=$KH_PKI_SUBCA_CERT" --applet-opt "ca=$KH_PKI_ROOT_CERT" "$@"
	APDU_LOG=$KH_PCSCD_DIR/vicc0.apdu
}

# p11 ARGS...: pkcs11-tool on our module and the virtual token (never hangs).
p11() {
	timeout 60 pkcs11-tool --module "$MOD" "$@"
}

# card_sw APDU...: the status word of the last APDU, sent after selecting the applet.
card_sw() {
	kh-pcsc-probe transmit 0 "00A4040C0E$BIT4ID_AID" "$@" | tail -n 1 |
		python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["sw"])'
}

# tries_left: what an empty VERIFY answers (63Cx, 6983 or 9000).
tries_left() {
	card_sw 0020000100
}

# verifies_sent: number of VERIFY commands with a PIN in the APDU log.
verifies_sent() {
	grep -c '^> 0020000108\|^> 002000010[9A-F]\|^> 002000011' "$APDU_LOG" || true
}

# signer_id: the CKA_ID (hex) the token gives the signer's key.
signer_id() {
	p11 -O --type cert | awk '/label: *Signature certificate/ {f = 1} f && /ID:/ {print $2; exit}'
}
