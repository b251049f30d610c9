#!/usr/bin/env bash
# Redaction: a bundle written by default holds no test-PKI name, e-mail, ID
# number or serial number (unzip and grep every file); the hashes are stable
# between runs; --no-redact keeps them (so the grep can find them at all).
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
dr_card
export LANGUAGE=en DR_PIN=123456

bundle() {
	kyso doctor --offline --token kyso-rsa --ca "$KH_PKI_ROOT_CERT" --agent-url "https://127.0.0.1:$AGENT_PORT/" \
		--sign --pin-env DR_PIN "$@" >/dev/null 2>&1 || true
}
bundle --bundle "$KH_TMP/red.zip" --html "$KH_TMP/red.html"
bundle --bundle "$KH_TMP/red2.zip"
bundle --bundle "$KH_TMP/plain.zip" --no-redact
mkdir -p "$KH_TMP/red" "$KH_TMP/plain"
(cd "$KH_TMP/red" && unzip -q "$KH_TMP/red.zip")
(cd "$KH_TMP/plain" && unzip -q "$KH_TMP/plain.zip")
kh_check "bundle holds report.json, report.html, report.txt, versions.txt, logs" \
	test -s "$KH_TMP/red/report.json" -a -s "$KH_TMP/red/report.html" -a -s "$KH_TMP/red/report.txt" \
	-a -s "$KH_TMP/red/versions.txt" -a -f "$KH_TMP/red/logs/doctor.log"
kh_check "bundle report is schema-versioned JSON" test "$(jq .schema "$KH_TMP/red/report.json")" = 1
serial=$(echo "$KH_PKI_SIGNER_RSA_SERIAL" | tr a-f A-F)
number=${KH_PKI_SIGNER_RSA_UID#*:}
for v in "$KH_PKI_SIGNER_RSA_CN" "Nguyen Van An" "$KH_PKI_SIGNER_RSA_EMAIL" "$KH_PKI_SIGNER_RSA_UID" \
	"$number" "$serial" "$KH_P11_TOKEN_RSA"; do
	kh_check "--no-redact bundle does contain '$v'" grep -rqiF -- "$v" "$KH_TMP/plain"
	kh_check "redacted bundle has no '$v'" sh -c "! grep -rqiF -- \"\$0\" '$KH_TMP/red'" "$v"
	kh_check "redacted HTML has no '$v'" sh -c "! grep -qiF -- \"\$0\" '$KH_TMP/red.html'" "$v"
done
kh_check "the PIN appears nowhere" sh -c "! grep -rqP '(?<![0-9])123456(?![0-9])' '$KH_TMP/red' '$KH_TMP/plain'"
h1=$(unzip -p "$KH_TMP/red.zip" report.json | jq -r .token.subject)
h2=$(unzip -p "$KH_TMP/red2.zip" report.json | jq -r .token.subject)
kh_check "subject replaced by a hash" grep -qE '^\[#[0-9a-f]{8}\]$' <<<"$h1"
kh_check "same hash in two runs (helpdesk can group)" test "$h1" = "$h2"
kh_check "ids differ between runs" test "$(unzip -p "$KH_TMP/red.zip" report.json | jq -r .id)" != \
	"$(unzip -p "$KH_TMP/red2.zip" report.json | jq -r .id)"
kh_check "organisation and CA names stay readable" grep -q "Kyso Test Root CA" "$KH_TMP/red/report.json"
kh_done
