#!/usr/bin/env bash
# agent.pagetsa (issue 18): a time-stamp server named by the page is shown in
# the consent dialog (setup did not configure it), and whatever it is — a closed
# port, an open port that is no TSA, a name that does not resolve — the page
# gets one and the same answer: no errno, host or port state reaches it (no
# port scan through the agent). The TSA set up in config.json gets no note.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
export PYTHONDONTWRITEBYTECODE=1
ag_setup
AG_SETUP_TSA=http://127.0.0.1:$(kh_free_port)/setup-tsa
export AG_SETUP_TSA
printf '{"agent_tsa_url": "%s"}\n' "$AG_SETUP_TSA" >"$KH_TMP/config.json"
KYSO_CONFIG=$KH_TMP/config.json ag_start tsa
pc() { python3 "$KYSO_SRC/tests/agent/peer_checks.py" "$@"; }
kh_check "closed, open non-TSA and unknown page TSAs: same answer, shown in the dialog" pc tsa_same_answer
kh_on_fail tail -n 20 "$KH_TMP/tsa.log"
kh_check "the details stay in the agent's log" grep -q "signing for .* failed" "$KH_TMP/tsa.log"
kh_check "the configured TSA: no note, same answer" pc tsa_configured
kh_done
