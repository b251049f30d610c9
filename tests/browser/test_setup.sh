#!/usr/bin/env bash
# kyso setup's browser steps on a staging root and a private HOME: the Local
# Network Access policy files for Chrome, Chromium and Edge hold exactly the
# configured origins (wildcards refused), the agent's local CA lands in the
# Chromium and Firefox NSS databases, a second run changes nothing, --repair
# puts back what was removed, and uninstall takes it all away again.
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
st_card
st_manifest >"$KH_TMP/m0"
O1=https://vanban.example.gov.vn
O2=http://intranet.local:8080
chromedb=$HOME/.pki/nssdb
ffdb=$HOME/.mozilla/firefox/k1y2s3o4.default-release
state=$HOME/.local/state/kyso/agent
policies=("$ROOT/etc/opt/chrome/policies/managed" "$ROOT/etc/chromium/policies/managed"
	"$ROOT/etc/opt/edge/policies/managed")

# ---- dry run and refused origins -----------------------------------------------
st_setup --no-selftest --origin "$O1" --dry-run --json
kh_check "dry run: three policy files to write" \
	test "$(jq '[.plan.actions[] | select(.kind=="browser-policy" and .status=="todo")] | length' "$KH_TMP/out")" = 3
kh_check "dry run: the CA to trust in the Chromium and the Firefox database" \
	test "$(jq -r '[.plan.actions[] | select(.kind=="browser-ca" and .status=="todo") | .target] | sort | join(" ")' "$KH_TMP/out")" \
	= "$(printf '%s\n' "$chromedb" "$ffdb" | sort | tr '\n' ' ' | sed 's/ $//')"
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
kh_check "the agent's CA was created in the user's state directory" test -s "$state/ca.pem"
kh_check "the agent's state directory is private (0700)" test "$(stat -c %a "$state")" = 700
kh_check "the CA is name-constrained to localhost/127.0.0.1/::1" \
	sh -c "openssl x509 -in '$state/ca.pem' -noout -ext nameConstraints | grep -q 'DNS:localhost'"
for db in "$chromedb" "$ffdb"; do
	certutil -L -d "sql:$db" -n "kyso local CA" -a >"$KH_TMP/nsscert.pem" 2>/dev/null || true
	fp_nss=$(openssl x509 -in "$KH_TMP/nsscert.pem" -noout -fingerprint -sha256 2>/dev/null)
	fp_ca=$(openssl x509 -in "$state/ca.pem" -noout -fingerprint -sha256 2>/dev/null)
	kh_check "CA in $(basename "$db"): same certificate as the agent's" \
		test -n "$fp_ca" -a "$fp_nss" = "$fp_ca"
	kh_check "CA in $(basename "$db"): trusted for TLS servers (C,,)" \
		sh -c "certutil -L -d 'sql:$db' | grep -Eq '^kyso local CA +C,,'"
done
kh_check "system NSS database left without the CA (browsers do not read it)" \
	sh -c "! certutil -L -d 'sql:$ROOT/etc/pki/nssdb' | grep -q 'kyso local CA'"
j=$ROOT/var/lib/kyso/setup/journal.json
kh_check "journal: 3 policy files, 2 NSS CA entries" \
	test "$(jq '[.entries[] | select((.op=="file" and (.path|endswith("kyso-local-network.json"))) or .op=="nss-cert")] | length' "$j")" = 5
kh_check "report lists the browser actions done" \
	test "$(jq '[.actions[] | select((.kind=="browser-policy" or .kind=="browser-ca") and .status=="done")] | length' "$ROOT/var/lib/kyso/setup/install-report.json")" = 5

# ---- second run, repair ------------------------------------------------------------
st_manifest >"$KH_TMP/m2"
st_setup --no-selftest --origin "$O1"
kh_check "second run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "second run: policies and CA already in place" \
	test "$(grep -c 'already in place.*\(pre-approve\|trust kyso-agent\)' "$KH_TMP/out")" = 5; kh_on_fail st_show
st_manifest >"$KH_TMP/m3"
kh_check "second run changed nothing" diff -u "$KH_TMP/m2" "$KH_TMP/m3"
rm "${policies[1]}/kyso-local-network.json"
certutil -D -d "sql:$ffdb" -n "kyso local CA"
st_setup --no-selftest --repair
kh_check "repair exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "repair wrote the Chromium policy again (origins from config.json)" \
	test "$(jq -c .LoopbackNetworkAllowedForUrls "${policies[1]}/kyso-local-network.json")" = "$want"
kh_check "repair trusted the CA in Firefox again" \
	sh -c "certutil -L -d 'sql:$ffdb' | grep -Eq '^kyso local CA +C,,'"

# ---- uninstall ----------------------------------------------------------------------
st_setup --uninstall
kh_check "uninstall exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
for d in "${policies[@]}"; do
	kh_check "uninstall removed $d/kyso-local-network.json" test ! -e "$d/kyso-local-network.json"
done
kh_check "uninstall removed the directories it created (/etc/opt, /etc/chromium)" \
	test ! -e "$ROOT/etc/opt" -a ! -e "$ROOT/etc/chromium"
for db in "$chromedb" "$ffdb"; do
	kh_check "uninstall removed the CA from $(basename "$db")" \
		sh -c "! certutil -L -d 'sql:$db' | grep -q 'kyso local CA'"
done
kh_check "uninstall removed the CA files it created" test ! -e "$state"
st_manifest >"$KH_TMP/m4"
kh_check "uninstall restores the staging root and HOME exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m4"

# ---- --user: policies are machine-wide -------------------------------------------------
st_setup --no-selftest --user --origin "$O1" --dry-run --json
kh_check "--user: policy files skipped with a reason" \
	test "$(jq '[.plan.actions[] | select(.kind=="browser-policy" and .status=="skipped" and (.detail|test("--user")))] | length' "$KH_TMP/out")" = 3
kh_done
