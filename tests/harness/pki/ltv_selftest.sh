#!/usr/bin/env bash
# Self-test of the LTV test PKI (pki/ltv.sh): certificates name the private CRL/OCSP URLs, the
# CRL server and the OCSP responder really answer (good / revoked), the token holds the three
# signers, and stopping each server by PID closes its port.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
. "$KYSO_HARNESS/pki/ltv.sh"
kh_check "kh_pki_ltv builds and starts its servers" kh_pki_ltv "$KH_TMP/ltv"
D=$KH_TMP/x
mkdir -p "$D"
ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null; }
kh_check "signer: CRL distribution point is the sub-CA CRL URL" bash -c 'grep -qF "URI:$2" <<<"$1"' \
	_ "$(ext "$KH_LTV_SIGNER_CERT" crlDistributionPoints)" "$KH_LTV_CRL_URL/subca.crl"
kh_check "signer: AIA names the OCSP responder" bash -c 'grep -qF "OCSP - URI:$2" <<<"$1"' \
	_ "$(ext "$KH_LTV_SIGNER_CERT" authorityInfoAccess)" "$KH_LTV_OCSP_URL"
kh_check "CRL-only signer: no AIA" test -z "$(ext "$KH_LTV_CRLONLY_CERT" authorityInfoAccess)"
kh_check "sub-CA: CRL distribution point is the root CRL URL" bash -c 'grep -qF "URI:$2" <<<"$1"' \
	_ "$(ext "$KH_LTV_SUBCA_CERT" crlDistributionPoints)" "$KH_LTV_CRL_URL/root.crl"
kh_check "chain verifies" openssl verify -CAfile "$KH_LTV_ROOT_CERT" -untrusted "$KH_LTV_SUBCA_CERT" "$KH_LTV_SIGNER_CERT"
curl -sf -o "$D/subca.crl" "$KH_LTV_CRL_URL/subca.crl" || true
curl -sf -o "$D/root.crl" "$KH_LTV_CRL_URL/root.crl" || true
kh_check "HTTP: sub-CA CRL (DER) verifies with the sub-CA" bash -c \
	'openssl crl -inform DER -in "$1" -CAfile "$2" -noout 2>&1 | grep -q "verify OK"' _ "$D/subca.crl" "$KH_LTV_CHAIN"
kh_check "HTTP: sub-CA CRL lists the revoked signer" bash -c \
	'openssl crl -inform DER -in "$1" -noout -text | grep -q "Serial Number: $2"' \
	_ "$D/subca.crl" "$(openssl x509 -in "$KH_LTV_REVOKED_CERT" -noout -serial | cut -d= -f2)"
kh_check "HTTP: root CRL (DER) verifies with the root" bash -c \
	'openssl crl -inform DER -in "$1" -CAfile "$2" -noout 2>&1 | grep -q "verify OK"' _ "$D/root.crl" "$KH_LTV_ROOT_CERT"
ocsp() { openssl ocsp -issuer "$KH_LTV_SUBCA_CERT" -cert "$1" -url "$KH_LTV_OCSP_URL" -CAfile "$KH_LTV_CHAIN" -timeout 5 2>&1; }
kh_check "OCSP: signer good (response verified)" bash -c 'grep -q "Response verify OK" <<<"$1" && grep -q ": good" <<<"$1"' _ "$(ocsp "$KH_LTV_SIGNER_CERT")"
kh_check "OCSP: revoked signer revoked" bash -c 'grep -q ": revoked" <<<"$1"' _ "$(ocsp "$KH_LTV_REVOKED_CERT")"
kh_check "OCSP: answers are signed by the delegated responder" bash -c \
	'openssl ocsp -issuer "$1" -cert "$2" -url "$3" -CAfile "$4" -resp_text 2>/dev/null | grep -q "Responder Id: .*Kyso LTV OCSP Responder"' \
	_ "$KH_LTV_SUBCA_CERT" "$KH_LTV_SIGNER_CERT" "$KH_LTV_OCSP_URL" "$KH_LTV_CHAIN"
kh_check "token kyso-ltv: three certificates with keys" test "$(SOFTHSM2_CONF=$KH_LTV_SOFTHSM2_CONF pkcs11-tool \
	--module "$KH_LTV_MODULE" --token-label kyso-ltv --login --pin "$KH_LTV_PIN" -O 2>/dev/null | grep -c '^Private Key Object')" -eq 3
ocsp_pid=$KH_LTV_OCSP_PID crl_pid=$KH_LTV_CRL_PID
kh_ltv_stop_ocsp
kh_ltv_stop_crl
kh_check "stopped by PID: processes gone" bash -c '! kill -0 "$1" 2>/dev/null && ! kill -0 "$2" 2>/dev/null' _ "$ocsp_pid" "$crl_pid"
kh_check "stopped: CRL URL refuses connections" bash -c '! curl -s -o /dev/null --max-time 2 "$1"' _ "$KH_LTV_CRL_URL/root.crl"
kh_check "stopped: OCSP responder refuses connections" bash -c '! curl -s -o /dev/null --max-time 2 "$1"' _ "$KH_LTV_OCSP_URL"
kh_done
