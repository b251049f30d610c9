#!/usr/bin/env bash
# A fresh user account has no ~/.local/state yet: kyso-agent creates its
# state folders (0700, as XDG programs do) instead of exiting 3.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
export HOME=$KH_TMP/fresh
unset XDG_STATE_HOME XDG_CONFIG_HOME
mkdir -p "$HOME"
kh_check "no ~/.local before" test ! -e "$HOME/.local"
set +e
kyso-agent --export-ca "$KH_TMP/ca.pem" >"$KH_TMP/out" 2>"$KH_TMP/err"
rc=$?
set -e
kh_check "kyso-agent --export-ca on a fresh account exits 0" test "$rc" -eq 0
kh_on_fail cat "$KH_TMP/err"
kh_check "the CA was written" openssl x509 -in "$KH_TMP/ca.pem" -noout
kh_check "~/.local/state/kyso/agent exists" test -d "$HOME/.local/state/kyso/agent"
kh_check "~/.local/state/kyso is 0700" test "$(stat -c %a "$HOME/.local/state/kyso")" = 700
kh_check "~/.local/state/kyso/agent is 0700" test "$(stat -c %a "$HOME/.local/state/kyso/agent")" = 700

# the running agent holds PINs: no core file, not dumpable (its /proc files
# belong to root even when the agent runs as an ordinary user)
home2=$(mktemp -d /tmp/kyso-nobody.XXXXXX) # KH_TMP is root's 0700
kh_on_exit "rm -rf $home2"
chown nobody "$home2"
p1=$(kh_free_port)
p2=$(kh_free_port)
p3=$(kh_free_port)
kh_bg "$KH_TMP/agent.log" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env HOME="$home2" kyso-agent --kyso-port "$p1" --vnpt-ports "$p2" --vgca-port "$p3"
kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent.log" || cat "$KH_TMP/agent.log" >&2
pid=$(pgrep -P "$KH_LAST_PID" -x kyso-agent || echo "$KH_LAST_PID")
kh_check "the agent runs as nobody" test "$(ps -o uid= -p "$pid" | tr -d ' ')" = 65534
kh_check "core file size limit 0" grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
kh_check "not dumpable: /proc/PID/environ belongs to root, the agent to nobody" \
	test "$(stat -c %u "/proc/$pid/environ")" = 0 -a "$(ps -o uid= -p "$pid" | tr -d ' ')" = 65534
kh_stop "$KH_LAST_PID"
kh_done
