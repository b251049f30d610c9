#!/usr/bin/env bash
# agent.language (issue 23): VNPT setLanguage (function 23) applies to the
# connection that sent it: its answers (at once, and from the token worker)
# switch to English while another connection keeps the agent's Vietnamese;
# vi_vn switches back, an unknown language (la_lao) changes nothing, a new
# connection starts in the agent's language.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
export PYTHONDONTWRITEBYTECODE=1
ag_setup
ag_start lang
kh_check "setLanguage per connection" python3 "$KYSO_SRC/tests/agent/peer_checks.py" language
kh_on_fail tail -n 20 "$KH_TMP/lang.log"
kh_done
