#!/usr/bin/env bash
# ./dev demo: kyso on a virtual token, on any machine, no hardware.
# Starts a private pcscd with a virtual reader + card (Feitian ePass2003 ATR)
# and a SoftHSM2 token holding a test-PKI key with a Vietnamese subject, shows
# kyso detect, then runs kyso setup end to end (tests/setup/demo-setup.sh). Everything it starts is stopped at
# the end; nothing of the system's own pcscd or PKCS#11 setup is touched.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KYSO_SRC=$top KYSO_BUILD=${KYSO_BUILD_DIR:-$top/build} KYSO_HARNESS=$top/tests/harness
export PATH="$KYSO_BUILD/bin:$KYSO_HARNESS/bin:$PATH"
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_HARNESS/vicc/pcscd.sh"

EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
step() { printf '\n\033[1;34m### %s\033[0m\n' "$*"; }
run() {
	printf '\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

kh_tmpdir
cache=$KYSO_BUILD/demo-cache
mkdir -p "$cache"

step "1. A private PC/SC service with a virtual reader, and a virtual ePass2003 card in it"
kh_pcscd_start
kh_vicc_insert "$EPASS_ATR" 0
echo "pcscd pid $KH_PCSCD_PID, socket $PCSCLITE_CSOCK_NAME (the system's pcscd is untouched)"
run opensc-tool --list-readers
run opensc-tool --reader 0 --atr

step "2. A test PKI and a SoftHSM2 token with a Vietnamese signer's key and certificate"
kh-pki "$cache/pki" >/dev/null
kh-softhsm "$cache/softhsm" "$cache/pki" >/dev/null
. "$cache/pki/pki.env"
. "$cache/softhsm/softhsm.env"
export SOFTHSM2_CONF
run openssl x509 -in "$KH_PKI_SIGNER_RSA_CERT" -noout -subject -nameopt utf8,sep_comma_plus_space
run pkcs11-tool --module "$KH_P11_MODULE" --list-token-slots
run pkcs11-tool --module "$KH_P11_MODULE" --token-label kyso-rsa --list-objects --type cert

step "3. kyso"
run kyso version
run kyso detect || echo "(kyso detect exit code $?)"

step "4. kyso setup end to end: detect, install the driver, register it, sign a sample PDF as proof"
echo "(under a staging root in $KYSO_BUILD/demo-setup, with a fake package manager; the system is untouched)"
bash "$KYSO_SRC/tests/setup/demo-setup.sh"

step "Done. Everything started for the demo is now being stopped."
