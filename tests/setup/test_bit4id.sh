#!/usr/bin/env bash
# kyso setup with the installed catalog (no override) on the government
# token: a virtual Bit4id TokenME EVO v2 (bit4id applet of kyso-vicc with the
# test PKI's RSA signer). The catalog maps it to kyso's own module
# kyso-pkcs11, which setup probes, registers and signs the sample with.
. "$KYSO_SRC/tests/setup/common.sh"
. "$KYSO_HARNESS/pki/pki.sh"
kh_pki
BIT4ID_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3
export ROOT=$KH_TMP/root HOME=$KH_TMP/home LANGUAGE=en
export KYSO_APT=$KYSO_SRC/tests/setup/fake-apt
export FAKE_APT_STATE=$ROOT/var/lib/fake-apt/status FAKE_APT_LOG=$KH_TMP/apt.log
export B4PIN=1234
p1=$(kh_free_port)
p2=$(kh_free_port)
export KYSO_AGENT_PORTS="$p1,$((p1 + 1)),$p2" # never the real agent ports
stop_agent() {
	local pid
	pid=$(cat "$ROOT/var/lib/kyso/setup/agent.pid" 2>/dev/null) || return 0
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *kyso-agent* ]] && kh_stop "$pid"
	return 0
}
kh_on_exit stop_agent
mkdir -p "$ROOT/var/lib/fake-apt" "$HOME/.pki/nssdb"
: >"$FAKE_APT_STATE"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
FAKE_APT_LOG=/dev/null "$KYSO_APT" update-ca-certificates "$ROOT" # the root's (empty) CA bundle
kh_pcscd_start
kh_vicc_insert "$BIT4ID_ATR" 0 --applet bit4id \
	--applet-opt "key=$KH_PKI_SIGNER_RSA_KEY" --applet-opt "cert=$KH_PKI_SIGNER_RSA_CERT" \
	--applet-opt "ca=$KH_PKI_SUBCA_CERT" --applet-opt "ca=$KH_PKI_ROOT_CERT"
before=$(cd "$ROOT" && find . | sort; cd "$HOME" && find . | sort)

run() {
	set +e
	kyso setup --root "$ROOT" --unattended --pin-env B4PIN --ca "$KH_PKI_ROOT_CERT" "$@" \
		>"$KH_TMP/out" 2>"$KH_TMP/err"
	rc=$?
	set -e
}
run --dry-run --json
kh_check "dry run: exit 0" test "$rc" -eq 0; kh_on_fail cat "$KH_TMP/err"
kh_check "dry run: Bit4id TokenME EVO v2 detected" \
	test "$(jq -r .plan.token_type "$KH_TMP/out")" = bit4id-tokenme-evo-v2
kh_check "dry run: kyso's own module kyso-pkcs11" \
	test "$(jq -r .plan.module "$KH_TMP/out")" = "$(realpath "$KYSO_BUILD/lib/kyso-pkcs11.so")"

run
kh_check "setup: exit 0" test "$rc" -eq 0; kh_on_fail cat "$KH_TMP/out" "$KH_TMP/err"
rep=$ROOT/var/lib/kyso/setup/install-report.json
kh_check "report: builtin module" test "$(jq .driver.builtin "$rep")" = true
kh_check "report: probe found the signer's certificate paired with its key" \
	test "$(jq -r '[.driver.probe.slots[] | select(.token_present) | .certificates[] | select(.ca | not) | .pairing][0]' "$rep")" != none
kh_check "report: self-test verified" test "$(jq -r .selftest.status "$rep")" = verified
kh_check "self-test signer is the test signer" \
	sh -c "jq -r .selftest.signer '$rep' | grep -q 'Nguyễn Văn An'"
kh_check "NSS database has kyso-pkcs11" \
	sh -c "modutil -dbdir 'sql:$HOME/.pki/nssdb' -list kyso-bit4id-tokenme-evo-v2 | grep -q 'kyso-pkcs11.so'"
kh_check "report: agent answers on each protocol" test "$(jq .agent.answers "$rep")" = true
kh_check "packages from the catalog installed (pcscd, libccid)" \
	test "$(tr '\n' ' ' <"$FAKE_APT_STATE")" = "pcscd libccid "
run --uninstall
after=$(cd "$ROOT" && find . | sort; cd "$HOME" && find . | sort)
kh_check "uninstall: same paths as before" test "$before" = "$after"
kh_on_fail diff <(echo "$before") <(echo "$after")
kh_check "uninstall: NSS entry gone" \
	sh -c "! modutil -dbdir 'sql:$HOME/.pki/nssdb' -list 2>&1 | grep -q kyso-bit4id"
kh_done
