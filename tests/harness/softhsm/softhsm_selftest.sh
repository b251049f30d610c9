#!/usr/bin/env bash
# Self-test of the SoftHSM2 test tokens (tests/harness/bin/kh-softhsm): builds the tokens in a
# private dir, lists them with pkcs11-tool, signs with the token keys (pkcs11-tool and the
# OpenSSL pkcs11 engine) and verifies each signature with the PKI certificate's public key.
. "${KYSO_HARNESS:?}/lib.sh"
. "$KYSO_HARNESS/softhsm/softhsm.sh"
kh_tmpdir

PKI=$KYSO_BUILD/harness/pki
H=$KH_TMP/softhsm
kh_check "kh-softhsm builds the tokens" kh-softhsm "$H" "$PKI"
kh_check "softhsm.env written" test -s "$H/softhsm.env"
kh_softhsm "$H" "$PKI"

kh_check "SOFTHSM2_CONF is private to the test" test "$SOFTHSM2_CONF" = "$H/softhsm2.conf"
kh_check "token store lives in OUTDIR" grep -qx "directories.tokendir = $H/tokens" "$SOFTHSM2_CONF"
kh_check "KH_P11_MODULE is a file" test -f "$KH_P11_MODULE"

D=$KH_TMP/work
mkdir -p "$D"
p11() { pkcs11-tool --module "$KH_P11_MODULE" "$@"; }

p11 -L >"$D/slots.txt" 2>&1 || true
labels_are() {
	local got
	got=$(sed -n 's/^ *token label *: //p' "$D/slots.txt" | sort | tr '\n' ' ')
	[[ $got == "kyso-ec kyso-empty kyso-rsa " ]] || { echo "token labels: '$got'" >&2; return 1; }
}
kh_check "pkcs11-tool -L lists exactly kyso-rsa, kyso-ec, kyso-empty" labels_are

p11 --token-label kyso-rsa --login --pin "$KH_P11_USER_PIN" -O >"$D/rsa-objs.txt" 2>&1 || true
# objects_have FILE: awk over "Type Object" blocks; prints "TYPE|label|ID" lines
objs() {
	awk '/Object;/ { if (t) print t "|" l "|" i; t = $1; l = ""; i = "" }
	     /^ *label:/ { sub(/^ *label: */, ""); l = $0 }
	     /^ *ID:/ { i = $2 }
	     END { if (t) print t "|" l "|" i }' "$1" | sort
}
rsa_objs_ok() {
	local got want
	got=$(objs "$D/rsa-objs.txt")
	want=$(printf '%s\n' "Certificate|Kyso Test Root CA|03" "Certificate|Kyso Test Sub CA|02" \
		"Certificate|Nguyen Van An|01" "Private|Nguyen Van An|01" "Public|Nguyen Van An|01")
	[[ $got == "$want" ]] || { echo "kyso-rsa objects:"$'\n'"$got" >&2; return 1; }
}
kh_check "kyso-rsa holds key, public key, cert (id 01) and the two CA certs" rsa_objs_ok
kh_check "kyso-rsa private key is RSA" grep -q "Private Key Object; RSA" "$D/rsa-objs.txt"

p11 --token-label kyso-ec --login --pin "$KH_P11_USER_PIN" -O >"$D/ec-objs.txt" 2>&1 || true
ec_objs_ok() {
	local got want
	got=$(objs "$D/ec-objs.txt")
	want=$(printf '%s\n' "Certificate|Tran Thi Binh|01" "Private|Tran Thi Binh|01" "Public|Tran Thi Binh|01")
	[[ $got == "$want" ]] || { echo "kyso-ec objects:"$'\n'"$got" >&2; return 1; }
}
kh_check "kyso-ec holds key, public key and cert (id 01)" ec_objs_ok
kh_check "kyso-ec private key is EC" grep -q "Private Key Object; EC" "$D/ec-objs.txt"

empty_ok() {
	local out
	out=$(p11 --token-label kyso-empty --login --pin "$KH_P11_USER_PIN" -O 2>&1) || return 1
	! grep -q "Object;" <<<"$out"
}
kh_check "kyso-empty has no objects (after login)" empty_ok
kh_check "private key hidden without login" bash -c \
	'out=$(pkcs11-tool --module "$1" --token-label kyso-rsa -O 2>&1) && grep -q "Certificate Object" <<<"$out" && ! grep -q "Private Key" <<<"$out"' \
	_ "$KH_P11_MODULE"

read_cert_is() {
	p11 --token-label "$1" --read-object --type cert --id 01 -o "$D/$1.der" >/dev/null 2>&1 &&
		cmp -s "$D/$1.der" "$2"
}
kh_check "kyso-rsa certificate is the PKI's RSA signer cert" read_cert_is kyso-rsa "$KH_PKI_SIGNER_RSA_CERT_DER"
kh_check "kyso-ec certificate is the PKI's EC signer cert" read_cert_is kyso-ec "$KH_PKI_SIGNER_EC_CERT_DER"

# PINs
kh_check "wrong user PIN is refused" bash -c \
	'! pkcs11-tool --module "$1" --token-label kyso-empty --login --pin 999999 -O >/dev/null 2>&1' _ "$KH_P11_MODULE"
kh_check "SO PIN 12345678 works (re-init user PIN)" p11 --token-label kyso-empty --login --login-type so \
	--so-pin "$KH_P11_SO_PIN" --init-pin --new-pin "$KH_P11_USER_PIN"
kh_check "wrong SO PIN is refused" bash -c \
	'! pkcs11-tool --module "$1" --token-label kyso-empty --login --login-type so --so-pin 87654321 --init-pin --new-pin 123456 >/dev/null 2>&1' \
	_ "$KH_P11_MODULE"
kh_check "PINs in the env file" test "$KH_P11_USER_PIN:$KH_P11_SO_PIN" = "123456:12345678"

# Signing with the token keys, verified with the certificates' public keys.
printf 'kyso ký số %s\n' "$RANDOM" >"$D/data.txt"
printf 'other data\n' >"$D/other.txt"
openssl dgst -sha256 -binary "$D/data.txt" >"$D/data.sha256"
openssl x509 -in "$KH_PKI_SIGNER_RSA_CERT" -noout -pubkey >"$D/rsa.pub"
openssl x509 -in "$KH_PKI_SIGNER_EC_CERT" -noout -pubkey >"$D/ec.pub"

kh_check "pkcs11-tool RSA SHA256-RSA-PKCS signature made on kyso-rsa" p11 --token-label kyso-rsa --login \
	--pin "$KH_P11_USER_PIN" --sign --id 01 -m SHA256-RSA-PKCS -i "$D/data.txt" -o "$D/rsa.sig"
kh_check "RSA token signature verifies with the cert's public key" \
	openssl dgst -sha256 -verify "$D/rsa.pub" -signature "$D/rsa.sig" "$D/data.txt"
kh_check "RSA token signature does not verify other data" bash -c \
	'! openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null 2>&1' _ "$D/rsa.pub" "$D/rsa.sig" "$D/other.txt"
kh_check "RSA token signature does not verify with another signer's key" bash -c \
	'! openssl dgst -sha256 -verify <(openssl x509 -in "$1" -noout -pubkey) -signature "$2" "$3" >/dev/null 2>&1' \
	_ "$KH_PKI_SIGNER_EXPIRED_CERT" "$D/rsa.sig" "$D/data.txt"

kh_check "pkcs11-tool ECDSA signature made on kyso-ec" p11 --token-label kyso-ec --login \
	--pin "$KH_P11_USER_PIN" --sign --id 01 -m ECDSA --signature-format openssl \
	-i "$D/data.sha256" -o "$D/ec.sig"
kh_check "EC token signature verifies with the cert's public key" \
	openssl dgst -sha256 -verify "$D/ec.pub" -signature "$D/ec.sig" "$D/data.txt"
kh_check "EC token signature does not verify other data" bash -c \
	'! openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >/dev/null 2>&1' _ "$D/ec.pub" "$D/ec.sig" "$D/other.txt"

# OpenSSL pkcs11 engine (libp11) with PKCS11_MODULE_PATH: the same path kyso's signer uses.
engine_sign() {
	PKCS11_MODULE_PATH=$KH_P11_MODULE openssl pkeyutl -engine pkcs11 -keyform engine -sign \
		-inkey "$1;pin-value=$KH_P11_USER_PIN" -pkeyopt digest:sha256 -in "$D/data.sha256" -out "$2"
}
kh_check "OpenSSL engine signs with kyso-rsa key URI" engine_sign "$KH_P11_RSA_KEY_URI" "$D/rsa-engine.sig"
kh_check "engine RSA signature verifies with the cert" openssl pkeyutl -verify -certin \
	-inkey "$KH_PKI_SIGNER_RSA_CERT" -pkeyopt digest:sha256 -in "$D/data.sha256" -sigfile "$D/rsa-engine.sig"
kh_check "OpenSSL engine signs with kyso-ec key URI" engine_sign "$KH_P11_EC_KEY_URI" "$D/ec-engine.sig"
kh_check "engine EC signature verifies with the cert" openssl pkeyutl -verify -certin \
	-inkey "$KH_PKI_SIGNER_EC_CERT" -in "$D/data.sha256" -sigfile "$D/ec-engine.sig"

# Idempotence
serial_before=$(sed -n '/token label *: kyso-rsa/,/serial num/s/^ *serial num *: //p' "$D/slots.txt")
kh_check "second run reuses the tokens" bash -c 'kh-softhsm "$1" "$2" | grep -q "^kh-softhsm: reusing"' _ "$H" "$PKI"
same_serial() {
	local now
	now=$(p11 -L 2>/dev/null | sed -n '/token label *: kyso-rsa/,/serial num/s/^ *serial num *: //p')
	[[ -n $serial_before && $now == "$serial_before" ]]
}
kh_check "reuse keeps the same kyso-rsa token" same_serial
mkdir -p "$KH_TMP/foreign"
echo keep >"$KH_TMP/foreign/file"
kh_check "kh-softhsm refuses to wipe a directory it did not make" bash -c \
	'! kh-softhsm "$1" "$2" 2>/dev/null && [[ $(cat "$1/file") == keep ]]' _ "$KH_TMP/foreign" "$PKI"
kh_check "kh-softhsm with one argument is a usage error" bash -c 'kh-softhsm x 2>/dev/null; [[ $? -eq 2 ]]'

kh_done
