#!/usr/bin/env bash
# kyso doctor's "browsers" check on a staging root (KYSO_ROOT) and a private HOME: a Chromium
# "installed" under the root, a Chromium NSS db and a Firefox profile, the agent's CA, the web
# origin in the user's config.json. Each state is checked for its status, detail and remedy.
set -u
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
export HOME=$KH_TMP/home KYSO_ROOT=$KH_TMP/root LANGUAGE=en
unset XDG_CONFIG_HOME XDG_STATE_HOME KYSO_CONFIG KYSO_SYSCONFDIR
O=https://vanban.example.gov.vn
ff=$HOME/.mozilla/firefox/k1y2s3o4.default-release
mkdir -p "$HOME/.pki/nssdb" "$ff" "$HOME/.config/kyso" "$KYSO_ROOT/usr/bin" "$HOME/.local/state/kyso"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
certutil -N -d "sql:$ff" --empty-password
printf '{"origins": ["%s"]}\n' "$O" >"$HOME/.config/kyso/config.json"
kyso-agent --state-dir "$HOME/.local/state/kyso/agent" --export-ca "$KH_TMP/ca.pem"
printf '#!/bin/sh\n' >"$KYSO_ROOT/usr/bin/chromium" && chmod +x "$KYSO_ROOT/usr/bin/chromium"

# --no-redact: this test reads the profile names; the report's pseudonyms for
# them are doctor.redact's
doctor() {
	kyso doctor --json --offline --no-usb --no-redact >"$KH_TMP/doc.json" 2>"$KH_TMP/doc.err" || true
	jq '.checks[] | select(.id=="browsers")' "$KH_TMP/doc.json" >"$KH_TMP/b.json" || true
}
field() { jq -r "$1" "$KH_TMP/b.json"; }

# 1. nothing set up
doctor
kh_check "the report has a browsers check" test -s "$KH_TMP/b.json"; kh_on_fail cat "$KH_TMP/doc.err"
kh_check "no CA, no policy: fail" test "$(field .status)" = fail
kh_check "... detail names both problems" sh -c "jq -r .detail '$KH_TMP/b.json' | grep -q 'local CA' && jq -r .detail '$KH_TMP/b.json' | grep -q 'Chromium: $O'"
kh_check "... remedy: sudo kyso setup --repair" sh -c "jq -r .remedy '$KH_TMP/b.json' | grep -q 'sudo kyso setup --repair'"
kh_check "... both profiles listed as not trusting the CA" \
	test "$(field '[.data.profiles[] | select(.ca_trusted==false)] | length')" = 2

# 2. CA in Chromium's db only, policy still missing
certutil -A -d "sql:$HOME/.pki/nssdb" -n kyso-local-ca -t "C,," -i "$KH_TMP/ca.pem"
doctor
kh_check "CA in Chromium only: Firefox profile named" \
	test "$(field '[.data.profiles[] | select(.ca_trusted==false) | .profile] | join(",")')" = k1y2s3o4.default-release
certutil -A -d "sql:$ff" -n "some other name" -t "C,," -i "$KH_TMP/ca.pem"
# 3. CA everywhere (any nickname), no policy
doctor
kh_check "CA trusted everywhere, no policy: fail on the policy" test "$(field .status)" = fail
kh_check "... detail names the missing origin for Chromium" sh -c "jq -r .detail '$KH_TMP/b.json' | grep -q 'pre-approves.*Chromium: $O'"
kh_check "... remedy names the site setting too" sh -c "jq -r .remedy '$KH_TMP/b.json' | grep -q 'Local network access'"
# 4. a policy for another origin only
pd=$KYSO_ROOT/etc/chromium/policies/managed
mkdir -p "$pd"
echo '{"LoopbackNetworkAllowedForUrls": ["https://other.example.gov.vn"]}' >"$pd/other.json"
doctor
kh_check "policy for another origin: still fail" test "$(field .status)" = fail
kh_check "... origins_missing lists the web system" test "$(field '.data.policies[0].origins_missing[0]')" = "$O"
# 5. the policy kyso setup writes
printf '{"LoopbackNetworkAllowedForUrls": ["%s"], "LocalNetworkAccessAllowedForUrls": ["%s"]}\n' "$O" "$O" >"$pd/kyso-local-network.json"
doctor
kh_check "CA trusted + policy: pass" test "$(field .status)" = pass; kh_on_fail cat "$KH_TMP/b.json"
# 6. a CA trusted without the SSL flag does not count
certutil -M -d "sql:$ff" -n "some other name" -t ",,"
doctor
kh_check "CA present without TLS trust in Firefox: fail" test "$(field .status)" = fail
# 7. Vietnamese by default
certutil -M -d "sql:$ff" -n "some other name" -t "C,,"
rm "$pd/kyso-local-network.json"
(LANGUAGE='' LANG=C.UTF-8 kyso doctor --json --offline --no-usb 2>/dev/null || true) |
	jq '.checks[] | select(.id=="browsers")' >"$KH_TMP/b.json"
kh_check "Vietnamese remedy by default" sh -c "jq -r .remedy '$KH_TMP/b.json' | grep -q 'Chạy \"sudo kyso setup --repair\"'"
kh_done
