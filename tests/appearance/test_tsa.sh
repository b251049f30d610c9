#!/usr/bin/env bash
# PAdES B-T with the harness TSA: basic auth, token embedded as the signature-time-stamp
# attribute (pdfsig valid, `openssl ts -verify` on the extracted token, kyso verify shows it);
# TSA down / wrong password / wrong nonce / wrong imprint / rejection each fail with exit 6,
# their own message and no output file; --tsa-optional falls back to B-B with a warning.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"
sg_setup

W=$KH_TMP/w
mkdir -p "$W"
kyso sign --sample "$W/in.pdf" >/dev/null
CA=(--ca "$KH_PKI_ROOT_CERT")
export -f sg_sign
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

kh_tsa_start "$KH_TMP/tsa-auth" --user vanthu --pass 'mật-khẩu 1'
URL=$KH_TSA_URL
export TSA_PW='mật-khẩu 1' TSA_BAD=wrong
granted() { curl -s "${URL}stats" | sed -n 's/^granted //p'; }

# ---- B-T with basic auth ----------------------------------------------------------------------
rc=0
sg_sign "$W/in.pdf" -o "$W/bt.pdf" --tsa "$URL" --tsa-user vanthu --tsa-pass-env TSA_PW \
	>"$W/bt.out" 2>&1 || rc=$?
kh_check "B-T: exit 0" test $rc -eq 0
kh_check "B-T: the TSA granted one request" test "$(granted)" = 1
kh_check "B-T: pdfsig valid" sg_pdfsig_all_valid "$W/bt.pdf"
mkdir -p "$W/x"
sg_extract "$W/bt.pdf" "$W/x"
kh_check "B-T: token found in the unsigned attributes" python3 "$KYSO_SRC/tests/appearance/tst_extract.py" "$W/x/sig.der" "$W/x"
kh_check "B-T: openssl ts -verify accepts the token over the signature value" \
	openssl ts -verify -data "$W/x/sigvalue" -in "$W/x/token.der" -token_in -CAfile "$KH_TSA_CHAIN"
printf 'other' >"$W/x/other"
kh_check "B-T: openssl ts -verify rejects it for other data" \
	bash -c '! openssl ts -verify -data "$1" -in "$2" -token_in -CAfile "$3" >/dev/null 2>&1' _ \
	"$W/x/other" "$W/x/token.der" "$KH_TSA_CHAIN"
kh_check "B-T: token is from the harness TSA (policy)" \
	bash -c 'openssl ts -reply -token_in -in "$1" -token_out -text | grep -q "Policy OID: $2"' _ \
	"$W/x/token.der" "$KH_TSA_POLICY"
kyso verify --json "${CA[@]}" --ca "$KH_TSA_ROOT" "$W/bt.pdf" >"$W/bt.json" || true
kh_check "kyso verify: time stamp valid, used as signing time" test \
	"$(jq_py "$W/bt.json" 'd["signatures"][0]["timestamp"]["valid"], d["signatures"][0]["signing_time_source"]')" == "(True, 'timestamp')"
kh_check "kyso verify: text output shows the time stamp and its TSA" \
	bash -c 'LANG=C LC_ALL=C KYSO_LANG=en kyso verify "$@" | grep -Ei "(time stamp|dấu thời gian).*Kyso Test TSA"' _ \
	"${CA[@]}" "$W/bt.pdf"
kh_check "B-T: a second signature on top keeps both valid" \
	bash -c 'sg_sign "$1" -o "$2" --tsa "$3" --tsa-user vanthu --tsa-pass-env TSA_PW >/dev/null 2>&1 && sg_pdfsig_all_valid "$2"' _ \
	"$W/bt.pdf" "$W/bt2.pdf" "$URL"

# ---- failures: exit 6, own message, no output -------------------------------------------------
fails() { # NAME EXPECTED-REGEX kyso sign args...
	local name=$1 re=$2 rc=0
	shift 2
	rm -f "$W/f.pdf"
	sg_sign "$W/in.pdf" -o "$W/f.pdf" "$@" >"$W/f.out" 2>&1 || rc=$?
	kh_check "$name: exit 6" test $rc -eq 6
	kh_check "$name: no output file" test ! -e "$W/f.pdf"
	kh_check "$name: message" grep -Eqi "$re" "$W/f.out"; kh_on_fail cat "$W/f.out" >&2
}
fails "wrong password" "(password|mật khẩu).*401" --tsa "$URL" --tsa-user vanthu --tsa-pass-env TSA_BAD
fails "no credentials" "tsa-user" --tsa "$URL"

kh_tsa_start "$KH_TMP/tsa-nonce" --fail-mode wrong-nonce
fails "wrong nonce" "nonce" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-imprint" --fail-mode wrong-imprint
fails "wrong imprint" "imprint" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-reject" --fail-mode status-rejection
fails "rejection" "(status|trạng thái) 2.*badRequest" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-garbage" --fail-mode garbage
fails "garbage reply" "RFC 3161" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-nocerts" --fail-mode no-certs
fails "reply without the TSA certificate" "TSA certificate|chứng thư của TSA" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-noeku" --fail-mode no-eku
fails "TSA certificate without the timeStamping EKU" "(not for time stamping|không dành cho cấp dấu thời gian).*timeStamping" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-ctype" --fail-mode wrong-content-type
fails "wrong Content-Type" "Content-Type text/html" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-500" --fail-mode http500
fails "HTTP 500" "HTTP 500" --tsa "$KH_TSA_URL"
kh_tsa_start "$KH_TMP/tsa-slow" --fail-mode slow 5
fails "slow TSA (--tsa-timeout 2)" "(timeout|timed out)" --tsa "$KH_TSA_URL" --tsa-timeout 2

DOWN=http://127.0.0.1:$(kh_free_port)/
fails "TSA down" "(Cannot reach|Không).*127.0.0.1" --tsa "$DOWN"

# ---- --tsa-optional ----------------------------------------------------------------------------
rc=0
sg_sign "$W/in.pdf" -o "$W/bb.pdf" --tsa "$DOWN" --tsa-optional >"$W/bb.out" 2>&1 || rc=$?
kh_check "--tsa-optional, TSA down: exit 0" test $rc -eq 0
kh_check "--tsa-optional: warning names the fallback" grep -q "B-B" "$W/bb.out"
kh_check "--tsa-optional: pdfsig valid" sg_pdfsig_all_valid "$W/bb.pdf"
kyso verify --json "${CA[@]}" "$W/bb.pdf" >"$W/bb.json" || true
kh_check "--tsa-optional: no time stamp in the signature" test \
	"$(jq_py "$W/bb.json" 'd["signatures"][0]["timestamp"], d["signatures"][0]["valid"]')" == "(None, True)"
mkdir -p "$W/y"
sg_extract "$W/bb.pdf" "$W/y"
kh_check "--tsa-optional: extractor finds no token" bash -c '! python3 "$1" "$2" "$3"' _ \
	"$KYSO_SRC/tests/appearance/tst_extract.py" "$W/y/sig.der" "$W/y"
kh_check "usage: --tsa-optional without --tsa" bash -c 'sg_sign "$1" -o "$2" --tsa-optional >/dev/null 2>&1; test $? -eq 2' _ "$W/in.pdf" "$W/u.pdf"
kh_done
