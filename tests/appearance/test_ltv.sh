#!/usr/bin/env bash
# PAdES B-LT (`kyso sign --ltv`): a second incremental update adds a /DSS with the chain and
# revocation data fetched from the test PKI's own CRL server and OCSP responder (children of
# this test on private ports), or given with --crl. Checked with qpdf (independent parser):
# /DSS /Certs /CRLs /OCSPs /VRI, each item's DER parsed by openssl; pdfsig and kyso verify keep
# every signature valid; a revoked signer and a revocation source that is down each fail before
# the PIN with their own message, exit code and no output.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
. "$KYSO_HARNESS/pki/ltv.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"
sg_setup
kh_pki_ltv "$KH_TMP/ltv"
certutil -A -d "sql:$SG_NSS" -n kyso-ltv-root -t "CT,C,C" -i "$KH_LTV_ROOT_CERT"
W=$KH_TMP/w
mkdir -p "$W"
kyso sign --sample "$W/in.pdf" >/dev/null
export LTV_PIN=$KH_LTV_PIN
ltv_sign() {
	SOFTHSM2_CONF=$KH_LTV_SOFTHSM2_CONF kyso sign --module "$KH_LTV_MODULE" --token kyso-ltv \
		--pin-env LTV_PIN --chain "$KH_LTV_CHAIN" "$@"
}
export -f ltv_sign

# dss PDF OUTDIR: writes OUTDIR/{certs,crls,ocsps}/N.der and OUTDIR/vri (VRI keys) from the
# signed file's /DSS as qpdf reads it, and OUTDIR/vri-want (SHA-1 of the last signature's
# /Contents); exits 1 when there is no /DSS.
dss() {
	python3 - "$1" "$2" <<'PY'
import hashlib, json, os, re, subprocess, sys
pdf, out = sys.argv[1], sys.argv[2]
j = json.loads(subprocess.run(["qpdf", "--json", "--json-key=qpdf", "--decode-level=generalized",
                               "--json-stream-data=inline", pdf], capture_output=True, check=True).stdout)
objs = j["qpdf"][1]
trailer = objs["trailer"]["value"]
root = objs["obj:" + trailer["/Root"]]["value"]
if "/DSS" not in root:
    sys.exit("no /DSS in the catalog")
dss = objs["obj:" + root["/DSS"]]["value"] if isinstance(root["/DSS"], str) else root["/DSS"]
import base64
for key, sub in (("/Certs", "certs"), ("/CRLs", "crls"), ("/OCSPs", "ocsps")):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
    for i, ref in enumerate(dss.get(key, [])):
        s = objs["obj:" + ref]["stream"]
        open(os.path.join(out, sub, "%d.der" % i), "wb").write(base64.b64decode(s["data"]))
vri = dss.get("/VRI", {})
if isinstance(vri, str):
    vri = objs["obj:" + vri]["value"]
open(os.path.join(out, "vri"), "w").write("\n".join(k.lstrip("/") for k in vri) + "\n")
data = open(pdf, "rb").read()
m = list(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", data))[-1]
open(os.path.join(out, "vri-want"), "w").write(hashlib.sha1(bytes.fromhex(m.group(1).decode())).hexdigest().upper() + "\n")
PY
}
count() { find "$1" -name '*.der' | wc -l; }
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- fetched: OCSP for the signer, the root's CRL (HTTP) for the sub-CA ---------------------------
rc=0
ltv_sign "$W/in.pdf" -o "$W/l.pdf" --key-id 01 --ltv >"$W/l.out" 2>&1 || rc=$?
kh_check "--ltv (OCSP + CRL over HTTP): exit 0" test $rc -eq 0; kh_on_fail cat "$W/l.out"
kh_check "--ltv: qpdf --check clean" test "$(sg_qpdf_level "$W/l.pdf")" = 0
kh_check "--ltv: the signature update and the DSS update (2 more %%EOF)" \
	test "$(grep -c '%%EOF' "$W/l.pdf")" -eq $(($(grep -c '%%EOF' "$W/in.pdf") + 2))
mkdir -p "$W/d1"
kh_check "--ltv: catalog has a /DSS (qpdf)" dss "$W/l.pdf" "$W/d1"
kh_check "--ltv: /Certs = signer, sub-CA, root" test "$(count "$W/d1/certs")" -eq 3
kh_check "--ltv: /Certs hold exactly the chain" bash -c '
	for f in "$1"/certs/*.der; do openssl x509 -inform DER -in "$f" -noout -subject -nameopt RFC2253; done | sort >"$1/subjects"
	for c in "$2" "$3" "$4"; do openssl x509 -in "$c" -noout -subject -nameopt RFC2253; done | sort | diff - "$1/subjects"' \
	_ "$W/d1" "$KH_LTV_SIGNER_CERT" "$KH_LTV_SUBCA_CERT" "$KH_LTV_ROOT_CERT"
kh_check "--ltv: one OCSP answer: signer good, signed by the responder" bash -c '
	openssl ocsp -no_nonce -respin "$1/ocsps/0.der" -issuer "$2" -cert "$3" -CAfile "$4" 2>&1 | grep -q ": good"' \
	_ "$W/d1" "$KH_LTV_SUBCA_CERT" "$KH_LTV_SIGNER_CERT" "$KH_LTV_CHAIN"
kh_check "--ltv: one CRL, the root's (for the sub-CA), signature verifies" bash -c '
	[[ $(ls "$1"/crls | wc -l) -eq 1 ]] && openssl crl -inform DER -in "$1/crls/0.der" -CAfile "$2" -noout 2>&1 | grep -q "verify OK" &&
	cmp <(openssl crl -inform DER -in "$1/crls/0.der" -outform DER) <(openssl crl -in "$3" -outform DER)' \
	_ "$W/d1" "$KH_LTV_ROOT_CERT" "$KH_LTV_ROOT_CRL_FILE"
kh_check "--ltv: /VRI has the signature's key (SHA-1 of /Contents)" grep -qxf "$W/d1/vri-want" "$W/d1/vri"
kh_check "--ltv: pdfsig valid" sg_pdfsig_all_valid "$W/l.pdf"
kh_check "--ltv: openssl cms accepts the signature" sg_openssl_ok "$W/l.pdf" "$KH_LTV_ROOT_CERT"
kyso verify --json --ca "$KH_LTV_ROOT_CERT" "$W/l.pdf" >"$W/l.json" || true
kh_check "kyso verify: valid, LTV data reported (3 certs, 1 CRL, 1 OCSP, VRI, signer via OCSP), the DSS revision is LTV-only" test \
	"$(jq_py "$W/l.json" 'd["valid"], d["signatures"][0]["ltv"]["certs"], d["signatures"][0]["ltv"]["crls"], d["signatures"][0]["ltv"]["ocsps"], d["signatures"][0]["ltv"]["vri"], d["signatures"][0]["ltv"]["signer_revocation"], d["signatures"][0]["later_changes"]')" \
	== "(True, 3, 1, 1, True, 'ocsp', 'ltv')"
rc=0
kyso verify --offline --json --ca "$KH_LTV_ROOT_CERT" "$W/l.pdf" >"$W/lo.json" || rc=$?
kh_check "kyso verify --offline: TOTAL-PASSED, certificate status good from the DSS's OCSP answer" test \
	"$rc $(jq_py "$W/lo.json" 'd["indication"], d["signatures"][0]["parts"]["certificate_status"]["status"], d["signatures"][0]["parts"]["certificate_status"]["from"], d["signatures"][0]["parts"]["certificate_status"]["source"]')" \
	== "0 ('TOTAL-PASSED', 'good', 'dss', 'ocsp')"
kh_check "kyso verify: text shows the LTV data" bash -c \
	'LANGUAGE=en kyso verify --ca "$1" "$2" | grep -Eq "(LTV data|Dữ liệu LTV).*3.*1.*1"' _ "$KH_LTV_ROOT_CERT" "$W/l.pdf"

# ---- CRL only (no OCSP in the certificate): the sub-CA's CRL over HTTP -------------------------
rc=0
ltv_sign "$W/in.pdf" -o "$W/c.pdf" --key-id 02 --ltv >"$W/c.out" 2>&1 || rc=$?
kh_check "CRL-only signer: exit 0" test $rc -eq 0; kh_on_fail cat "$W/c.out"
mkdir -p "$W/d2"
dss "$W/c.pdf" "$W/d2" >/dev/null 2>&1 || true
kh_check "CRL-only signer: two CRLs (sub-CA's, root's), no OCSP" test "$(count "$W/d2/crls"):$(count "$W/d2/ocsps")" = 2:0
kyso verify --json --ca "$KH_LTV_ROOT_CERT" "$W/c.pdf" >"$W/c.json" || true
kh_check "CRL-only signer: kyso verify valid, signer's revocation data from a CRL" test \
	"$(jq_py "$W/c.json" 'd["valid"], d["signatures"][0]["ltv"]["signer_revocation"]')" == "(True, 'crl')"

# ---- earlier signatures stay valid; a second --ltv signature adds to the same DSS -------------------
sg_sign "$W/in.pdf" -o "$W/e1.pdf" --role approve >/dev/null 2>&1
rc=0
ltv_sign "$W/e1.pdf" -o "$W/e2.pdf" --key-id 01 --ltv --field LTV1 >/dev/null 2>&1 || rc=$?
ltv_sign "$W/e2.pdf" -o "$W/e3.pdf" --key-id 02 --ltv --field LTV2 >/dev/null 2>&1 || rc=$?
kh_check "on a signed file, twice: exit 0" test $rc -eq 0
kh_check "pdfsig: all 3 signatures valid" sg_pdfsig_all_valid "$W/e3.pdf"
kh_check "pdfsig: 3 signatures" test "$(sg_pdfsig_count "$W/e3.pdf")" -eq 3
kyso verify --json --ca "$KH_LTV_ROOT_CERT" --ca "$KH_PKI_ROOT_CERT" "$W/e3.pdf" >"$W/e3.json" || true
kh_check "kyso verify: all valid, no 'other' changes after the first" test \
	"$(jq_py "$W/e3.json" 'd["valid"], [s["later_changes"] for s in d["signatures"]]')" == \
	"(True, ['signatures-and-forms', 'signatures-and-forms', 'ltv'])"
mkdir -p "$W/d3"
dss "$W/e3.pdf" "$W/d3" >/dev/null 2>&1 || true
kh_check "one DSS for both: 4 certs (shared CAs stored once), 2 VRI entries" test \
	"$(count "$W/d3/certs"):$(grep -c . "$W/d3/vri")" = 4:2

# ---- with a time stamp: the TSA's certificates join the DSS --------------------------------------
kh_tsa_start "$KH_TMP/tsa"
rc=0
ltv_sign "$W/in.pdf" -o "$W/t.pdf" --key-id 01 --ltv --tsa "$KH_TSA_URL" --crl "$KH_PKI_SUBCA_CRL" \
	--crl "$KH_PKI_ROOT_CRL" >"$W/t.out" 2>&1 || rc=$?
kh_check "--ltv --tsa: exit 0" test $rc -eq 0; kh_on_fail cat "$W/t.out"
mkdir -p "$W/d4"
dss "$W/t.pdf" "$W/d4" >/dev/null 2>&1 || true
kh_check "--ltv --tsa: the TSA certificate is in /Certs" bash -c '
	for f in "$1"/certs/*.der; do openssl x509 -inform DER -in "$f" -noout -subject -nameopt RFC2253; done | grep -q "Kyso Test TSA"' _ "$W/d4"
kh_check "--ltv --tsa: pdfsig valid" sg_pdfsig_all_valid "$W/t.pdf"
kh_tsa_stop

# ---- failures: before the PIN, nothing written ------------------------------------------------------
fails() { # NAME EXIT REGEX args...
	local name=$1 want=$2 re=$3 rc=0
	shift 3
	rm -f "$W/f.pdf"
	LANGUAGE=en ltv_sign "$W/in.pdf" -o "$W/f.pdf" "$@" >"$W/f.out" 2>&1 || rc=$?
	kh_check "$name: exit $want" test $rc -eq "$want"
	kh_check "$name: no output file" test ! -e "$W/f.pdf"
	kh_check "$name: message" grep -Eqi "$re" "$W/f.out"; kh_on_fail cat "$W/f.out" >&2
	kh_check "$name: no temporary file left" bash -c '! ls -a "$1" | grep -q "^\.f\.pdf\|f\.pdf\."' _ "$W"
}
fails "revoked signer (OCSP says revoked)" 1 "revoked.*OCSP|thu hồi.*OCSP" --key-id 03 --ltv
fails "not a CRL file" 5 "not a CRL|không phải CRL" --key-id 01 --ltv --crl "$W/in.pdf"
fails "--crl without --ltv" 2 "[-]-crl.*[-]-ltv" --key-id 01 --crl "$KH_LTV_SUBCA_CRL_FILE"

kh_ltv_stop_ocsp
kh_ltv_stop_crl
fails "revocation sources down" 6 "(No revocation data|Không có dữ liệu thu hồi).*Hoàng Văn Lưu.*(Cannot reach|Không).*127.0.0.1" --key-id 01 --ltv
# before the PIN: with no PIN available at all the error is still the revocation one (exit 6, not
# the "PIN variable not set" usage error that logging in would give)
fails "sources down, no PIN source" 6 "No revocation data" --key-id 01 --ltv --pin-env NO_SUCH_PIN_VAR
fails "CRL-only signer, CRL server down" 6 "127.0.0.1:[0-9]+/subca.crl" --key-id 02 --ltv

# ---- offline: --crl files, servers down -----------------------------------------------------------
rc=0
ltv_sign "$W/in.pdf" -o "$W/o.pdf" --key-id 01 --ltv --crl "$KH_LTV_SUBCA_CRL_FILE" \
	--crl "$KH_LTV_ROOT_CRL_FILE" >"$W/o.out" 2>&1 || rc=$?
kh_check "--crl FILE (servers down): exit 0" test $rc -eq 0; kh_on_fail cat "$W/o.out"
mkdir -p "$W/d5"
dss "$W/o.pdf" "$W/d5" >/dev/null 2>&1 || true
kh_check "--crl FILE: the two given CRLs, no OCSP" test "$(count "$W/d5/crls"):$(count "$W/d5/ocsps")" = 2:0
kh_check "--crl FILE: pdfsig valid" sg_pdfsig_all_valid "$W/o.pdf"
fails "--crl for the root only, servers down" 6 "127.0.0.1" --key-id 01 --ltv --crl "$KH_LTV_ROOT_CRL_FILE"
fails "--crl listing the signer (revoked), offline" 1 "revoked|thu hồi" --key-id 03 --ltv \
	--crl "$KH_LTV_SUBCA_CRL_FILE" --crl "$KH_LTV_ROOT_CRL_FILE"
kh_done
