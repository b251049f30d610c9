#!/usr/bin/env bash
# Chromium E2E (issue 12): the demo page is served from 127.0.0.1:PORT and counts as a public
# web site (--ip-address-space-overrides), so Chromium's Local Network Access check applies to
# its connections to kyso-agent. The policy is the file `kyso setup --origin` writes (staging
# root), shown to Chromium at its compiled-in path /etc/chromium/policies/managed through a bind
# mount in a private mount namespace (the host's /etc/chromium is never touched). Each case is a
# separate browser with a private profile; the agent's CA is trusted through the profile's
# HOME/.pki/nssdb (or not).
#   signs               policy + CA: the page signs, no prompt, permission granted
#   blocked             no policy: "blocked-by-browser"
#   not-trusted         policy, CA absent from the NSS db: "agent-not-trusted"
#   origin-not-allowed  policy + CA, agent started without the page's origin
#   not-running         policy + CA, agent stopped: "agent-not-running"
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
if [[ ! -x /usr/bin/chromium || ! -d $KYSO_SRC/tests/agent/node_modules/playwright-core ||
	! -d $KYSO_SRC/web/node_modules/pdfjs-dist ]]; then
	echo "FAIL - chromium, playwright-core (npm ci in tests/agent) or pdfjs-dist (npm ci in web) missing" >&2
	exit 1
fi
if [[ $(id -u) != 0 ]] || ! unshare -m --propagation private true 2>/dev/null; then
	echo "FAIL - needs root and mount namespaces (private bind mount of /etc/chromium)" >&2
	exit 1
fi
export AG_WEBROOT=$KYSO_SRC/web
ag_setup
fport=${AG_FILES##*:}
export KYSO_PUBLIC=127.0.0.1:$fport
page="$AG_FILES/web/demo/index.html"

# ---- the policy, written by kyso setup on a staging root -----------------------------------
pol=$KH_TMP/setup-policy
(
	. "$KYSO_SRC/tests/setup/common.sh"
	st_env
	st_fixture
	st_card
	st_setup --no-selftest --no-agent --origin "$AG_ORIGIN"
	if [[ $ST_RC != 0 ]]; then st_show >&2; exit 1; fi
	cp -a "$ROOT/etc/chromium" "$pol"
) >"$KH_TMP/setup.log" 2>&1
kh_check "kyso setup --origin wrote the Chromium policy" test -f "$pol/policies/managed/kyso-local-network.json"
kh_on_fail cat "$KH_TMP/setup.log"
kh_check "the policy names exactly the page's origin" \
	test "$(jq -c .LoopbackNetworkAllowedForUrls "$pol/policies/managed/kyso-local-network.json")" = "[\"$AG_ORIGIN\"]"
# Chromium's own configuration next to the policy (as on the host), without any other policy
nopol=$KH_TMP/no-policy
mkdir -p "$nopol"
cp -a /etc/chromium/. "$nopol/" 2>/dev/null
rm -rf "$nopol/policies"
cp -a /etc/chromium/. "$pol/" 2>/dev/null
find "$pol/policies" -type f ! -name kyso-local-network.json -delete

# profile homes: one trusting the agent's CA, one not
trusted=$KH_TMP/home-trusted untrusted=$KH_TMP/home-untrusted
mkdir -p "$trusted/.pki/nssdb" "$untrusted/.pki/nssdb"
kyso-agent --state-dir "$KH_TMP/state" --export-ca "$KH_TMP/ca.pem"
certutil -N -d "sql:$trusted/.pki/nssdb" --empty-password
certutil -A -d "sql:$trusted/.pki/nssdb" -n kyso-local-ca -t "C,," -i "$KH_TMP/ca.pem"
certutil -N -d "sql:$untrusted/.pki/nssdb" --empty-password

# run_case CASE HOME POLICYDIR: the demo page in a fresh browser, the current agent's ports
run_case() {
	local which=$1 home=$2 etc=$3 url="$page?kyso=$AG_KYSO&vnpt=$AG_VNPT&vgca=$AG_VGCA"
	# shellcheck disable=SC2016 # "$1"/"$@" are the inner sh's
	HOME=$home KYSO_AG_KYSO=$AG_KYSO KYSO_AG_VNPT=$AG_VNPT unshare -m --propagation private \
		sh -c 'mount --bind "$1" /etc/chromium && shift && exec "$@"' sh "$etc" \
		node "$KYSO_SRC/tests/browser/lna.mjs" "$which" "$url" "$AG_PDF" "$AG_WORK" \
		>"$KH_TMP/case-$which.log" 2>&1
	local rc=$?
	cat "$KH_TMP/case-$which.log"
	return $rc
}

ag_start agent
kh_check "policy + trusted CA: the public page signs without a prompt" run_case signs "$trusted" "$pol"
kh_check "no policy: blocked by the browser's local-network permission" run_case blocked "$trusted" "$nopol"
kh_check "policy, CA not in the profile's NSS db: agent not trusted" run_case not-trusted "$untrusted" "$pol"
kh_stop "$AG_PID"

# an agent that allows another web system only (the policy still allows the page)
AG_ORIGIN=https://other.example.gov.vn ag_start other
kh_check "policy + CA, page origin not allowed by the agent: origin not allowed" \
	run_case origin-not-allowed "$trusted" "$pol"
kh_check "the agent logged the refused origin" grep -q "origin \"\?$AG_ORIGIN" "$KH_TMP/other.log"
kh_stop "$AG_PID"
kh_check "policy + CA, agent stopped: agent not running" run_case not-running "$trusted" "$pol"
kh_done
