#!/usr/bin/env bash
# Self-test of the test PKI (tests/harness/bin/kh-pki): builds a fresh PKI in a private dir and
# checks it with the openssl CLI. Expected values are written out literally here, not read back
# from pki.env, so a wrong subject or a lost attribute in kh-pki makes this test fail.
. "${KYSO_HARNESS:?}/lib.sh"
kh_tmpdir

P=$KH_TMP/pki
kh_check "kh-pki builds a PKI" kh-pki "$P"
kh_check "pki.env written" test -s "$P/pki.env"
# shellcheck disable=SC1091
. "$P/pki.env"

# every file the manifest names exists and is not empty
files_exist() {
	local v n=0
	for v in $(sed -n 's/^\(KH_PKI_[A-Z0-9_]*\(CERT\|CERT_DER\|KEY\|KEY_DER\|PUB\|PUB_DER\|CHAIN\|P12\|CRL\|CRL_DER\|CRLS\)\)=.*/\1/p' "$P/pki.env"); do
		[[ -s ${!v} ]] || { echo "missing file for $v: ${!v}" >&2; return 1; }
		n=$((n + 1))
	done
	[[ $n -ge 95 ]] || { echo "only $n file variables" >&2; return 1; }
}
kh_check "every file named in pki.env exists" files_exist

vfy() { openssl verify -CAfile "$KH_PKI_ROOT_CERT" -untrusted "$KH_PKI_SUBCA_CERT" "$@"; }
verify_ok() { vfy "$1" >/dev/null 2>&1; }
# verify_fails CERT EXPECTED_ERROR_TEXT
verify_fails() {
	local out
	if out=$(vfy "$1" 2>&1); then
		echo "unexpectedly verified: $1" >&2
		return 1
	fi
	grep -q -- "$2" <<<"$out" || { echo "wrong error for $1: $out" >&2; return 1; }
}

for s in SIGNER_RSA SIGNER_RSA3072 SIGNER_EC SIGNER_EC384 SIGNER_REVOKED TSA; do
	c=KH_PKI_${s}_CERT
	kh_check "$s verifies against root + sub-CA" verify_ok "${!c}"
done
kh_check "expired signer is rejected as expired" \
	verify_fails "$KH_PKI_SIGNER_EXPIRED_CERT" "certificate has expired"
kh_check "not-yet-valid signer is rejected" \
	verify_fails "$KH_PKI_SIGNER_FUTURE_CERT" "certificate is not yet valid"
kh_check "untrusted-root signer is rejected" \
	verify_fails "$KH_PKI_SIGNER_UNTRUSTED_CERT" "unable to get local issuer certificate"
kh_check "untrusted-root signer verifies against its own root" \
	openssl verify -CAfile "$KH_PKI_UNTRUSTED_ROOT_CERT" "$KH_PKI_SIGNER_UNTRUSTED_CERT"
kh_check "expired signer was valid in 2020 (-attime)" \
	openssl verify -attime 1590000000 -CAfile "$KH_PKI_ROOT_CERT" -untrusted "$KH_PKI_SUBCA_CERT" \
	"$KH_PKI_SIGNER_EXPIRED_CERT"
kh_check "signer chain file verifies (signer + sub-CA + root)" bash -c \
	'[[ $(grep -c "BEGIN CERTIFICATE" "$1") -eq 3 ]] && openssl verify -CAfile "$2" -untrusted "$1" "$1"' \
	_ "$KH_PKI_SIGNER_RSA_CHAIN" "$KH_PKI_ROOT_CERT"

# subject, UTF-8
subject_is() {
	local got
	got=$(openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_comma_plus_space)
	[[ $got == "subject=$2" ]] || { echo "subject: got '$got' want 'subject=$2'" >&2; return 1; }
}
kh_check "RSA signer subject prints the Vietnamese name exactly" subject_is "$KH_PKI_SIGNER_RSA_CERT" \
	"C=VN, ST=Hà Nội, L=Ba Đình, O=UBND Tỉnh Thử Nghiệm, OU=Văn phòng UBND, CN=Nguyễn Văn An, UID=CMND:012345678901, emailAddress=an.nguyen@thunghiem.example"
kh_check "EC signer subject" subject_is "$KH_PKI_SIGNER_EC_CERT" \
	"C=VN, O=Sở Nội vụ Tỉnh Thử Nghiệm, CN=Trần Thị Bình, UID=CCCD:079301234567, emailAddress=binh.tran@thunghiem.example"
kh_check "CN is a UTF8String in DER" bash -c \
	'openssl asn1parse -inform DER -in "$1" | grep -q "UTF8STRING *:Nguyễn Văn An$"' _ "$KH_PKI_SIGNER_RSA_CERT_DER"
kh_check "manifest CN matches certificate" test "$KH_PKI_SIGNER_RSA_CN" = "Nguyễn Văn An"

ext_is() {
	local got
	got=$(openssl x509 -in "$1" -noout -ext "$2" | tr -s ' \n' ' ')
	[[ $got == "$3" ]] || { echo "$2: got '$got' want '$3'" >&2; return 1; }
}
kh_check "signer subjectAltName e-mail" ext_is "$KH_PKI_SIGNER_RSA_CERT" subjectAltName \
	"X509v3 Subject Alternative Name: email:an.nguyen@thunghiem.example "
kh_check "signer keyUsage digitalSignature+nonRepudiation, critical" ext_is "$KH_PKI_SIGNER_RSA_CERT" \
	keyUsage "X509v3 Key Usage: critical Digital Signature, Non Repudiation "
kh_check "TSA EKU timeStamping, critical" ext_is "$KH_PKI_TSA_CERT" extendedKeyUsage \
	"X509v3 Extended Key Usage: critical Time Stamping "
kh_check "sub-CA is a CA with pathlen 0" ext_is "$KH_PKI_SUBCA_CERT" basicConstraints \
	"X509v3 Basic Constraints: critical CA:TRUE, pathlen:0 "

key_is() { openssl x509 -in "$1" -noout -text | grep -q -- "$2"; }
kh_check "RSA signer key is 2048 bit" key_is "$KH_PKI_SIGNER_RSA_CERT" "Public-Key: (2048 bit)"
kh_check "RSA3072 signer key is 3072 bit" key_is "$KH_PKI_SIGNER_RSA3072_CERT" "Public-Key: (3072 bit)"
kh_check "EC signer is P-256" key_is "$KH_PKI_SIGNER_EC_CERT" "NIST CURVE: P-256"
kh_check "EC384 signer is P-384" key_is "$KH_PKI_SIGNER_EC384_CERT" "NIST CURVE: P-384"

key_matches_cert() {
	local a b
	a=$(openssl x509 -in "$1" -noout -pubkey)
	b=$(openssl pkey -in "$2" -pubout)
	[[ -n $a && $a == "$b" ]]
}
for s in SIGNER_RSA SIGNER_RSA3072 SIGNER_EC SIGNER_EC384 SIGNER_EXPIRED SIGNER_UNTRUSTED TSA; do
	c=KH_PKI_${s}_CERT k=KH_PKI_${s}_KEY
	kh_check "$s key matches its certificate" key_matches_cert "${!c}" "${!k}"
done
kh_check "DER key is PKCS#8 of the same key" bash -c \
	'cmp <(openssl pkey -inform DER -in "$1" -pubout) <(openssl pkey -in "$2" -pubout) &&
	 openssl asn1parse -inform DER -in "$1" | head -5 | grep -q "rsaEncryption"' \
	_ "$KH_PKI_SIGNER_RSA_KEY_DER" "$KH_PKI_SIGNER_RSA_KEY"
kh_check "DER certificate equals PEM certificate" bash -c \
	'cmp <(openssl x509 -inform DER -in "$1") <(openssl x509 -in "$2")' \
	_ "$KH_PKI_SIGNER_EC_CERT_DER" "$KH_PKI_SIGNER_EC_CERT"

# CRL
kh_check "sub-CA CRL signature verifies" bash -c \
	'openssl crl -in "$1" -CAfile "$2" -noout 2>&1 | grep -qx "verify OK"' _ "$KH_PKI_SUBCA_CRL" "$KH_PKI_CHAIN"
kh_check "CRL lists the revoked serial (and only it)" bash -c \
	'[[ $(openssl crl -in "$1" -noout -text | grep -c "Serial Number:") -eq 1 ]] &&
	 openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2$" &&
	 [[ $2 == $(openssl x509 -in "$3" -noout -serial | cut -d= -f2) ]]' \
	_ "$KH_PKI_SUBCA_CRL" "$KH_PKI_REVOKED_SERIAL" "$KH_PKI_SIGNER_REVOKED_CERT"
crl_vfy() { openssl verify -crl_check_all -CAfile "$KH_PKI_ROOT_CERT" -untrusted "$KH_PKI_SUBCA_CERT" -CRLfile "$KH_PKI_CRLS" "$1" 2>&1; }
kh_check "revoked signer fails a CRL check" bash -c '! out=$("$@" 2>&1) && grep -q "certificate revoked" <<<"$out"' _ \
	openssl verify -crl_check_all -CAfile "$KH_PKI_ROOT_CERT" -untrusted "$KH_PKI_SUBCA_CERT" \
	-CRLfile "$KH_PKI_CRLS" "$KH_PKI_SIGNER_REVOKED_CERT"
kh_check "good signer passes a CRL check" crl_vfy "$KH_PKI_SIGNER_RSA_CERT"

# PKCS#12
p12_ok() {
	local out
	out=$(openssl pkcs12 -in "$1" -passin pass:1234 -nodes 2>/dev/null) || return 1
	[[ $(grep -c "BEGIN CERTIFICATE" <<<"$out") -eq 3 ]] || return 1
	cmp -s <(openssl pkey -pubout <<<"$out") <(openssl x509 -in "$2" -noout -pubkey)
}
kh_check "RSA PKCS#12 opens with 1234, holds key + 3 certs" p12_ok "$KH_PKI_SIGNER_RSA_P12" "$KH_PKI_SIGNER_RSA_CERT"
kh_check "EC PKCS#12 opens with 1234, holds key + 3 certs" p12_ok "$KH_PKI_SIGNER_EC_P12" "$KH_PKI_SIGNER_EC_CERT"
kh_check "PKCS#12 rejects a wrong password" bash -c '! openssl pkcs12 -in "$1" -passin pass:0000 -nodes >/dev/null 2>&1' \
	_ "$KH_PKI_SIGNER_RSA_P12"

# idempotence: a second run reuses the PKI; a changed stamp forces a rebuild
serial_before=$KH_PKI_SIGNER_RSA_SERIAL
kh_check "second run reuses the PKI" bash -c 'kh-pki "$1" | grep -q "^kh-pki: reusing"' _ "$P"
kh_check "reuse keeps the same certificate" bash -c \
	'[[ $(openssl x509 -in "$1" -noout -serial) == "serial=$2" ]]' _ "$KH_PKI_SIGNER_RSA_CERT" "$serial_before"
echo stale >"$P/.done"
kh_check "stale stamp forces a rebuild" bash -c 'kh-pki "$1" | grep -q "^kh-pki: built"' _ "$P"
kh_check "rebuild issues new certificates" bash -c \
	'[[ $(openssl x509 -in "$1" -noout -serial) != "serial=$2" ]]' _ "$KH_PKI_SIGNER_RSA_CERT" "$serial_before"
mkdir -p "$KH_TMP/foreign"
echo keep >"$KH_TMP/foreign/file"
kh_check "kh-pki refuses to wipe a directory it did not make" bash -c \
	'! kh-pki "$1" 2>/dev/null && [[ $(cat "$1/file") == keep ]]' _ "$KH_TMP/foreign"
kh_check "kh-pki without arguments is a usage error" bash -c 'kh-pki 2>/dev/null; [[ $? -eq 2 ]]'

kh_done
