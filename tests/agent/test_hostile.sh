#!/usr/bin/env bash
# kyso-agent against hostile input: bad JSON, wrong types, huge frames, 50 MB + 1 byte,
# slowloris, DNS-rebinding Host, missing/foreign Origin, 20 concurrent signatures (all
# answered, in order), busy answers beyond the queue, token removed mid-signature.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
ag_setup
ag_start agent --timeout 3

# concurrent: 20 simultaneous signatures, then 20 pipelined on one socket. Each
# starts pinentry from the agent's worker thread while the network thread is
# busy (posix_spawn, agent_spawn.c: a fork()ed child could deadlock under ASan).
checks="origin_refused rebinding bad_json huge slowloris concurrent"
for c in $checks; do
	kh_check "$c" ag_check "$c"
done
kh_check "agent survived" kill -0 "$AG_PID"
kh_stop "$AG_PID"
kh_check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$KH_TMP/agent.log'"

ag_start busy --queue 3
kh_check "busy beyond the queue bound" ag_check busy
kh_stop "$AG_PID"

# token removed in the middle of the signature (fault-injecting PKCS#11 module)
KYSO_FAULT=remove-during-sign KYSO_FAULT_TARGET=$KH_P11_MODULE \
	ag_start removed --module "$KYSO_BUILD/lib/kyso-faultp11.so"
kh_check "token removed mid-request: error answer, agent alive" ag_check vnpt_removed
kh_check "the failed signature is in the log" grep -q "CKR 0x32" "$KH_TMP/removed.log"
kh_stop "$AG_PID"
kh_done
