#!/usr/bin/env bash
# kyso-agent's resource limits attacked for real (issue 18): 1000 idle sockets while a real
# request is answered within 1 s, a slow-loris trickling WebSocket fragments cut at the
# message deadline, an oversized message refused with code 1; the agent (ASan build in the
# test build) survives with no sanitizer report.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
ag_setup
export AG_MSG_SECS=3 AG_MAX_CONNS=64
ag_start agent --message-timeout "$AG_MSG_SECS" --max-connections "$AG_MAX_CONNS"
for c in idle_flood slow_fragments; do
	kh_check "$c" python3 "$KYSO_SRC/tests/agent/resources.py" "$c"
done
kh_check "the deadline is logged" grep -q "did not arrive in full" "$KH_TMP/agent.log"
kh_check "agent survived" kill -0 "$AG_PID"
kh_stop "$AG_PID"
kh_check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$KH_TMP/agent.log'"
# 80 MiB sent within the default deadline (30 s)
ag_start big
kh_check oversized python3 "$KYSO_SRC/tests/agent/resources.py" oversized
kh_check "agent survived the oversized message" kill -0 "$AG_PID"
kh_stop "$AG_PID"
kh_check "no sanitizer report (oversized)" bash -c "! grep -q 'Sanitizer' '$KH_TMP/big.log'"
kh_done
