#!/usr/bin/env bash
# Several signatures in sequence on one file (RSA, ECDSA, RSA; SHA-256/384/512), all valid in
# pdfsig and kyso verify; kyso verify on tampered files, untrusted/expired signers, later
# non-signature changes, unsigned and non-PDF input; JSON report fields.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup

W=$KH_TMP/w
mkdir -p "$W"
cp "$KYSO_BUILD/corpus/generated-simple.pdf" "$W/s0.pdf"
M=$KH_P11_MODULE
CA=(--ca "$KH_PKI_ROOT_CERT")

jq_py() { # FILE EXPR: evaluate a python expression on the JSON document d
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- three signatures in sequence -----------------------------------------------------------
kyso sign "$W/s0.pdf" -o "$W/s1.pdf" --module "$M" --token kyso-rsa --pin-env SG_PIN --name "Nguyễn Văn An" >/dev/null
kyso sign "$W/s1.pdf" -o "$W/s2.pdf" --module "$M" --token kyso-ec --pin-env SG_PIN --hash sha384 \
	--chain "$KH_PKI_CHAIN" --field "Ký nháy" >/dev/null
kyso sign "$W/s2.pdf" -o "$W/s3.pdf" --module "$M" --token kyso-rsa --pin-env SG_PIN --hash sha512 \
	--reason "Phê duyệt văn bản" --location "Hà Nội" >/dev/null
kh_check "pdfsig: 3 signatures" test "$(sg_pdfsig_count "$W/s3.pdf")" -eq 3
kh_check "pdfsig: all 3 valid" sg_pdfsig_all_valid "$W/s3.pdf"
kh_check "pdfsig: all 3 certificates trusted" test \
	"$(pdfsig -nssdir "sql:$SG_NSS" "$W/s3.pdf" | grep -c 'Certificate is Trusted')" -eq 3
kh_check "openssl cms accepts the last one" sg_openssl_ok "$W/s3.pdf" "$KH_PKI_ROOT_CERT"
rc=0
kyso verify --json "${CA[@]}" "$W/s3.pdf" >"$W/v3.json" || rc=$?
kh_check "kyso verify: exit 0 for 3 valid signatures" test $rc -eq 0
kh_check "kyso verify: count 3, all valid" test "$(jq_py "$W/v3.json" 'd["count"], all(s["valid"] for s in d["signatures"])')" == "(3, True)"
kh_check "kyso verify: only the last covers the whole file" test \
	"$(jq_py "$W/v3.json" '[s["covers_whole_file"] for s in d["signatures"]]')" == "[False, False, True]"
kh_check "kyso verify: later changes are signatures/forms only" test \
	"$(jq_py "$W/v3.json" '[s["later_changes"] for s in d["signatures"]]')" == "['signatures-and-forms', 'signatures-and-forms', 'none']"
kh_check "kyso verify: hashes sha256, sha384, sha512" test \
	"$(jq_py "$W/v3.json" '[s["hash"].upper().replace("-","") for s in d["signatures"]]')" == "['SHA256', 'SHA384', 'SHA512']"
kh_check "kyso verify: field name, reason in UTF-8" test \
	"$(jq_py "$W/v3.json" 'd["signatures"][1]["field"] + "|" + d["signatures"][2]["reason"]')" == "Ký nháy|Phê duyệt văn bản"
kh_check "kyso verify: no signing-time attribute, time from /M" test \
	"$(jq_py "$W/v3.json" 'set(s["signing_time_source"] for s in d["signatures"])')" == "{'M'}"
kh_check "CMS has no signing-time attribute, has signing-certificate-v2" bash -c \
	"sg_extract '$W/s3.pdf' '$W' && openssl cms -cmsout -print -inform DER -in '$W/sig.der' > '$W/cms.txt' &&
	 ! grep -q signingTime '$W/cms.txt' && grep -q signingCertificateV2 '$W/cms.txt' && grep -q messageDigest '$W/cms.txt'"
kh_check "text output says TOTAL-PASSED three times" test "$(kyso --lang en verify "${CA[@]}" "$W/s3.pdf" | grep -c '=> TOTAL-PASSED: VALID')" -eq 3
kh_check "kyso verify: file and signatures TOTAL-PASSED, each part apart" test \
	"$(jq_py "$W/v3.json" 'd["indication"], sorted(set(p["indication"] for s in d["signatures"] for p in s["parts"].values())), sorted(d["signatures"][0]["parts"])')" == \
	"('TOTAL-PASSED', ['TOTAL-PASSED'], ['certificate_status', 'integrity', 'later_changes', 'signer_trusted'])"

# ---- tampering ---------------------------------------------------------------------------------
python3 - "$W/s3.pdf" "$W/t1.pdf" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"%PDF-1.") + 7          # the version digit: signed by every signature
d[i] = ord("5") if d[i] != ord("5") else ord("6")
open(sys.argv[2], "wb").write(d)
PY
rc=0
kyso verify --json "${CA[@]}" "$W/t1.pdf" >"$W/t1.json" || rc=$?
kh_check "tampered byte: exit 1" test $rc -eq 1
kh_check "tampered byte: digest mismatch on all 3" test "$(jq_py "$W/t1.json" '[s["digest_ok"] for s in d["signatures"]]')" == "[False, False, False]"
kh_check "tampered byte: TOTAL-FAILED / HASH_FAILURE" test \
	"$(jq_py "$W/t1.json" 'd["indication"], set((s["indication"], s["sub_indication"]) for s in d["signatures"])')" == "('TOTAL-FAILED', {('TOTAL-FAILED', 'HASH_FAILURE')})"
kh_check "tampered byte: pdfsig agrees (not all valid)" bash -c "! sg_pdfsig_all_valid '$W/t1.pdf' 2>/dev/null"
python3 - "$W/s1.pdf" "$W/t2.pdf" <<'PY'
import re, sys
d = bytearray(open(sys.argv[1], "rb").read())
m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d))[-1]
b = int(m.group(2))
# flip a hex digit in the signature value near the end of the DER
h = d[b + 1:int(m.group(3)) - 1].rstrip(b"0")
p = b + 1 + len(h) - 10
d[p] = ord("1") if d[p] != ord("1") else ord("2")
open(sys.argv[2], "wb").write(d)
PY
rc=0
kyso verify --json "${CA[@]}" "$W/t2.pdf" >"$W/t2.json" || rc=$?
kh_check "tampered signature value: exit 1, signature invalid, digest ok" bash -c \
	"test $rc -eq 1 && test \"\$(python3 -c 'import json;s=json.load(open(\"$W/t2.json\"))[\"signatures\"][0];print(s[\"digest_ok\"],s[\"signature_ok\"])')\" == 'True False'"

# ---- trust -------------------------------------------------------------------------------------
rc=0
kyso verify --json --no-system-ca "$W/s1.pdf" >"$W/u.json" || rc=$?
kh_check "no trust anchor: exit 7 INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND, signature itself valid" test \
	"$rc $(jq_py "$W/u.json" 'd["signatures"][0]["chain_ok"], d["signatures"][0]["signature_ok"], d["indication"], d["signatures"][0]["sub_indication"]')" == "7 (False, True, 'INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND')"
softhsm2-util --init-token --free --label kyso-old --so-pin 12345678 --pin "$SG_PIN" >/dev/null
for n in EXPIRED UNTRUSTED; do
	k=KH_PKI_SIGNER_${n}_KEY_DER c=KH_PKI_SIGNER_${n}_CERT_DER
	id=$([[ $n == EXPIRED ]] && echo 21 || echo 22)
	pkcs11-tool --module "$M" --token-label kyso-old --login --pin "$SG_PIN" --write-object "${!k}" \
		--type privkey --id $id --label "$n" --usage-sign >/dev/null 2>&1
	pkcs11-tool --module "$M" --token-label kyso-old --login --pin "$SG_PIN" --write-object "${!c}" \
		--type cert --id $id --label "$n" >/dev/null 2>&1
done
kyso sign "$W/s0.pdf" -o "$W/e.pdf" --module "$M" --token kyso-old --cert-label EXPIRED --pin-env SG_PIN \
	--chain "$KH_PKI_CHAIN" >/dev/null 2>&1
rc=0
kyso verify --json "${CA[@]}" "$W/e.pdf" >"$W/e.json" || rc=$?
kh_check "expired signer, no time stamp: exit 7 INDETERMINATE / OUT_OF_BOUNDS_NO_POE" test \
	"$rc $(jq_py "$W/e.json" 'd["signatures"][0]["cert_valid_at_signing_time"], d["signatures"][0]["signature_ok"], d["signatures"][0]["sub_indication"]')" == "7 (False, True, 'OUT_OF_BOUNDS_NO_POE')"
kyso sign "$W/s0.pdf" -o "$W/un.pdf" --module "$M" --token kyso-old --cert-label UNTRUSTED --pin-env SG_PIN \
	--chain "$KH_PKI_SIGNER_UNTRUSTED_CHAIN" >/dev/null 2>&1
rc=0
kyso verify --json "${CA[@]}" --no-system-ca "$W/un.pdf" >"$W/un.json" || rc=$?
kh_check "signer from another root: exit 7, chain not trusted" test \
	"$rc $(jq_py "$W/un.json" 'd["signatures"][0]["chain_ok"]')" == "7 False"
rc=0
kyso verify --json --ca "$KH_PKI_UNTRUSTED_ROOT_CERT" --no-system-ca "$W/un.pdf" >/dev/null || rc=$?
kh_check "... trusted when its root is given with --ca" test $rc -eq 0

# ---- later non-signature change ------------------------------------------------------------------
python3 "$KYSO_HARNESS/corpus/pdfgen.py" revisions "$W/s1.pdf" "$W/l.pdf" --count 1 >/dev/null
rc=0
kyso verify --json "${CA[@]}" "$W/l.pdf" >"$W/l.json" || rc=$?
kh_check "content changed after signing: reported as 'other', with a problem" test \
	"$(jq_py "$W/l.json" 'd["signatures"][0]["later_changes"], len(d["signatures"][0]["problems"]) > 0, d["signatures"][0]["covers_whole_file"]')" == "('other', True, False)"
kh_check "... the signature itself still verifies, the changes are not allowed: exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE" test \
	"$rc $(jq_py "$W/l.json" 'd["signatures"][0]["digest_ok"], d["signatures"][0]["signature_ok"], d["signatures"][0]["sub_indication"], d["signatures"][0]["parts"]["integrity"]["indication"]')" == "1 (True, True, 'SIG_CONSTRAINTS_FAILURE', 'TOTAL-PASSED')"

# ---- no signature / not a PDF -------------------------------------------------------------------------
rc=0
kyso verify --json "$W/s0.pdf" >"$W/n.json" || rc=$?
kh_check "unsigned PDF: exit 1, count 0" test "$rc $(jq_py "$W/n.json" 'd["count"]')" == "1 0"
printf 'hello\n' >"$W/x.pdf"
rc=0
kyso verify --json "$W/x.pdf" >"$W/x.json" || rc=$?
kh_check "not a PDF: exit 5, error bad-pdf" test "$rc $(jq_py "$W/x.json" 'd["error"]["id"]')" == "5 bad-pdf"
rc=0
kyso verify >/dev/null 2>&1 || rc=$?
kh_check "no file: usage exit 2" test $rc -eq 2

# ---- document time stamps from the harness TSA ---------------------------------------------------
. "$KYSO_HARNESS/tsa/tsa.sh"
tsa_cmd() { # the command kyso-test-docts runs: query, POST, token out
	printf '%s' "openssl ts -query -digest \$KYSO_DIGEST_HEX -sha256 -cert -out '$W/q.tsq' &&
		curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @'$W/q.tsq' \
		'$KH_TSA_URL' -o '$W/r.tsr' &&
		openssl ts -reply -in '$W/r.tsr' -token_out -out \$KYSO_TOKEN_OUT"
}
kh_tsa_start "$KH_TMP/tsa" "${KYSO_BUILD}/harness/pki" >/dev/null
kh_check "doc time stamp added after a signature" kyso-test-docts "$W/s1.pdf" "$W/ts.pdf" "$(tsa_cmd)"
rc=0
kyso verify --json "${CA[@]}" --no-system-ca "$W/ts.pdf" >"$W/ts.json" || rc=$?
kh_check "doc time stamp: exit 0, 2 entries, the second a valid doc-timestamp" test \
	"$rc $(jq_py "$W/ts.json" 'd["count"], d["signatures"][1]["type"], d["signatures"][1]["timestamp"]["valid"]')" == "0 (2, 'doc-timestamp', True)"
kh_check "doc time stamp: TSA named, time from the token" test \
	"$(jq_py "$W/ts.json" '"Kyso" in d["signatures"][1]["timestamp"]["tsa"] and d["signatures"][1]["signing_time_source"]')" == "timestamp"
kh_check "doc time stamp: the earlier signature's later changes are signatures/forms only" test \
	"$(jq_py "$W/ts.json" 'd["signatures"][0]["later_changes"]')" == "signatures-and-forms"
kh_tsa_stop
kh_tsa_start "$KH_TMP/tsa2" "${KYSO_BUILD}/harness/pki" --fail-mode wrong-imprint >/dev/null
kyso-test-docts "$W/s1.pdf" "$W/ts-bad.pdf" "$(tsa_cmd)" 2>/dev/null || true
rc=0
kyso verify --json "${CA[@]}" --no-system-ca "$W/ts-bad.pdf" >"$W/tsb.json" || rc=$?
kh_check "time stamp for other data (TSA wrong-imprint): exit 1, TOTAL-FAILED / HASH_FAILURE, imprint part failed" test \
	"$rc $(jq_py "$W/tsb.json" 'd["signatures"][1]["timestamp"]["valid"], d["signatures"][1]["valid"], d["signatures"][1]["sub_indication"], d["signatures"][1]["timestamp"]["imprint_ok"]')" == "1 (False, False, 'HASH_FAILURE', False)"
kh_tsa_stop

# ---- Vietnamese sample document ----------------------------------------------------------------------
rc=0
kyso sign --sample "$W/sample.pdf" >/dev/null || rc=$?
kh_check "sample: written (exit $rc)" test $rc -eq 0 -a -s "$W/sample.pdf"
kh_check "sample: qpdf --check clean" test "$(sg_qpdf_level "$W/sample.pdf")" -eq 0
kh_check "sample: one embedded subset font with ToUnicode" bash -c \
	"pdffonts '$W/sample.pdf' | awk 'NR>2' | grep -qE '^[A-Z]{6}\+.* yes +yes +yes'"
kh_check "sample: shaped Vietnamese text extracts exactly" bash -c \
	"pdftotext '$W/sample.pdf' - | grep -q 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' &&
	 pdftotext '$W/sample.pdf' - | grep -q 'Độc lập – Tự do – Hạnh phúc' &&
	 pdftotext '$W/sample.pdf' - | grep -q 'ẳ ẵ ặ'"
kh_check "sample: small (subset font, $(stat -c %s "$W/sample.pdf") bytes)" test "$(stat -c %s "$W/sample.pdf")" -lt 80000
kh_check "sample: renders without errors" bash -c "pdftoppm -r 30 -png '$W/sample.pdf' '$W/sample' 2>'$W/render.err' && test ! -s '$W/render.err'"
kyso sign "$W/sample.pdf" -o "$W/sample-signed.pdf" --module "$M" --token kyso-rsa --pin-env SG_PIN >/dev/null
kh_check "sample: signs and verifies (pdfsig, kyso verify)" bash -c \
	"sg_pdfsig_all_valid '$W/sample-signed.pdf' && kyso verify --ca '$KH_PKI_ROOT_CERT' '$W/sample-signed.pdf' >/dev/null"

# ---- JSON schema (docs/sign.md) --------------------------------------------------------------------------
kh_check "JSON report has the documented keys" python3 - "$W/v3.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
top = {"file", "file_size", "count", "valid", "indication", "anchors", "signatures", "warnings"}
sig = {"index", "field", "sub_filter", "type", "signer", "hash", "byte_range", "byte_range_ok",
       "covers_whole_file", "revision", "revisions", "digest_ok", "signature_ok", "chain_ok",
       "chain", "chain_error", "cert_valid_at_signing_time", "signing_time",
       "signing_time_source", "timestamp", "later_changes", "changed_objects", "docmdp",
       "valid", "problems", "warnings", "name", "reason", "location", "m", "indication",
       "sub_indication", "parts", "poe_time", "root_category"}
signer = {"subject", "issuer", "serial", "not_before", "not_after"}
assert top <= d.keys(), top - d.keys()
for s in d["signatures"]:
    assert sig <= s.keys(), sig - s.keys()
    assert signer <= s["signer"].keys(), signer - s["signer"].keys()
PY
kh_done
