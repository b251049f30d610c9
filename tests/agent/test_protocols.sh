#!/usr/bin/env bash
# kyso-agent protocol tests: VNPT-CA Plugin frames, VGCA Sign Service (download + upload to a
# local FileUploadHandler), kyso API over HTTPS and WSS; signed PDFs checked by pdfsig.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
ag_setup
ag_start agent

# TLS: the served certificate chains to the exported local CA, for localhost and 127.0.0.1
kyso-agent --state-dir "$KH_TMP/state" --export-ca "$KH_TMP/ca.pem"
kh_check "exported CA verifies the server certificate (localhost)" \
	bash -c "openssl s_client -connect 127.0.0.1:$AG_VNPT -servername localhost -verify_hostname localhost -CAfile '$KH_TMP/ca.pem' -verify_return_error </dev/null 2>&1 | grep -q 'Verify return code: 0'"
kh_check "exported CA verifies the server certificate (127.0.0.1)" \
	bash -c "openssl s_client -connect 127.0.0.1:$AG_VNPT -verify_ip 127.0.0.1 -CAfile '$KH_TMP/ca.pem' -verify_return_error </dev/null 2>&1 | grep -q 'Verify return code: 0'"
kh_check "also listens on ::1" bash -c "openssl s_client -connect '[::1]:$AG_KYSO' </dev/null 2>&1 | grep -q 'BEGIN CERTIFICATE'"
kh_check "CA is name-constrained to localhost/127.0.0.1/::1" \
	bash -c "openssl x509 -in '$KH_TMP/ca.pem' -noout -ext nameConstraints | grep -q 'DNS:localhost' && openssl x509 -in '$KH_TMP/ca.pem' -noout -ext nameConstraints | grep -q 'IP:127.0.0.1'"
kh_check "no CA key in the state directory (made in memory, never written)" test ! -e "$KH_TMP/state/ca-key.pem"
kh_check "listens on loopback only" bash -c "! ss -ltn | awk '{print \$4}' | grep -E ':($AG_KYSO|$AG_VNPT|$AG_VGCA)\$' | grep -v -E '^(127\.0\.0\.1|\[::1\]):'"

for c in vnpt_basic vnpt_certinfo vnpt_certcheck vnpt_sign vnpt_hash vnpt_pdf_item vnpt_xml vnpt_verify vgca_certinfo \
	vgca_msg vgca_sign vgca_foreign \
	kyso_http kyso_ws preflight vnpt_cancel vgca_cancel; do
	kh_check "$c" ag_check "$c"
done
kh_check "VNPT-signed PDF verifies in pdfsig" sg_pdfsig_all_valid "$AG_WORK/vnpt-signed.pdf"
kh_check "signArrDataAdvanced pdf item verifies in pdfsig" sg_pdfsig_all_valid "$AG_WORK/vnpt-item-signed.pdf"
kh_check "SigVisible=false PDF verifies in pdfsig" sg_pdfsig_all_valid "$AG_WORK/vnpt-item-invisible.pdf"
kh_check "kyso-API-signed PDF verifies in pdfsig" sg_pdfsig_all_valid "$AG_WORK/kyso-signed.pdf"
n=0
for f in "$AG_FILESDIR"/uploads/*.pdf; do
	sg_pdfsig_all_valid "$f" || n=$((n + 1))
done
kh_check "every VGCA upload verifies in pdfsig" test "$n" -eq 0 -a -e "$AG_FILESDIR/uploads/5.pdf"
kh_check "VGCA SignIssued reason carries number and date" \
	bash -c "kyso verify --json '$AG_FILESDIR/uploads/2.pdf' | grep '\"reason\"' | grep -q 'Văn thư cấp số, ngày; Số: 123/BCY-CTSBMTT; Ngày: 2019-03-12'"
kh_check "refused origins are logged" grep -q "refused" "$KH_TMP/agent.log"
kh_check "the PIN never reaches the log" bash -c "! grep -q '$SG_PIN' '$KH_TMP/agent.log'"
kh_stop "$AG_PID"
kh_check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$KH_TMP/agent.log'"
kh_done
