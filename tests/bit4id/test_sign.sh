#!/bin/bash
# Signing through kyso-pkcs11 with the virtual Bit4id token, by the tools users
# run: pkcs11-tool (SHA256-RSA-PKCS, and RSA-PKCS over a DigestInfo we give),
# OpenSSL through libp11's engine, NSS (modutil/certutil), and `kyso sign`
# (PDF checked by pdfsig). Every signature is verified with the certificate.
. "$KYSO_SRC/tests/bit4id/common.sh"
b4_insert
id=$(signer_id)
openssl x509 -in "$KH_PKI_SIGNER_RSA_CERT" -pubkey -noout >"$KH_TMP/pub.pem"
printf 'Văn bản thử nghiệm %s\n' "$(date +%s)" >"$KH_TMP/data"

# pkcs11-tool, the module hashes and builds the DigestInfo.
p11 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS --id "$id" -i "$KH_TMP/data" -o "$KH_TMP/sig1"
kh_check "SHA256-RSA-PKCS signature verifies with the certificate" \
	openssl dgst -sha256 -verify "$KH_TMP/pub.pem" -signature "$KH_TMP/sig1" "$KH_TMP/data"
kh_check "the card got MSE SET algorithm 0x8A, key 0x81" grep -q '^> 002241B60680018A840181$' "$APDU_LOG"
kh_check "PSO: COMPUTE DIGITAL SIGNATURE got a SHA-256 DigestInfo" \
	grep -q '^> 002A9E9A333031300D060960864801650304020105000420' "$APDU_LOG"

# RSA-PKCS: the caller gives the DigestInfo.
{
	printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
	openssl dgst -sha256 -binary "$KH_TMP/data"
} >"$KH_TMP/digestinfo"
p11 --login --pin "$PIN" --sign -m RSA-PKCS --id "$id" -i "$KH_TMP/digestinfo" -o "$KH_TMP/sig2"
kh_check "RSA-PKCS over our DigestInfo verifies as a SHA-256 signature" \
	openssl dgst -sha256 -verify "$KH_TMP/pub.pem" -signature "$KH_TMP/sig2" "$KH_TMP/data"
kh_check "RSA PKCS#1 v1.5 is deterministic: both signatures are equal" cmp "$KH_TMP/sig1" "$KH_TMP/sig2"

p11 --login --pin "$PIN" --sign -m SHA512-RSA-PKCS --id "$id" -i "$KH_TMP/data" -o "$KH_TMP/sig3"
kh_check "SHA512-RSA-PKCS signature verifies" \
	openssl dgst -sha512 -verify "$KH_TMP/pub.pem" -signature "$KH_TMP/sig3" "$KH_TMP/data"

# Without login the key is not there to sign with.
out=$(p11 --sign -m SHA256-RSA-PKCS --id "$id" -i "$KH_TMP/data" -o "$KH_TMP/sig4" 2>&1) || true
kh_check "no login: no signature" bash -c '[[ ! -s $1 ]]' _ "$KH_TMP/sig4"

# A second token in the other reader, with an RSA-3072 key: its 384-byte
# signature comes back in two pieces (61xx, GET RESPONSE).
kh_vicc_insert "$BIT4ID_ATR" 1 --applet bit4id --applet-opt "key=$KH_PKI_SIGNER_RSA3072_KEY" \
	--applet-opt "cert=$KH_PKI_SIGNER_RSA3072_CERT" --applet-opt "ca=$KH_PKI_SUBCA_CERT"
out=$(p11 -L)
kh_check "two readers, two tokens" test "$(grep -c 'token label *: VGCA' <<<"$out")" = 2
p11 --slot 1 --login --pin "$PIN" --sign -m SHA256-RSA-PKCS -i "$KH_TMP/data" -o "$KH_TMP/sig3072"
openssl x509 -in "$KH_PKI_SIGNER_RSA3072_CERT" -pubkey -noout >"$KH_TMP/pub3072.pem"
kh_check "RSA-3072 token in slot 1: 384-byte signature verifies" \
	openssl dgst -sha256 -verify "$KH_TMP/pub3072.pem" -signature "$KH_TMP/sig3072" "$KH_TMP/data"
kh_check "RSA-3072 signature fetched with GET RESPONSE" grep -q '^> 00C0000080$' "$KH_PCSCD_DIR/vicc1.apdu"
kh_vicc_stop 1

# Several threads of one program signing at once (NSS and agents do that).
out=$(timeout 120 kh-p11-check "$MOD" "$PIN" threads) && rc=0 || rc=$?
echo "$out"
kh_check "4 threads x 5 signatures at once all succeed" grep -qx "threads ok=20/20" <<<"$out"
kh_check "threads: clean C_Finalize, exit 0" \
	bash -c 'grep -q "^finalize rv=CKR_OK again=CKR_OK" <<<"$1" && [[ $2 == 0 ]]' _ "$out" "$rc"

# OpenSSL through libp11's engine.
uri="pkcs11:token=VGCA;object=Signature%20key;type=private;pin-value=$PIN"
PKCS11_MODULE_PATH=$MOD timeout 60 openssl dgst -engine pkcs11 -keyform engine -sign "$uri" \
	-sha256 -out "$KH_TMP/sig5" "$KH_TMP/data"
kh_check "libp11 engine signature verifies" \
	openssl dgst -sha256 -verify "$KH_TMP/pub.pem" -signature "$KH_TMP/sig5" "$KH_TMP/data"

# NSS: register the module in a private database, list certificates and keys.
mkdir "$KH_TMP/nss"
certutil -N -d "sql:$KH_TMP/nss" --empty-password
timeout 60 modutil -dbdir "sql:$KH_TMP/nss" -add kyso -libfile "$MOD" -force
echo "$PIN" >"$KH_TMP/pinfile"
out=$(timeout 60 certutil -L -h all -d "sql:$KH_TMP/nss" -f "$KH_TMP/pinfile")
echo "$out"
kh_check "NSS: signer certificate with its private key (u,u,u)" \
	grep -q '^VGCA:Signature certificate *u,u,u' <<<"$out"
kh_check "NSS: the two CA certificates" \
	bash -c 'grep -q "^VGCA:CA " <<<"$1" && grep -q "^VGCA:Root CA " <<<"$1"' _ "$out"
out=$(timeout 60 certutil -K -h VGCA -d "sql:$KH_TMP/nss" -f "$KH_TMP/pinfile")
kh_check "NSS: certutil -K finds the RSA key" grep -q "rsa *$id *Signature key" <<<"$out"

# kyso sign with this module; pdfsig checks the PDF against the test root.
python3 "$KYSO_HARNESS/corpus/pdfgen.py" simple "$KH_TMP/in.pdf"
if kyso sign --help >/dev/null 2>&1; then
	KPIN=$PIN timeout 120 kyso sign "$KH_TMP/in.pdf" -o "$KH_TMP/out.pdf" --module "$MOD" \
		--token VGCA --pin-env KPIN
	certutil -A -d "sql:$KH_TMP/nss" -n root -t CT,C,C -i "$KH_PKI_ROOT_CERT"
	out=$(pdfsig -nssdir "sql:$KH_TMP/nss" "$KH_TMP/out.pdf")
	echo "$out"
	kh_check "kyso sign: pdfsig says the signature is valid" grep -q 'Signature is Valid' <<<"$out"
	kh_check "kyso sign: certificate trusted (chain to the test root)" \
		grep -q 'Certificate is Trusted' <<<"$out"
	kh_check "kyso sign: signer is the token's certificate" \
		grep -q 'Common Name: Nguyễn Văn An' <<<"$out"
else
	kh_fail "kyso sign is not available"
fi
kh_done
