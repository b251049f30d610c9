#!/bin/bash
# kyso detect over PC/SC: a private pcscd with kyso-vicc virtual cards.
# No pcscd, no reader, every catalog ATR, two tokens, unknown ATR, a card
# held exclusively by another program, a card pulled out between listing
# and reading, Vietnamese text output.
. "$KYSO_SRC/tests/detect/common.sh"

# --- no pcscd running: exit 3 and how to start it -------------------------
export PCSCLITE_CSOCK_NAME=$KH_TMP/no-pcscd/pcscd.comm
set +e
kyso --lang en detect --no-usb >"$KH_TMP/nosvc.out" 2>"$KH_TMP/nosvc.err"
rc=$?
set -e
cat "$KH_TMP/nosvc.err"
kh_check "no pcscd: exit 3" test "$rc" = 3
kh_check "no pcscd: says how to start it" grep -q "systemctl start pcscd" "$KH_TMP/nosvc.err"
detect_json "$KH_TMP/nosvc.json" --no-usb
kh_check "no pcscd --json: exit 3" test "$DETECT_RC" = 3
kh_check "no pcscd --json: status no-pcsc-service" jq_is "$KH_TMP/nosvc.json" .status no-pcsc-service
kh_check "no pcscd --json: error id" jq_is "$KH_TMP/nosvc.json" .error.id no-pcsc-service
kh_check "no pcscd: Vietnamese by default" \
	bash -c "env -u LANGUAGE kyso detect --no-usb 2>&1 | grep -q 'pcscd' && env -u LANGUAGE kyso detect --no-usb 2>&1 | grep -q 'Dịch vụ'"

# --- pcscd without any reader ----------------------------------------------
kh_pcscd_start --no-reader
detect_json "$KH_TMP/noreader.json" --no-usb
kh_check "no reader: exit 3" test "$DETECT_RC" = 3
kh_check "no reader: pcsc.status no-readers" jq_is "$KH_TMP/noreader.json" .pcsc.status no-readers
kh_check "no reader: status no-token" jq_is "$KH_TMP/noreader.json" .status no-token
kh_pcscd_stop

# --- pcscd with two empty readers --------------------------------------------
kh_pcscd_start
detect_json "$KH_TMP/empty.json" --no-usb
kh_check "empty readers: exit 3" test "$DETECT_RC" = 3
kh_check "empty readers: both listed, empty, no token" \
	jqe '[.pcsc.readers[].state] == ["empty", "empty"] and .tokens == [] and .status == "no-token"' \
	"$KH_TMP/empty.json"

# --- every ATR of the catalog is detected as its entry ---------------------
# (a masked pattern is presented as written: its masked bytes are 00)
jq -r '.tokens[] | .id as $id | (.atr // [])[] | "\($id) \(.atr)"' "$CATALOG" >"$KH_TMP/atrs.txt"
kh_check "the catalog has ATRs to test" test "$(wc -l <"$KH_TMP/atrs.txt")" -ge 10
echo "feitian-epass2003 $EPASS_ATR" >>"$KH_TMP/atrs.txt"
while read -r id atr; do
	kh_vicc_insert "$atr" 0
	detect_json "$KH_TMP/atr.json" --no-usb
	# a tie (two entries fit the ATR) lists the other one as an alternative
	kh_check "ATR $atr -> $id" jqe --arg id "$id" --arg atr "$atr" \
		'.exit == 0 and (.tokens | length) == 1 and .tokens[0].atr == $atr and
		 (.tokens[0].id == $id or (.tokens[0].alternatives | index($id)) != null) and
		 .tokens[0].confidence != "none"' "$KH_TMP/atr.json"
done <"$KH_TMP/atrs.txt"
kh_check "ePass2003 by ATR alone: medium confidence, evidence atr" \
	jqe '.tokens[0].confidence == "medium" and .tokens[0].evidence[0].source == "atr"' "$KH_TMP/atr.json"

# --- two tokens ----------------------------------------------------------------
kh_vicc_insert "$EPASS_ATR" 0
kh_vicc_insert "$BIT4ID_ATR" 1
detect_json "$KH_TMP/two.json" --no-usb
kh_check "two tokens: both identified" \
	jqe '.exit == 0 and [.tokens[].id] == ["feitian-epass2003", "bit4id-tokenme-evo-v2"]' "$KH_TMP/two.json"
kh_check "two tokens: each with its reader" \
	jqe --arg r "$KH_VPCD_READER" '[.tokens[].reader] == [$r + " 00 00", $r + " 00 01"]' "$KH_TMP/two.json"
LANGUAGE=vi kyso detect --no-usb >"$KH_TMP/two.txt"
cat "$KH_TMP/two.txt"
kh_check "text: both tokens, ATR spaced for reading aloud" \
	bash -c "grep -q 'Feitian ePass2003' '$KH_TMP/two.txt' && grep -q 'USB Token Bit4ID' '$KH_TMP/two.txt' &&
		grep -q '3B 9F 95 81 31 FE' '$KH_TMP/two.txt'"
kh_check "text: Vietnamese by default" grep -q "Độ tin cậy" "$KH_TMP/two.txt"
kh_check "text --lang en: English" bash -c "kyso --lang en detect --no-usb | grep -q 'Confidence:'"

# detection never talks to the token: no APDU reached either virtual card
# (every detect run above included)
kh_check "no APDU was sent to the tokens by kyso detect" \
	bash -c "test -f '$KH_PCSCD_DIR/vicc0.apdu' && ! grep -q '^>' '$KH_PCSCD_DIR/vicc0.apdu' '$KH_PCSCD_DIR/vicc1.apdu'"

# --- a card held exclusively by another program ------------------------------
kh_bg "$KH_TMP/hold.log" "$KYSO_DETECT_HOLD_CARD" 1
hold_pid=$KH_LAST_PID
kh_wait_for 10 grep -q held "$KH_TMP/hold.log"
detect_json "$KH_TMP/held.json" --no-usb
kh_check "held card: still identified (no connect needed)" \
	jqe '.tokens[1].id == "bit4id-tokenme-evo-v2"' "$KH_TMP/held.json"
kh_check "held card: reader marked exclusive, one warning naming it" \
	jqe '.pcsc.readers[1].name as $n | .pcsc.readers[1].exclusive == true and
	     .pcsc.readers[0].exclusive == false and (.warnings | length) == 1 and
	     (.warnings[0] | contains($n))' "$KH_TMP/held.json"
kh_stop "$hold_pid"

# --- unknown ATR ---------------------------------------------------------------
kh_vicc_stop 1
printf '# test list\n3B 82 80 01 .. A[AB]\n\tTest card family\n\n' >"$KH_TMP/smartcard_list.txt"
export KYSO_SMARTCARD_LIST=$KH_TMP/smartcard_list.txt
kh_vicc_insert "$UNKNOWN_ATR" 0
detect_json "$KH_TMP/unknown.json" --no-usb
kh_check "unknown ATR: exit 1" test "$DETECT_RC" = 1
kh_check "unknown ATR: raw ATR, smartcard_list description, catalog hint" \
	jqe --arg atr "$UNKNOWN_ATR" '.status == "unknown-token" and .tokens[0].known == false and
	  .tokens[0].atr == $atr and .tokens[0].smartcard_list == "Test card family" and
	  (.tokens[0].catalog_hint | contains($atr))' "$KH_TMP/unknown.json"
kyso --lang en detect --no-usb >"$KH_TMP/unknown.txt" || true
cat "$KH_TMP/unknown.txt"
kh_check "unknown ATR text: tells the helpdesk how to add it" \
	bash -c "grep -q 'NOT IN THE CATALOG' '$KH_TMP/unknown.txt' && grep -q 'tokens.json' '$KH_TMP/unknown.txt' &&
		grep -q '\"atr\":\"$UNKNOWN_ATR\"' '$KH_TMP/unknown.txt'"
unset KYSO_SMARTCARD_LIST
# the helpdesk flow: the printed entry, named, in the user's override file
mkdir -p "$XDG_CONFIG_HOME/kyso"
jq '{schema: 1, tokens: [.tokens[0].catalog_hint | fromjson | .id = "acme-key" | .name = "Acme Key"]}' \
	"$KH_TMP/unknown.json" >"$XDG_CONFIG_HOME/kyso/tokens.json"
detect_json "$KH_TMP/added.json" --no-usb
kh_check "after adding the hint to the user catalog: known, exit 0" \
	jqe '.exit == 0 and .tokens[0].id == "acme-key" and .tokens[0].confidence == "medium"' "$KH_TMP/added.json"
rm "$XDG_CONFIG_HOME/kyso/tokens.json"

# --- card pulled out between listing the readers and reading their state ----
kh_vicc_insert "$EPASS_ATR" 0
vicc0=${KH_VICC_PIDS[0]}
"$KYSO_DETECT_REMOVAL_PROBE" "$CATALOG" true >"$KH_TMP/norm.json"
kh_check "probe without removal sees the token" jqe '.tokens[0].id == "feitian-epass2003"' "$KH_TMP/norm.json"
"$KYSO_DETECT_REMOVAL_PROBE" "$CATALOG" "kill -USR1 $vicc0 && kh-pcsc-probe wait 0 empty 10 >/dev/null" \
	>"$KH_TMP/removed.json"
kh_check "pulled out after listing: reader empty, no token, no crash" \
	jqe '.status == "no-token" and .pcsc.readers[0].state == "empty" and (.tokens | length) == 0' \
	"$KH_TMP/removed.json"
kh_done
