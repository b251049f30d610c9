#!/usr/bin/env bash
# Conformance suite: integrator-style flows of the VNPT-CA Plugin and VGCA protocols from
# headless Chromium through our own client (conformance/), the FileUploadHandler on a second
# origin allowed by --fetch-origin; results checked by pdfsig, openssl cms, xmlsec1, kyso verify.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
if [[ ! -x /usr/bin/chromium || ! -d $KYSO_SRC/tests/agent/node_modules/playwright-core ]]; then
	echo "FAIL - chromium or playwright-core (npm ci in tests/agent) missing" >&2
	exit 1
fi
export AG_WEBROOT=$KYSO_SRC/tests/agent/conformance
ag_setup
foreign=${AG_FILES/127.0.0.1/localhost}
ag_start agent --fetch-origin "$foreign"
export HOME=$KH_TMP/home
mkdir -p "$HOME/.pki/nssdb"
kyso-agent --state-dir "$KH_TMP/state" --export-ca "$KH_TMP/ca.pem"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
certutil -A -d "sql:$HOME/.pki/nssdb" -n kyso-local-ca -t "C,," -i "$KH_TMP/ca.pem"
q="vnpt=$AG_VNPT&vgca=$AG_VGCA"
W=$AG_WORK
kh_check "conformance: VNPT and VGCA flows from the browser" \
	node "$KYSO_SRC/tests/agent/conformance.mjs" "$AG_FILES/web/index.html?$q" "$foreign/web/index.html" \
	"$AG_PDF" "$AG_FILES" "$W"
for f in signpdf-plain signpdf-signer item-visible item-invisible; do
	kh_check "conformance $f: pdfsig valid" sg_pdfsig_all_valid "$W/conf-$f.pdf"
	kh_check "conformance $f: kyso verify" kyso verify --ca "$KH_PKI_ROOT_CERT" "$W/conf-$f.pdf"
done
widget() { python3 "$KYSO_SRC/tests/agent/sigwidget.py" "$1"; }
kh_check "SigVisible=true draws a signature widget" test "$(widget "$W/conf-item-visible.pdf")" -gt 0
kh_check "SigVisible=false draws none" test "$(widget "$W/conf-item-invisible.pdf")" -eq 0
for c in cms hash; do
	kh_check "conformance $c: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$W/conf-$c.p7s" \
		-content "$W/conf-$c.txt" -CAfile "$KH_PKI_ROOT_CERT" -purpose any -out /dev/null
done
openssl x509 -inform DER -in "$W/conf-cert.der" -out "$W/conf-cert.pem"
kh_check "conformance signXML: xmlsec1 --verify" xmlsec1 --verify --id-attr:Id DLHDon \
	--pubkey-cert-pem "$W/conf-cert.pem" "$W/conf-invoice.xml"
sed 's/Thử Nghiệm/Khac/' "$W/conf-invoice.xml" >"$W/conf-invoice-changed.xml"
kh_check "conformance signXML: a changed invoice is refused" bash -c \
	"! xmlsec1 --verify --id-attr:Id DLHDon --pubkey-cert-pem '$W/conf-cert.pem' '$W/conf-invoice-changed.xml'"
n=0
for f in "$AG_FILESDIR"/uploads/*.pdf; do
	sg_pdfsig_all_valid "$f" || n=$((n + 1))
done
kh_check "every VGCA upload verifies in pdfsig (8 flows)" test "$n" -eq 0 -a -e "$AG_FILESDIR/uploads/8.pdf"
kh_stop "$AG_PID"
kh_check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$KH_TMP/agent.log'"
kh_done
