#!/bin/bash
# kyso-pkcs11 lists the virtual Bit4id token, its certificates (stored
# compressed on the card, inflated by the module) and keys, read from the
# PKCS#15 files the ODF names; pkcs11-tool's own self-test passes.
. "$KYSO_SRC/tests/bit4id/common.sh"
b4_insert

# The catalog chain: kyso detect names the emulated token and kyso-pkcs11 as its driver.
out=$(timeout 60 kyso detect --json --no-usb --catalog "$KYSO_SRC/data/tokens.json") || true
kh_check "kyso detect: the virtual token is the catalog's bit4id-tokenme-evo-v2, driver kyso-pkcs11" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
t = [t for t in d["tokens"] if t.get("reader") == sys.argv[2] + " 00 00"]
assert t and t[0]["id"] == "bit4id-tokenme-evo-v2", t
assert t[0]["driver"]["builtin"] == "kyso-pkcs11", t[0]["driver"]
' "$out" "$KH_VPCD_READER"

out=$(p11 -L)
echo "$out"
kh_check "-L: token present with the card's TokenInfo label" grep -q 'token label *: VGCA' <<<"$out"
kh_check "-L: manufacturer and model from the profile" \
	bash -c 'grep -q "token manufacturer *: Bit4id" <<<"$1" && grep -q "token model *: TokenME EVO v2" <<<"$1"' _ "$out"
kh_check "-L: serial number from TokenInfo" grep -q 'serial num *: 4B59534F00002371' <<<"$out"
kh_check "-L: PIN length 4-16 from the AODF" grep -q 'pin min/max *: 4/16' <<<"$out"
kh_check "-L: the empty second reader has no token" \
	bash -c 'grep -A1 "VPCD 00 01" <<<"$1" | grep -q empty' _ "$out"
kh_check "-L: no PIN warning flags on a fresh token" bash -c '! grep -q "count low\|locked" <<<"$1"' _ "$out"

out=$(p11 -T)
kh_check "-T lists exactly one token" test "$(grep -c 'token label' <<<"$out")" = 1

out=$(p11 -M)
echo "$out"
kh_check "-M: RSA-PKCS" grep -q '^ *RSA-PKCS, ' <<<"$out"
kh_check "-M: SHA256-RSA-PKCS" grep -q 'SHA256-RSA-PKCS' <<<"$out"

out=$(p11 -O)
echo "$out"
kh_check "-O without login: three certificates" test "$(grep -c 'Certificate Object' <<<"$out")" = 3
kh_check "-O without login: public key, 2048 bits" grep -q 'Public Key Object; RSA 2048 bits' <<<"$out"
kh_check "-O without login: no private key" bash -c '! grep -q "Private Key Object" <<<"$1"' _ "$out"
serial=$(openssl x509 -in "$KH_PKI_SIGNER_RSA_CERT" -noout -serial | cut -d= -f2)
kh_check "-O: signer serial number (CKA_SERIAL_NUMBER)" grep -qi "serial: *$serial" <<<"$out"
kh_check "-O: signer subject (CKA_SUBJECT) with the Vietnamese CN" \
	grep -q 'CN=Nguy\\xE1\\xBB\\x85n V\\xC4\\x83n An' <<<"$out"

out=$(p11 -O --login --pin "$PIN")
kh_check "-O after login: the private key shows, can sign" \
	bash -c 'grep -A3 "Private Key Object; RSA" <<<"$1" | grep -q "Usage: *sign"' _ "$out"

# The certificates as the module hands them out equal the PKI's DER files.
id=$(signer_id)
kh_check "signer key ID is SHA-1 of the modulus (as in the PrKDF)" test "${#id}" = 40
p11 --read-object --type cert --id "$id" -o "$KH_TMP/signer.der"
kh_check "signer certificate (inflated) equals the PKI's DER" cmp "$KH_TMP/signer.der" "$KH_PKI_SIGNER_RSA_CERT_DER"
p11 --read-object --type cert --label CA -o "$KH_TMP/ca.der"
kh_check "sub-CA certificate from EF 0002 equals the PKI's DER" cmp "$KH_TMP/ca.der" "$KH_PKI_SUBCA_CERT_DER"
p11 --read-object --type pubkey --id "$id" -o "$KH_TMP/pub.der"
openssl x509 -in "$KH_PKI_SIGNER_RSA_CERT" -pubkey -noout | openssl pkey -pubin -outform der -out "$KH_TMP/pub-pki.der"
kh_check "public key object matches the certificate's key" cmp "$KH_TMP/pub.der" "$KH_TMP/pub-pki.der"
kh_check "the card stored the certificates compressed (01 00 + zlib)" \
	grep -q '^< 0100[0-9A-F]\{4\}78DA' "$APDU_LOG"

# pkcs11-tool's own test suite (signatures with every mechanism, checked).
out=$(p11 -t --login --pin "$PIN" 2>&1) && rc=0 || rc=$?
echo "$out"
kh_check "pkcs11-tool -t: exit 0" test "$rc" = 0
kh_check "pkcs11-tool -t: No errors" grep -q '^No errors' <<<"$out"
kh_check "pkcs11-tool -t: SHA256-RSA-PKCS OK" grep -q 'SHA256-RSA-PKCS: OK' <<<"$out"

# The DFs, not fixed file ids: a card whose ODF puts the CDF in 7006.
b4_insert --applet-opt cdf=7006
out=$(p11 -O)
kh_check "CDF moved to 7006 (ODF says so): still three certificates" \
	test "$(grep -c 'Certificate Object' <<<"$out")" = 3
kh_check "the module read EF 7006, not 7005" \
	bash -c 'grep -q "^> 00A4020C027006" "$1" && ! grep -q "^> 00A4020C027005" "$1"' _ "$APDU_LOG"

# Certificates stored as plain DER are read too.
b4_insert --applet-opt compress=0
p11 --read-object --type cert --label CA -o "$KH_TMP/ca-plain.der"
kh_check "uncompressed certificate file read as well" cmp "$KH_TMP/ca-plain.der" "$KH_PKI_SUBCA_CERT_DER"

# A card that is not ours: no token, no crash.
fresh_reader
kh_vicc_insert 3B9F958131FE9F006646530520032571DF000003900096 0 --aid A000000063504B43532D3135
out=$(p11 -L)
kh_check "a foreign card (iso applet, ePass2003 ATR) is no token" \
	bash -c 'grep -A1 "VPCD 00 00" <<<"$1" | grep -q empty' _ "$out"
kh_check "it was probed by the AID (6A82 answered)" grep -q "^> 00A4040C0E$BIT4ID_AID" "$KH_PCSCD_DIR/vicc0.apdu"
kh_done
