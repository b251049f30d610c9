#!/usr/bin/env bash
# `kyso setup` end to end on the virtual token, for ./dev demo: a private
# pcscd with a virtual ePass2003 card, a SoftHSM2 token with a Vietnamese test
# signer's key behind it (through a "vendor module" in a test bundle), setup
# under a staging root; prints the summary and where the signed sample is.
# The result stays in $KYSO_BUILD/demo-setup; nothing of the system is touched.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KYSO_SRC=${KYSO_SRC:-$top} KYSO_BUILD=${KYSO_BUILD:-$top/build} KYSO_HARNESS=$top/tests/harness
export PATH="$KYSO_BUILD/bin:$KYSO_HARNESS/bin:$PATH"
. "$KYSO_SRC/tests/setup/common.sh"
st_env
demo=$KYSO_BUILD/demo-setup
rm -rf "$demo"
mkdir -p "$demo"
export ROOT=$demo/root HOME=$demo/home BUNDLE=$demo/bundle FAKE_APT_STATE=$demo/root/var/lib/fake-apt/status
st_fixture
st_card
echo "\$ kyso setup --root $ROOT --bundle $BUNDLE --origin https://vanban.example.gov.vn --unattended --pin-env KH_P11_USER_PIN"
kyso setup --root "$ROOT" --bundle "$BUNDLE" --origin https://vanban.example.gov.vn --unattended \
	--pin-env KH_P11_USER_PIN --token-label kyso-rsa --ca "$KH_PKI_ROOT_CERT" || echo "(exit code $?)"
pdf=$ROOT/var/lib/kyso/setup/selftest-signed.pdf
if [[ -f $pdf ]]; then
	echo
	echo "Signed sample PDF: $pdf"
	echo "Install report:    $ROOT/var/lib/kyso/setup/install-report.json"
	echo "\$ kyso verify $pdf --ca <test root>"
	kyso verify "$pdf" --ca "$KH_PKI_ROOT_CERT" || true
fi
echo
echo "The agent setup started (private ports, PID in $ROOT/var/lib/kyso/setup/agent.pid) is stopped"
echo "when this demo ends; with the same HOME, KYSO_AGENT_PORTS=$KYSO_AGENT_PORTS and"
echo "kyso setup --repair --root $ROOT it starts again."
echo "Undo it all: kyso setup --uninstall --root $ROOT (with HOME=$HOME)"
