#!/usr/bin/env bash
# agent.peer (issue 18, "Other users"): a second OS user made for the test calls
# the agent on every port with a forged allowed Origin, outside a browser; each
# connection is closed before anything is read or answered (nothing about the
# holder's certificate leaks), the agent logs it, and its own user still gets
# its answers. A script of the own user that signs is named in the consent
# dialog. Needs root (useradd); otherwise it is reported as not run (skipped).
if [[ $(id -u) -ne 0 ]]; then
	echo "not run: agent.peer needs root to create a second OS user (useradd)"
	exit 77
fi
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
export PYTHONDONTWRITEBYTECODE=1
ag_setup
other=kysopeer$$
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$other"
kh_on_exit "userdel $other"
kh_check "second OS user $other exists" id -u "$other"
ag_start peer
as_other() {
	setpriv --reuid="$other" --regid="$other" --clear-groups \
		env HOME=/nonexistent AG_KYSO="$AG_KYSO" AG_VNPT="$AG_VNPT" AG_VGCA="$AG_VGCA" \
		AG_ORIGIN="$AG_ORIGIN" PYTHONDONTWRITEBYTECODE=1 \
		python3 "$KYSO_SRC/tests/agent/peer_checks.py" "$@"
}
pc() { python3 "$KYSO_SRC/tests/agent/peer_checks.py" "$@"; }
kh_check "the check really runs as $other" \
	test "$(setpriv --reuid="$other" --regid="$other" --clear-groups id -u)" = "$(id -u "$other")"
kh_check "the agent's own user: idle connections stay open, VNPT and kyso answer" pc own_allowed
kh_check "another user's connections (forged Origin) are closed before any data" as_other other_refused
kh_check "the refusal is logged" grep -q "connection from another OS user's program refused" "$KH_TMP/peer.log"
kh_on_fail tail -n 20 "$KH_TMP/peer.log"
kh_check "the own user still gets its answers after the refusals" pc own_allowed
kh_check "a script that signs is named in the consent dialog" pc program_named
kh_check "the agent is still running" kill -0 "$AG_PID"
kh_done
