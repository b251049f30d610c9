#!/bin/bash
# kyso detect --watch: reports a token plugged in and pulled out, stops on
# SIGINT/SIGTERM with exit 0.
. "$KYSO_SRC/tests/detect/common.sh"

kh_pcscd_start
# JSON lines
kh_bg "$KH_TMP/watch.jsonl" kyso detect --watch --json --no-usb
wpid=$KH_LAST_PID
sleep 1
kh_check "watch is running" kill -0 "$wpid"
kh_check "no event before a token is plugged in" test ! -s "$KH_TMP/watch.jsonl"
kh_vicc_insert "$EPASS_ATR" 0
kh_check "insert event with the token" kh_wait_for 10 \
	jqe -s 'map(select(.event == "inserted" and .token.id == "feitian-epass2003")) | length == 1' "$KH_TMP/watch.jsonl"
kh_vicc_remove 0
kh_check "removal event" kh_wait_for 10 \
	jqe -s 'map(select(.event == "removed" and .token.id == "feitian-epass2003")) | length == 1' "$KH_TMP/watch.jsonl"
kh_vicc_reinsert 0
kh_check "second insert event" kh_wait_for 10 \
	jqe -s 'map(select(.event == "inserted")) | length == 2' "$KH_TMP/watch.jsonl"
cat "$KH_TMP/watch.jsonl"
kill -INT "$wpid"
set +e
wait "$wpid"
rc=$?
set -e
kh_check "SIGINT stops the watch with exit 0" test "$rc" = 0
kh_check "every line is one JSON object with time and event" \
	jqe -s 'length == 3 and all(.[]; has("time") and has("event"))' "$KH_TMP/watch.jsonl"

# text, a card already present at start
kh_bg "$KH_TMP/watch.txt" kyso --lang en detect --watch --no-usb
wpid=$KH_LAST_PID
kh_check "text: token present at start reported" kh_wait_for 10 grep -q "Plugged in:" "$KH_TMP/watch.txt"
kh_vicc_remove 0
kh_check "text: pulled out" kh_wait_for 10 grep -q "Pulled out:" "$KH_TMP/watch.txt"
kill -TERM "$wpid"
set +e
wait "$wpid"
rc=$?
set -e
cat "$KH_TMP/watch.txt"
kh_check "SIGTERM stops the watch with exit 0" test "$rc" = 0

# --wait: no token yet; one is plugged in 1 s later
kh_vicc_stop 0
kh_bg "$KH_TMP/wait.json" kyso detect --json --no-usb --wait 20
wpid=$KH_LAST_PID
sleep 1
kh_check "--wait is still waiting without a token" kill -0 "$wpid"
kh_vicc_insert "$BIT4ID_ATR" 0
set +e
wait "$wpid"
rc=$?
set -e
kh_check "--wait returns the token plugged in meanwhile (exit 0)" \
	bash -c "test $rc = 0 && jq -e '.tokens[0].id == \"bit4id-tokenme-evo-v2\"' '$KH_TMP/wait.json' >/dev/null"
kh_vicc_stop 0
set +e
kyso detect --json --no-usb --wait 1 >"$KH_TMP/wait2.json"
rc=$?
set -e
kh_check "--wait 1 without a token: exit 3 after about 1 s" \
	bash -c "test $rc = 3 && jq -e '.status == \"no-token\" and .elapsed_ms >= 1000' '$KH_TMP/wait2.json' >/dev/null"
kh_done
