#!/usr/bin/env bash
# kyso-agent's time-limited PIN cache (docs/agent.md "PIN cache") with a scripted
# pinentry: without the user's opt-in the PIN is asked for every signature; with it the
# next signatures within the window ask consent only; the PIN is asked again after the
# window, after a wrong PIN and after the token was removed; it is in no file; with
# --pin-cache 0 nothing is offered; a Cancel that pinentry reports as NOT_CONFIRMED
# (an old pinentry, the close button) is never taken for "remember". The token is SoftHSM behind the fault-injecting
# module, whose rules ($KYSO_FAULT_FILE) the checks rewrite.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
ag_setup
export KYSO_FAULT_TARGET=$KH_P11_MODULE KYSO_FAULT_FILE=$KH_TMP/faults AG_CACHE_SECS=30
: >"$KYSO_FAULT_FILE"
FP=$KYSO_BUILD/lib/kyso-faultp11.so

ag_start cache -v --lang en --module "$FP" --pin-cache "${AG_CACHE_SECS}s"
kh_check "the cache page was locked (mlock)" grep -q "PIN cache: [0-9]* bytes locked in memory" "$KH_TMP/cache.log"
# ASan turns mlock into a no-op; elsewhere the kernel must show the locked page
if ! grep -qa __asan_init "$(command -v kyso-agent)"; then
	kh_check "the kernel counts the locked page" \
		awk '/^VmLck:/ { exit !($2 >= 4) }' "/proc/$AG_PID/status"
fi
for c in cache_no_optin cache_optin cache_expired; do
	kh_check "$c" ag_check "$c"
done
kh_check "expiry wiped the PIN (log)" grep -q "remembered PIN expired and was wiped" "$KH_TMP/cache.log"
kh_check "cache_wrong_pin" ag_check cache_wrong_pin
kh_check "wrong PIN wiped it (log)" grep -q "remembered PIN was wiped (pin-incorrect)" "$KH_TMP/cache.log"
kh_check "cache_removed" ag_check cache_removed
kh_check "removal wiped it (log)" grep -q "token of a remembered PIN is gone" "$KH_TMP/cache.log"
kh_check "cache_cancel_not_remember" ag_check cache_cancel_not_remember
kh_check "the PIN is in no file of the agent and not in its log" \
	bash -c "! grep -rqF -- '$SG_PIN' '$KH_TMP/state' '$KH_TMP/cache.log'"
kh_stop "$AG_PID"
kh_check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$KH_TMP/cache.log'"

ag_start nocache -v --lang en --pin-cache 0
kh_check "cache_off" ag_check cache_off
kh_stop "$AG_PID"

kh_check "--pin-cache above 30 minutes is refused" \
	bash -c "kyso-agent --state-dir '$KH_TMP/state' --pin-cache 31 >/dev/null 2>&1; [[ \$? == 2 ]]"
kh_done
