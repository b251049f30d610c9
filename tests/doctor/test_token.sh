#!/usr/bin/env bash
# Fault matrix, token side: PIN locked / count low / final try (fault module
# rules on the SoftHSM2 token), expired certificate and untrusted chain (test
# PKI signers loaded into their own SoftHSM2 tokens).
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
dr_card
unset LANGUAGE
r=$KH_TMP/r.json

# ---- PIN state through the fault module ------------------------------------------
KYSO_FAULT=pin-locked dr_run "$r" --offline --token kyso-rsa
dr_expect "$r" token-state fail "mở khóa" "khóa PIN"
dr_expect "$r" test-signature skip
kh_check "flags name pin-locked" test "$(jq -r '.checks[] | select(.id=="token-state") | .data.flags | index("pin-locked") != null' "$r")" = true
KYSO_FAULT=pin-locked dr_run "$r" --offline --token kyso-rsa --sign --pin-env NO_SUCH_PIN
dr_expect "$r" test-signature skip "" "khóa PIN"
KYSO_FAULT=pin-count-low dr_run "$r" --offline --token kyso-rsa
dr_expect "$r" token-state warn "Caps Lock" "sai PIN"
KYSO_FAULT=pin-final-try dr_run "$r" --offline --token kyso-rsa
dr_expect "$r" token-state warn "chắc chắn" "một lần thử"
dr_run "$r" --offline --token kyso-rsa
dr_expect "$r" token-state pass

# a wrong PIN with --sign: asked once, never retried, the token is not locked by the doctor
export KYSO_FAULT_STATE=$KH_TMP/pin.state WRONG_PIN=999999
KYSO_FAULT="pin-tries=3,log=$KH_TMP/calls.log" dr_run "$r" --offline --token kyso-rsa --sign --pin-env WRONG_PIN
dr_expect "$r" test-signature fail "PIN" ""
kh_check "exactly one C_Login" test "$(grep -c '^C_Login' "$KH_TMP/calls.log")" = 1
kh_check "the PIN is nowhere in the report" sh -c "! grep -q 999999 '$r' '$r.err'"
unset KYSO_FAULT_STATE

# ---- expired certificate -------------------------------------------------------------
dr_token kyso-expired SIGNER_EXPIRED "$KH_PKI_SUBCA_CERT_DER"
dr_run "$r" --offline --token kyso-expired
dr_expect "$r" cert-present pass
dr_expect "$r" cert-key-pair pass
dr_expect "$r" cert-validity fail "Gia hạn" "hết hạn ngày 01/01/2021"
dr_expect "$r" cert-chain pass

# ---- untrusted chain -----------------------------------------------------------------
dr_token kyso-untrusted SIGNER_UNTRUSTED
dr_run "$r" --offline --token kyso-untrusted
dr_expect "$r" cert-validity pass
dr_expect "$r" cert-chain fail "roots|--ca" "Untrusted Test Root CA"
# the same certificate is trusted once its root is given
kyso doctor --json --offline --token kyso-untrusted --ca "$KH_PKI_UNTRUSTED_ROOT_CERT" \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain pass
# and the test root is not trusted without --ca / data/roots (control)
kyso doctor --json --offline --token kyso-rsa --agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain fail
KYSO_DOCTOR_CA=$KH_PKI_ROOT_CERT kyso doctor --json --offline --token kyso-rsa \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain pass
mkdir -p "$KH_TMP/roots" && cp "$KH_PKI_ROOT_CERT" "$KH_TMP/roots/test-root.pem"
KYSO_ROOTS_DIR=$KH_TMP/roots kyso doctor --json --offline --token kyso-rsa \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain pass
# a root shipped as DER with a .crt name (as the publishers' downloads are) is read too
rm "$KH_TMP/roots/test-root.pem"
openssl x509 -in "$KH_PKI_ROOT_CERT" -outform DER -out "$KH_TMP/roots/rootca-test.crt"
KYSO_ROOTS_DIR=$KH_TMP/roots kyso doctor --json --offline --token kyso-rsa \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain pass
kh_check "the DER .crt root is listed as loaded" grep -q "rootca-test.crt" <(jq -r '.checks[] | select(.id=="cert-chain") | .data.anchors[]?' "$r")
# roots.tsv gives the root's category, said in Vietnamese; a root not listed there is not loaded
printf 'rootca-test.crt\tgovernment\t%s\n' "$(openssl x509 -in "$KH_PKI_ROOT_CERT" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')" \
	>"$KH_TMP/roots/roots.tsv"
KYSO_ROOTS_DIR=$KH_TMP/roots kyso doctor --json --offline --token kyso-rsa \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain pass "" "chuyên dùng Chính phủ"
kh_check "cert-chain data: root_category government" test \
	"$(jq -r '.checks[] | select(.id=="cert-chain") | .data.root_category' "$r")" = government
printf 'rootca-test.crt\tneac\t%064d\n' 0 >"$KH_TMP/roots/roots.tsv"
KYSO_ROOTS_DIR=$KH_TMP/roots kyso doctor --json --offline --token kyso-rsa \
	--agent-url "https://127.0.0.1:$AGENT_PORT/" >"$r" 2>/dev/null || true
dr_expect "$r" cert-chain fail
rm "$KH_TMP/roots/roots.tsv"

# ---- empty token (no certificate) ---------------------------------------------------
dr_run "$r" --offline --token kyso-empty
dr_expect "$r" cert-present fail "nạp" ""
dr_expect "$r" cert-validity skip
kh_done
