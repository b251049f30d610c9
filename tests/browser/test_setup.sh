#!/usr/bin/env bash
# kyso setup's browser steps on a staging root and a private HOME: the Local
# Network Access policy files for Chrome, Chromium and Edge hold exactly the
# configured origins (wildcards refused), a second run changes nothing,
# --repair puts back what was removed, and uninstall takes it all away again.
# (The agent's local CA in the NSS databases is checked by the setup tests.)
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
st_card
# a Chromium "installed" under the staging root, for kyso doctor's browsers check
mkdir -p "$ROOT/usr/bin" && printf '#!/bin/sh\n' >"$ROOT/usr/bin/chromium" && chmod +x "$ROOT/usr/bin/chromium"
st_manifest >"$KH_TMP/m0"
O1=https://vanban.example.gov.vn
O2=http://intranet.local:8080
policies=("$ROOT/etc/opt/chrome/policies/managed" "$ROOT/etc/chromium/policies/managed"
	"$ROOT/etc/opt/edge/policies/managed")

# ---- dry run and refused origins -----------------------------------------------
st_setup --no-selftest --origin "$O1" --dry-run --json
kh_check "dry run: three policy files to write" \
	test "$(jq '[.plan.actions[] | select(.kind=="browser-policy" and .status=="todo")] | length' "$KH_TMP/out")" = 3
for bad in 'https://*.example.gov.vn' '*' 'https://vanban.example.gov.vn/path' 'https://[*.]example.gov.vn'; do
	st_setup --no-selftest --origin "$bad"
	kh_check "--origin '$bad' is a usage error (exit 2)" test "$ST_RC" -eq 2; kh_on_fail st_show
done
st_manifest >"$KH_TMP/m1"
kh_check "dry run and refused origins changed nothing" diff -u "$KH_TMP/m0" "$KH_TMP/m1"

# ---- apply ---------------------------------------------------------------------------
st_setup --no-selftest --origin "$O1" --origin "${O2}/" --origin "https://VanBan.Example.gov.vn:443" --json
kh_check "setup exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
want="[\"$O1\",\"$O2\"]"
for d in "${policies[@]}"; do
	f=$d/kyso-local-network.json
	kh_check "policy file $f" test -f "$f"
	kh_check "$(basename "$(dirname "$(dirname "$d")")"): LoopbackNetworkAllowedForUrls = exactly the origins" \
		test "$(jq -c .LoopbackNetworkAllowedForUrls "$f")" = "$want"; kh_on_fail cat "$f"
	kh_check "$(basename "$(dirname "$(dirname "$d")")"): LocalNetworkAccessAllowedForUrls = exactly the origins" \
		test "$(jq -c .LocalNetworkAccessAllowedForUrls "$f")" = "$want"
	kh_check "policy file has only the two policies, no wildcard" \
		sh -c "test \"\$(jq -c 'keys' '$f')\" = '[\"LocalNetworkAccessAllowedForUrls\",\"LoopbackNetworkAllowedForUrls\"]' && ! grep -q '[*]' '$f'"
	kh_check "policy file is world-readable (browsers run as the user)" test "$(stat -c %a "$f")" = 644
done
j=$ROOT/var/lib/kyso/setup/journal.json
kh_check "journal: the 3 policy files" \
	test "$(jq '[.entries[] | select(.op=="file" and (.path|endswith("kyso-local-network.json")))] | length' "$j")" = 3
kh_check "report lists the browser actions done" \
	test "$(jq '[.actions[] | select(.kind=="browser-policy" and .status=="done")] | length' "$ROOT/var/lib/kyso/setup/install-report.json")" = 3

# kyso doctor agrees: the browsers check passes on what setup did (the CA trust is setup's
# agent_ca.c, the policies this step's)
doctor_browsers() {
	(KYSO_ROOT=$ROOT KYSO_SYSCONFDIR=$ROOT/etc/kyso kyso doctor --json --offline --no-usb 2>/dev/null || true) |
		jq -c '.checks[] | select(.id=="browsers")' >"$KH_TMP/doctor.json" || true
}
doctor_browsers
kh_check "kyso doctor after setup: browsers check passes" test "$(jq -r .status "$KH_TMP/doctor.json")" = pass
kh_on_fail cat "$KH_TMP/doctor.json"

# ---- second run, repair ------------------------------------------------------------
st_manifest >"$KH_TMP/m2"
st_setup --no-selftest --origin "$O1"
kh_check "second run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "second run: policies already in place" \
	test "$(grep -c 'already in place.*pre-approve' "$KH_TMP/out")" = 3; kh_on_fail st_show
st_manifest >"$KH_TMP/m3"
kh_check "second run changed nothing" diff -u "$KH_TMP/m2" "$KH_TMP/m3"
rm "${policies[1]}/kyso-local-network.json"
st_setup --no-selftest --repair
kh_check "repair exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "repair wrote the Chromium policy again (origins from config.json)" \
	test "$(jq -c .LoopbackNetworkAllowedForUrls "${policies[1]}/kyso-local-network.json")" = "$want"

rm "${policies[2]}/kyso-local-network.json"
doctor_browsers
kh_check "kyso doctor with Edge's policy gone: still pass (Edge is not installed)" \
	test "$(jq -r .status "$KH_TMP/doctor.json")" = pass
rm "${policies[1]}/kyso-local-network.json"
doctor_browsers
kh_check "kyso doctor with Chromium's policy gone: fail, remedy kyso setup --repair" \
	sh -c "test \"\$(jq -r .status '$KH_TMP/doctor.json')\" = fail && jq -r .remedy '$KH_TMP/doctor.json' | grep -q 'kyso setup --repair'"
kh_on_fail cat "$KH_TMP/doctor.json"
st_setup --no-selftest --repair

# ---- uninstall ----------------------------------------------------------------------
st_setup --uninstall
kh_check "uninstall exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
for d in "${policies[@]}"; do
	kh_check "uninstall removed $d/kyso-local-network.json" test ! -e "$d/kyso-local-network.json"
done
kh_check "uninstall removed the directories it created (/etc/opt, /etc/chromium)" \
	test ! -e "$ROOT/etc/opt" -a ! -e "$ROOT/etc/chromium"
st_manifest >"$KH_TMP/m4"
kh_check "uninstall restores the staging root and HOME exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m4"

# ---- --user: policies are machine-wide -------------------------------------------------
st_setup --no-selftest --user --origin "$O1" --dry-run --json
kh_check "--user: policy files skipped with a reason" \
	test "$(jq '[.plan.actions[] | select(.kind=="browser-policy" and .status=="skipped" and (.detail|test("--user")))] | length' "$KH_TMP/out")" = 3
kh_done
