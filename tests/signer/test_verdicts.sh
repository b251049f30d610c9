#!/usr/bin/env bash
# kyso verify's ETSI EN 319 102-1 verdicts, each produced for real on documents signed here under
# a three-level test PKI whose OCSP responder and CRL server run as children of this test, with
# the harness TSA: TOTAL-PASSED (online OCSP, DSS offline, revoked after a trusted time stamp,
# expired signer with proof of existence, LTV-only revision, document time stamp, form filling
# within DocMDP P=2), INDETERMINATE (TRY_LATER offline, REVOKED_NO_POE, NO_CERTIFICATE_CHAIN_FOUND,
# OUT_OF_BOUNDS_NO_POE), TOTAL-FAILED (REVOKED before signing, SIG_CONSTRAINTS_FAILURE for hide /
# replace shadow attacks, an added page and filling under P=1, CHAIN_CONSTRAINTS_FAILURE for a
# signer under a forged kyso local CA). Exit codes: 0 passed, 1 failed, 7 indeterminate.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
. "$KYSO_HARNESS/pki/ltv.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"
sg_setup
kh_pki_ltv "$KH_TMP/ltv"
kh_tsa_start "$KH_TMP/tsa" >/dev/null
W=$KH_TMP/w
mkdir -p "$W"
export LTV_PIN=$KH_LTV_PIN
ltv_sign() {
	SOFTHSM2_CONF=$KH_LTV_SOFTHSM2_CONF kyso sign --module "$KH_LTV_MODULE" --token kyso-ltv \
		--pin-env LTV_PIN --chain "$KH_LTV_CHAIN" "$@"
}
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
CA=(--no-system-ca --ca "$KH_LTV_ROOT_CERT" --ca "$KH_TSA_ROOT")
# v NAME FILE [verify options]: kyso verify --json into W/NAME.json; prints the exit code
v() {
	local n=$1 f=$2 rc=0
	shift 2
	kyso verify --json "${CA[@]}" "$@" "$f" >"$W/$n.json" 2>"$W/$n.err" || rc=$?
	echo "$rc"
}
# verdict NAME: "exit indication sub_indication" of the first signature
verdict() { jq_py "$W/$1.json" '"%s %s" % (d["signatures"][0]["indication"], d["signatures"][0]["sub_indication"])'; }
VPDF=$KYSO_SRC/tests/signer/verdict_pdf.py
python3 "$KYSO_HARNESS/corpus/pdfgen.py" form "$W/form.pdf" >/dev/null
TSA=(--tsa "$KH_TSA_URL")

# ---- good signer, time stamp: online OCSP; offline without validation data ---------------------
ltv_sign "$W/form.pdf" -o "$W/a.pdf" --key-id 01 "${TSA[@]}" >/dev/null 2>&1
rc=$(v a "$W/a.pdf")
kh_check "B-T, status online: exit 0 TOTAL-PASSED" test "$rc $(verdict a)" == "0 TOTAL-PASSED None"
kh_check "... each part passed; status good from online OCSP; TSA trusted, imprint ok" test \
	"$(jq_py "$W/a.json" 'sorted(set(p["indication"] for p in d["signatures"][0]["parts"].values())), d["signatures"][0]["parts"]["certificate_status"]["from"], d["signatures"][0]["parts"]["certificate_status"]["source"], d["signatures"][0]["timestamp"]["imprint_ok"], d["signatures"][0]["timestamp"]["tsa_trusted"], d["signatures"][0]["signing_time_source"]')" \
	== "(['TOTAL-PASSED'], 'online', 'ocsp', True, True, 'timestamp')"
kh_check "... pdfsig agrees (valid)" sg_pdfsig_all_valid "$W/a.pdf"
rc=$(v ao "$W/a.pdf" --offline)
kh_check "--offline, no DSS: exit 7 INDETERMINATE / TRY_LATER" test "$rc $(verdict ao)" == "7 INDETERMINATE TRY_LATER"

# ---- unknown issuer ---------------------------------------------------------------------------------
rc=0
kyso verify --json --no-system-ca --ca "$KH_TSA_ROOT" "$W/a.pdf" >"$W/u.json" 2>/dev/null || rc=$?
kh_check "unknown issuer: exit 7 INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND" test \
	"$rc $(verdict u)" == "7 INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND"
rc=0
kyso verify --json --ca "$KH_LTV_ROOT_CERT" --ca "$KH_TSA_ROOT" --offline "$W/a.pdf" >/dev/null 2>&1 || rc=$?
kh_check "shipped Vietnamese roots loaded with --ca (not /etc/ssl/certs): anchors listed" bash -c \
	"kyso verify --json --ca '$KH_LTV_ROOT_CERT' '$W/a.pdf' 2>/dev/null | python3 -c 'import json,sys; a=json.load(sys.stdin)[\"anchors\"]; assert any(x.endswith(\"vnrca256.pem\") for x in a), a; assert not any(\"/etc/ssl\" in x for x in a), a'"

# ---- revoked: before signing (time stamp after revocation), without proof of existence --------
ltv_sign "$W/form.pdf" -o "$W/r1.pdf" --key-id 03 "${TSA[@]}" >/dev/null 2>&1
rc=$(v r1 "$W/r1.pdf")
kh_check "revoked before the trusted time stamp: exit 1 TOTAL-FAILED / REVOKED" test \
	"$rc $(verdict r1)" == "1 TOTAL-FAILED REVOKED"
kh_check "... revocation time before the time stamp" test \
	"$(jq_py "$W/r1.json" 'd["signatures"][0]["parts"]["certificate_status"]["revoked_at"] <= d["signatures"][0]["poe_time"]')" == True
ltv_sign "$W/form.pdf" -o "$W/r2.pdf" --key-id 03 >/dev/null 2>&1
rc=$(v r2 "$W/r2.pdf")
kh_check "revoked, no time stamp: exit 7 INDETERMINATE / REVOKED_NO_POE" test \
	"$rc $(verdict r2)" == "7 INDETERMINATE REVOKED_NO_POE"

# ---- B-LT (DSS): offline, LTV-only revision; expired signer with and without proof of existence ---
ltv_sign "$W/form.pdf" -o "$W/lt.pdf" --key-id 01 "${TSA[@]}" --ltv >/dev/null 2>&1
rc=$(v lt "$W/lt.pdf" --offline)
kh_check "B-LT --offline: exit 0 TOTAL-PASSED, status from the DSS" test \
	"$rc $(verdict lt) $(jq_py "$W/lt.json" 'd["signatures"][0]["parts"]["certificate_status"]["from"]')" == "0 TOTAL-PASSED None dss"
kh_check "LTV-only revision after the signature: class 'ltv', allowed" test \
	"$(jq_py "$W/lt.json" 'd["signatures"][0]["parts"]["later_changes"]["class"], d["signatures"][0]["parts"]["later_changes"]["indication"]')" \
	== "('ltv', 'TOTAL-PASSED')"
ltv_sign "$W/form.pdf" -o "$W/lb.pdf" --key-id 01 --ltv >/dev/null 2>&1
# three years on: the signer's certificate (2 years) has expired, the TSA's (5 years) has not
AT=(--at "$(date -u -d '+1100 days' +%Y-%m-%dT%H:%M:%SZ)")
rc=0
kyso verify --json "${CA[@]}" "${AT[@]}" --offline "$W/lt.pdf" >"$W/x1.json" 2>/dev/null || rc=$?
kh_check "expired signer, trusted signature time stamp (POE): exit 0 TOTAL-PASSED" test \
	"$rc $(verdict x1)" == "0 TOTAL-PASSED None"
rc=0
kyso verify --json "${CA[@]}" "${AT[@]}" --offline "$W/lb.pdf" >"$W/x2.json" 2>/dev/null || rc=$?
kh_check "expired signer, no time stamp: exit 7 INDETERMINATE / OUT_OF_BOUNDS_NO_POE" test \
	"$rc $(verdict x2)" == "7 INDETERMINATE OUT_OF_BOUNDS_NO_POE"

# ---- document time stamp (B-LTA) gives the proof of existence ------------------------------------
tsa_cmd() {
	printf '%s' "openssl ts -query -digest \$KYSO_DIGEST_HEX -sha256 -cert -out '$W/q.tsq' &&
		curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @'$W/q.tsq' \
		'$KH_TSA_URL' -o '$W/r.tsr' &&
		openssl ts -reply -in '$W/r.tsr' -token_out -out \$KYSO_TOKEN_OUT"
}
kh_check "document time stamp added over the B-LT signature" kyso-test-docts "$W/lb.pdf" "$W/lta.pdf" "$(tsa_cmd)"
rc=$(v lta "$W/lta.pdf" --offline)
kh_check "document time stamp: exit 0, both TOTAL-PASSED, the signature's POE is the time stamp" test \
	"$rc $(jq_py "$W/lta.json" '[s["indication"] for s in d["signatures"]], d["signatures"][0]["poe_time"] == d["signatures"][1]["signing_time"]')" \
	== "0 (['TOTAL-PASSED', 'TOTAL-PASSED'], True)"
rc=0
kyso verify --json "${CA[@]}" "${AT[@]}" --offline "$W/lta.pdf" >"$W/x3.json" 2>/dev/null || rc=$?
kh_check "expired signer, POE from the document time stamp: exit 0 TOTAL-PASSED" test \
	"$rc $(verdict x3)" == "0 TOTAL-PASSED None"

# ---- later changes: what PDF allows ------------------------------------------------------------------
python3 "$VPDF" fill "$W/a.pdf" "$W/fill.pdf"
rc=$(v fill "$W/fill.pdf")
kh_check "form filled after an approval signature: exit 0, 'signatures-and-forms'" test \
	"$rc $(verdict fill) $(jq_py "$W/fill.json" 'd["signatures"][0]["later_changes"]')" == "0 TOTAL-PASSED None signatures-and-forms"
for attack in hide replace add-page; do
	python3 "$VPDF" "$attack" "$W/a.pdf" "$W/$attack.pdf"
	rc=$(v "$attack" "$W/$attack.pdf")
	kh_check "$attack after signing: exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE, integrity itself passed" test \
		"$rc $(verdict "$attack") $(jq_py "$W/$attack.json" 'd["signatures"][0]["parts"]["integrity"]["indication"], d["signatures"][0]["later_changes"]')" \
		== "1 TOTAL-FAILED SIG_CONSTRAINTS_FAILURE ('TOTAL-PASSED', 'other')"
done
kh_check "... qpdf reads the hide/replace files (valid PDF updates)" bash -c \
	"qpdf --check '$W/hide.pdf' >/dev/null 2>&1; [[ \$? -ne 2 ]] && qpdf --check '$W/replace.pdf' >/dev/null 2>&1; [[ \$? -ne 2 ]]"
for p in 2 1; do
	python3 "$VPDF" certify "$W/form.pdf" "$W/cert$p.pdf" "$KH_LTV_DIR/ltv.crt.pem" "$KH_LTV_DIR/ltv.key.pem" "$KH_LTV_CHAIN" $p
	python3 "$VPDF" fill "$W/cert$p.pdf" "$W/cfill$p.pdf"
done
rc=$(v c2 "$W/cert2.pdf")
kh_check "certified P=2: exit 0 TOTAL-PASSED, docmdp 2" test "$rc $(verdict c2) $(jq_py "$W/c2.json" 'd["signatures"][0]["docmdp"]')" == "0 TOTAL-PASSED None 2"
rc=$(v cf2 "$W/cfill2.pdf")
kh_check "form filled within DocMDP P=2: exit 0 TOTAL-PASSED" test "$rc $(verdict cf2)" == "0 TOTAL-PASSED None"
rc=$(v cf1 "$W/cfill1.pdf")
kh_check "form filled under DocMDP P=1: exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE" test \
	"$rc $(verdict cf1)" == "1 TOTAL-FAILED SIG_CONSTRAINTS_FAILURE"

# ---- annotations: allowed after an approval signature and under DocMDP P=3, not under P=2 ---------
python3 "$VPDF" annot "$W/a.pdf" "$W/annot.pdf"
rc=$(v annot "$W/annot.pdf")
wa=$(jq_py "$W/a.json" 'len(d["signatures"][0]["warnings"])')
kh_check "comment added after an approval signature: exit 0 TOTAL-PASSED, class 'annotations', one warning more" test \
	"$rc $(verdict annot) $(jq_py "$W/annot.json" 'd["signatures"][0]["later_changes"], len(d["signatures"][0]["warnings"])')" \
	== "0 TOTAL-PASSED None ('annotations', $((wa + 1)))"
python3 "$VPDF" certify "$W/form.pdf" "$W/cert3.pdf" "$KH_LTV_DIR/ltv.crt.pem" "$KH_LTV_DIR/ltv.key.pem" "$KH_LTV_CHAIN" 3
for p in 2 3; do
	python3 "$VPDF" annot "$W/cert$p.pdf" "$W/cannot$p.pdf"
done
rc=$(v can2 "$W/cannot2.pdf")
kh_check "comment added under DocMDP P=2 (forms only): exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE" test \
	"$rc $(verdict can2) $(jq_py "$W/can2.json" 'd["signatures"][0]["later_changes"]')" == "1 TOTAL-FAILED SIG_CONSTRAINTS_FAILURE annotations"
rc=$(v can3 "$W/cannot3.pdf")
kh_check "comment added under DocMDP P=3 (forms and annotations): exit 0 TOTAL-PASSED" test \
	"$rc $(verdict can3) $(jq_py "$W/can3.json" 'd["signatures"][0]["docmdp"]')" == "0 TOTAL-PASSED None 3"

# ---- FieldMDP: a field the signature locks must not change later ---------------------------------
LTVKEY=("$KH_LTV_DIR/ltv.crt.pem" "$KH_LTV_DIR/ltv.key.pem" "$KH_LTV_CHAIN")
for lock in Include:HoTen Exclude:HoTen All; do
	n=${lock%%:*}
	python3 "$VPDF" approve "$W/form.pdf" "$W/lock$n.pdf" "${LTVKEY[@]}" "$lock"
	python3 "$VPDF" fill "$W/lock$n.pdf" "$W/lock$n-fill.pdf"
done
rc=$(v lk "$W/lockInclude.pdf")
kh_check "FieldMDP Include [HoTen], nothing changed: exit 0 TOTAL-PASSED, the lock reported" test \
	"$rc $(verdict lk) $(jq_py "$W/lk.json" 'd["signatures"][0]["fieldmdp"]')" == "0 TOTAL-PASSED None {'action': 'include', 'fields': ['HoTen']}"
rc=$(v lki "$W/lockInclude-fill.pdf")
kh_check "FieldMDP Include [HoTen], HoTen filled later: exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE, locked_field HoTen" test \
	"$rc $(verdict lki) $(jq_py "$W/lki.json" 'd["signatures"][0]["parts"]["later_changes"].get("locked_field"), d["signatures"][0]["later_changes"]')" \
	== "1 TOTAL-FAILED SIG_CONSTRAINTS_FAILURE ('HoTen', 'signatures-and-forms')"
rc=$(v lke "$W/lockExclude-fill.pdf")
kh_check "FieldMDP Exclude [HoTen] (every other field locked), HoTen filled later: exit 0 TOTAL-PASSED" test \
	"$rc $(verdict lke)" == "0 TOTAL-PASSED None"
rc=$(v lka "$W/lockAll-fill.pdf")
kh_check "FieldMDP All, HoTen filled later: exit 1 TOTAL-FAILED / SIG_CONSTRAINTS_FAILURE" test \
	"$rc $(verdict lka)" == "1 TOTAL-FAILED SIG_CONSTRAINTS_FAILURE"

# ---- revocation data inside the CMS (adbe-revocationInfoArchival, SignedData.crls), offline ------
openssl ocsp -issuer "$KH_LTV_DIR/subca.crt.pem" -cert "$KH_LTV_DIR/ltv.crt.pem" -url "$KH_LTV_OCSP_URL" \
	-respout "$W/ocsp-ltv.der" -noverify >/dev/null 2>&1
openssl ocsp -issuer "$KH_LTV_DIR/subca.crt.pem" -cert "$KH_LTV_DIR/revoked.crt.pem" -url "$KH_LTV_OCSP_URL" \
	-respout "$W/ocsp-rev.der" -noverify >/dev/null 2>&1
curl -sf "$KH_LTV_SUBCA_CRL" -o "$W/subca.crl"
kh_check "OCSP answers (good, revoked) and the sub-CA's CRL fetched from the harness servers" \
	bash -c "test -s '$W/ocsp-ltv.der' && test -s '$W/ocsp-rev.der' && test -s '$W/subca.crl'"
# cms_sign NAME SIGNER MODE ITEMS...: an approval signature whose CMS (kyso-test-revcms) carries ITEMS
cms_sign() {
	local n=$1 who=$2 mode=$3
	shift 3
	VERDICT_SIGN_CMD="kyso-test-revcms $mode \"\$TBS\" '$KH_LTV_DIR/$who.crt.pem' '$KH_LTV_DIR/$who.key.pem' '$KH_LTV_CHAIN' \"\$DER\" $*" \
		python3 "$VPDF" approve "$W/form.pdf" "$W/$n.pdf" "$KH_LTV_DIR/$who.crt.pem" "$KH_LTV_DIR/$who.key.pem" "$KH_LTV_CHAIN"
}
status_of() { jq_py "$W/$1.json" '(lambda p: "%s %s %s" % (p["status"], p["source"], p["from"]))(d["signatures"][0]["parts"]["certificate_status"])'; }
cms_sign cra ltv attr "ocsp:$W/ocsp-ltv.der"
rc=$(v cra "$W/cra.pdf" --offline)
kh_check "Adobe attribute with a good OCSP answer, --offline: exit 0 TOTAL-PASSED, status from the CMS" test \
	"$rc $(verdict cra) $(status_of cra)" == "0 TOTAL-PASSED None good ocsp cms"
cms_sign crc ltv crls "crl:$W/subca.crl"
rc=$(v crc "$W/crc.pdf" --offline)
kh_check "SignedData.crls with the issuer's CRL, --offline: exit 0 TOTAL-PASSED, status from the CMS (CRL)" test \
	"$rc $(verdict crc) $(status_of crc)" == "0 TOTAL-PASSED None good crl cms"
kh_check "... openssl cms verifies that signature (the crls field is well formed)" sg_openssl_ok "$W/crc.pdf" "$KH_LTV_ROOT_CERT"
cms_sign cro revoked crls "ocsp:$W/ocsp-rev.der"
rc=$(v cro "$W/cro.pdf" --offline)
kh_check "SignedData.crls with an OCSP answer (id-ri-ocsp-response) saying revoked, no time stamp: exit 7 REVOKED_NO_POE from the CMS" test \
	"$rc $(verdict cro) $(status_of cro)" == "7 INDETERMINATE REVOKED_NO_POE revoked ocsp cms"
cms_sign crr revoked attr "crl:$W/subca.crl"
rc=$(v crr "$W/crr.pdf" --offline)
kh_check "Adobe attribute with the CRL listing the signer: exit 7 REVOKED_NO_POE, status revoked (CRL, CMS)" test \
	"$rc $(verdict crr) $(status_of crr)" == "7 INDETERMINATE REVOKED_NO_POE revoked crl cms"
cms_sign crx ltv attr "ocsp:$W/ocsp-rev.der"
rc=$(v crx "$W/crx.pdf" --offline)
kh_check "an OCSP answer about another certificate is not the signer's status: --offline exit 7 TRY_LATER" test \
	"$rc $(verdict crx)" == "7 INDETERMINATE TRY_LATER"

# ---- a signer under a forged kyso local CA is never trusted for documents ------------------------
F=$W/forge
mkdir -p "$F"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$F/ca.key" -out "$F/ca.pem" \
	-days 30 -subj "/O=kyso/CN=kyso local CA - $(hostname)" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" -addext "extendedKeyUsage=serverAuth" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$F/leaf.key" -out "$F/leaf.csr" \
	-subj "/CN=Nguyễn Văn Giả Mạo" -utf8 >/dev/null 2>&1
openssl x509 -req -in "$F/leaf.csr" -CA "$F/ca.pem" -CAkey "$F/ca.key" -CAcreateserial -days 10 \
	-out "$F/leaf.pem" >/dev/null 2>&1
python3 "$VPDF" certify "$W/form.pdf" "$W/forged.pdf" "$F/leaf.pem" "$F/leaf.key" "$F/ca.pem" 2
rc=0
kyso verify --json --ca "$F/ca.pem" "$W/forged.pdf" >"$W/forged.json" 2>/dev/null || rc=$?
kh_check "signed under a forged kyso local CA, even given with --ca: exit 1 TOTAL-FAILED / CHAIN_CONSTRAINTS_FAILURE" test \
	"$rc $(verdict forged)" == "1 TOTAL-FAILED CHAIN_CONSTRAINTS_FAILURE"
kh_check "... the signature value itself is fine (openssl cms verifies it with -CAfile)" sg_openssl_ok "$W/forged.pdf" "$F/ca.pem"

# ---- revoked after signing: the time stamp proves the signature came first (CRL over HTTP) -------
ltv_sign "$W/form.pdf" -o "$W/ra.pdf" --key-id 02 "${TSA[@]}" >/dev/null 2>&1
sleep 2
cnf=$KYSO_HARNESS/pki/ltv.cnf
KH_CA_DIR=$KH_LTV_DIR/ca/subca KH_SAN=email:nobody@example.invalid openssl ca -batch -config "$cnf" \
	-revoke "$KH_LTV_CRLONLY_CERT" -crl_reason keyCompromise >/dev/null 2>&1
KH_CA_DIR=$KH_LTV_DIR/ca/subca KH_SAN=email:nobody@example.invalid openssl ca -batch -config "$cnf" \
	-gencrl -crlexts crl_ext -out "$KH_LTV_DIR/subca2.crl.pem" >/dev/null 2>&1
openssl crl -in "$KH_LTV_DIR/subca2.crl.pem" -outform DER -out "$KH_LTV_DIR/www/subca.crl"
kh_check "the CRL server now lists the CRL-only signer as revoked" bash -c \
	"curl -sf '$KH_LTV_SUBCA_CRL' | openssl crl -inform DER -noout -text | grep -q 'Serial Number'"
rc=$(v ra "$W/ra.pdf")
kh_check "revoked after the trusted time stamp: exit 0 TOTAL-PASSED, status revoked (CRL, online), with a warning" test \
	"$rc $(verdict ra) $(jq_py "$W/ra.json" 'd["signatures"][0]["parts"]["certificate_status"]["status"], d["signatures"][0]["parts"]["certificate_status"]["source"], d["signatures"][0]["parts"]["certificate_status"]["revoked_at"] > d["signatures"][0]["poe_time"], len(d["signatures"][0]["warnings"]) > 0')" \
	== "0 TOTAL-PASSED None ('revoked', 'crl', True, True)"
kh_check "text report: one line per part, the verdict last" bash -c \
	"kyso --lang en verify ${CA[*]} '$W/ra.pdf' | grep -A6 'certificate status' | grep -q '=> TOTAL-PASSED'"
# ---- B-LTA: kyso sign --lta, kyso timestamp (a chain of time stamps) ---------------------------
rc=0
ltv_sign "$W/form.pdf" -o "$W/blta.pdf" --key-id 01 "${TSA[@]}" --lta >"$W/blta.out" 2>&1 || rc=$?
kh_check "sign --lta: exit 0" test $rc -eq 0; kh_on_fail cat "$W/blta.out"
rc=$(v blta "$W/blta.pdf" --offline)
kh_check "sign --lta: a signature and a document time stamp, both TOTAL-PASSED offline" test \
	"$rc $(jq_py "$W/blta.json" '[(s["type"], s["indication"]) for s in d["signatures"]]')" == \
	"0 [('signature', 'TOTAL-PASSED'), ('doc-timestamp', 'TOTAL-PASSED')]"
# pdfsig cannot validate ETSI.RFC3161 document time stamps ("Unable to validate this type")
kh_check "... pdfsig: the CMS signature's value valid, and it lists the document time stamp second" bash -c \
	"pdfsig '$W/blta.pdf' 2>/dev/null | awk '/^Signature #1/{s=1} /^Signature #2/{s=2} s==1 && /Signature is Valid/{v=1} s==2 && /Kyso Test TSA/{t=1} END{exit !(v && t)}'"
sleep 1
cp "$W/blta.pdf" "$W/blta.orig"
rc=0
kyso timestamp "$W/blta.pdf" -o "$W/blta2.pdf" --tsa "$KH_TSA_URL" >"$W/ts.out" 2>&1 || rc=$?
kh_check "kyso timestamp: exit 0, input unchanged" bash -c "test $rc -eq 0 && cmp -s '$W/blta.pdf' '$W/blta.orig'"
kh_on_fail cat "$W/ts.out"
rc=$(v blta2 "$W/blta2.pdf" --offline)
kh_check "kyso timestamp: three entries, all TOTAL-PASSED; the first time stamp's POE is the second" test \
	"$rc $(jq_py "$W/blta2.json" '[s["indication"] for s in d["signatures"]], d["signatures"][1]["parts"]["later_changes"]["class"]')" == \
	"0 (['TOTAL-PASSED', 'TOTAL-PASSED', 'TOTAL-PASSED'], 'signatures-and-forms')"
kh_check "... qpdf --check clean" test "$(sg_qpdf_level "$W/blta2.pdf")" = 0
rc=0
kyso verify --json "${CA[@]}" "${AT[@]}" --offline "$W/blta2.pdf" >"$W/x4.json" 2>/dev/null || rc=$?
kh_check "three years on (signer expired): the time-stamp chain keeps it TOTAL-PASSED" test \
	"$rc $(verdict x4)" == "0 TOTAL-PASSED None"
rc=0
kyso timestamp "$W/blta.pdf" -o "$W/bad.pdf" >/dev/null 2>&1 || rc=$?
kh_check "kyso timestamp without --tsa: usage exit 2, no output" bash -c "test $rc -eq 2 && test ! -e '$W/bad.pdf'"

# ---- --html: one self-contained page, read in headless Chromium -----------------------------------
command -v chromium >/dev/null || { echo "chromium missing (apt-get install chromium)"; exit 1; }
chrome() {
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-quic \
		--user-data-dir="$KH_TMP/chrome" "$@" 2>>"$KH_TMP/chrome.log"
}
rc=0
LANGUAGE=vi kyso verify "${CA[@]}" --offline --html "$W/lta.html" "$W/lta.pdf" >/dev/null 2>&1 || rc=$?
kh_check "--html written (exit $rc), no external asset, no script" bash -c \
	"test -s '$W/lta.html' && ! grep -qiE '(src|href)=|@import|url\\(|<script' '$W/lta.html'"
chrome --dump-dom "file://$W/lta.html" >"$W/lta.dom"
kh_check "Chromium: the summary comes first, then one card per signature (2), in Vietnamese" bash -c \
	"grep -o 'class=\"summary ok\"\\|class=\"card [a-z]*\"' '$W/lta.dom' | tr '\n' ' ' | grep -qx 'class=\"summary ok\" class=\"card ok\" class=\"card ok\" ' &&
	 grep -q 'HỢP LỆ' '$W/lta.dom' && grep -q 'Chữ ký 2/2' '$W/lta.dom'"
chrome --screenshot="$W/lta.png" --window-size=1000,900 "file://$W/lta.html" >/dev/null
python3 "$KYSO_HARNESS/png_count.py" "$W/lta.png" 1b7a3a >"$W/lta.px"
kh_check "screenshot: text rendered, green summary banner at the top" test \
	"$(awk '/^colours/{c=($2 > 20)} /^1b7a3a/{g=($2 > 500 && $3 < 150)} END{print c g}' "$W/lta.px")" = 11
LANGUAGE=vi kyso verify "${CA[@]}" --offline --html "$W/hide.html" "$W/hide.pdf" >/dev/null 2>&1 || true
chrome --screenshot="$W/hide.png" --window-size=1000,900 "file://$W/hide.html" >/dev/null
python3 "$KYSO_HARNESS/png_count.py" "$W/hide.png" b3261e >"$W/hide.px"
kh_check "screenshot of the hide attack: red summary banner at the top, the problem in the page" bash -c \
	"test \"\$(awk '/^b3261e/{print (\$2 > 500 && \$3 < 150)}' '$W/hide.px')\" = 1 && grep -q 'không cho phép' '$W/hide.html'"
# a visible signature with an image: the card shows it (a data: URI, re-encoded PNG)
python3 "$KYSO_SRC/tests/appearance/imgcheck.py" make "$W/sig.png"
ltv_sign "$W/form.pdf" -o "$W/img.pdf" --key-id 01 --page 1 --rect 300,80,250,90 --image "$W/sig.png" >/dev/null 2>&1
LANGUAGE=vi kyso verify "${CA[@]}" --html "$W/img.html" "$W/img.pdf" >/dev/null 2>&1 || true
kh_check "--html: the signature image is in its card as a PNG data: URI (and nothing external)" python3 - "$W/img.html" "$W/sig.png" <<'PY'
import base64, re, struct, sys
h = open(sys.argv[1]).read()
m = re.search(r'<img class="sigimg" alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', h)
assert m, "no signature image"
png = base64.b64decode(m.group(1))
src = open(sys.argv[2], "rb").read()
size = lambda d: struct.unpack(">II", d[16:24])
assert png[:8] == b"\x89PNG\r\n\x1a\n" and size(png) == size(src), (size(png), size(src))
assert not re.search(r'(src|href)="(?!data:)', h)
PY
chrome --screenshot="$W/img.png" --window-size=1000,700 "file://$W/img.html" >/dev/null
cp "$W/img.png" "${KYSO_BUILD}/verify-report-screenshot.png" 2>/dev/null || true
kh_done
