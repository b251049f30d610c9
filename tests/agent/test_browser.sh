#!/usr/bin/env bash
# Browser E2E: headless Chromium (playwright-core) loads web/demo from a test web system,
# signs with the SoftHSM2 token through the kyso API, VNPT-CA Plugin and VGCA protocols; the
# downloaded PDFs verify in pdfsig; a page from a non-allowed origin is refused; a screenshot
# is checked. The agent's CA is trusted through a private NSS db ($HOME/.pki/nssdb).
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
if [[ ! -x /usr/bin/chromium || ! -d $KYSO_SRC/tests/agent/node_modules/playwright-core ||
	! -d $KYSO_SRC/web/node_modules/pdfjs-dist ]]; then
	echo "FAIL - chromium, playwright-core (npm ci in tests/agent) or pdfjs-dist (npm ci in web) missing" >&2
	exit 1
fi
export AG_WEBROOT=$KYSO_SRC/web
ag_setup
ag_start agent
export HOME=$KH_TMP/home
mkdir -p "$HOME/.pki/nssdb"
kyso-agent --state-dir "$KH_TMP/state" --export-ca "$KH_TMP/ca.pem"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
certutil -A -d "sql:$HOME/.pki/nssdb" -n kyso-local-ca -t "C,," -i "$KH_TMP/ca.pem"
q="kyso=$AG_KYSO&vnpt=$AG_VNPT&vgca=$AG_VGCA"
foreign=${AG_FILES/127.0.0.1/localhost}
kh_check "browser: demo page through each protocol, foreign origin refused, screenshot" \
	node "$KYSO_SRC/tests/agent/browser.mjs" "$AG_FILES/web/demo/index.html?$q" \
	"$foreign/web/demo/index.html?$q" "$AG_PDF" "$AG_WORK"
for p in kyso vnpt vgca; do
	kh_check "browser ($p): downloaded PDF verifies in pdfsig" sg_pdfsig_all_valid "$AG_WORK/browser-$p.pdf"
done
kh_check "the foreign origin was refused by the agent (log)" grep -q "origin \"\?http://localhost" "$KH_TMP/agent.log"
kh_stop "$AG_PID"
kh_done
