#!/bin/bash
# kyso detect over USB (umockdev devices seen by libusb): every catalog USB ID,
# ATR + USB of one token joined into one high-confidence token, USB-only
# detection while pcscd is down, an unknown CCID device.
. "$KYSO_SRC/tests/detect/common.sh"

# --- every USB ID of the catalog, PC/SC skipped ------------------------------
jq -r '.tokens[] | .id as $id | (.usb // [])[] | "\($id) \(.vid) \(.pid)"' "$CATALOG" >"$KH_TMP/usb.txt"
kh_check "the catalog has USB IDs to test" test "$(wc -l <"$KH_TMP/usb.txt")" -ge 10
while read -r id vid pid; do
	kh-usb-device "$vid" "$pid" "Maker" "Product $pid" >"$KH_TMP/dev.umockdev"
	set +e
	umockdev-run -d "$KH_TMP/dev.umockdev" -- kyso detect --json --no-pcsc >"$KH_TMP/usb.json" 2>"$KH_TMP/usb.err"
	rc=$?
	set -e
	kh_check "USB $vid:$pid -> $id (medium)" jqe --arg id "$id" --arg vid "$vid" --arg pid "$pid" \
		'(.tokens | length) == 1 and .tokens[0].id == $id and .tokens[0].confidence == "medium" and
		 .tokens[0].usb.vid == $vid and .tokens[0].usb.pid == $pid and
		 .tokens[0].evidence[0].source == "usb"' "$KH_TMP/usb.json"
done <"$KH_TMP/usb.txt"
kh_check "USB strings read without claiming (from sysfs)" \
	jqe '.tokens[0].usb.manufacturer == "Maker" and (.tokens[0].usb.product | startswith("Product "))' \
	"$KH_TMP/usb.json"
kh_check "without umockdev the fake device is not seen" \
	bash -c "! kyso detect --json --no-pcsc 2>/dev/null | jq -e '.tokens | length > 0' >/dev/null"

# --- USB token while pcscd is not running: listed, but exit 3 -----------------
export PCSCLITE_CSOCK_NAME=$KH_TMP/no-pcscd/pcscd.comm
kh-usb-device 25DD 2371 Bit4id "TokenME EVO" >"$KH_TMP/bit4id.umockdev"
set +e
umockdev-run -d "$KH_TMP/bit4id.umockdev" -- kyso detect --json >"$KH_TMP/nosvc.json" 2>/dev/null
rc=$?
set -e
kh_check "no pcscd + USB token: exit 3, token still listed" \
	bash -c "test $rc = 3 && jq -e '.status == \"no-pcsc-service\" and .tokens[0].id == \"bit4id-tokenme-evo-v2\"' '$KH_TMP/nosvc.json' >/dev/null"
unset PCSCLITE_CSOCK_NAME

# --- ATR + USB of the same token: one token, high confidence -----------------
kh_pcscd_start
kh_vicc_insert "$BIT4ID_ATR" 0
umockdev-run -d "$KH_TMP/bit4id.umockdev" -- kyso detect --json >"$KH_TMP/both.json"
kh_check "Bit4id ATR + 25DD:2371: one token, high" \
	jqe '(.tokens | length) == 1 and .tokens[0].id == "bit4id-tokenme-evo-v2" and
	     .tokens[0].confidence == "high" and .tokens[0].usb.vid == "25DD" and
	     ([.tokens[0].evidence[].source] | sort) == ["atr", "usb"]' "$KH_TMP/both.json"
umockdev-run -d "$KH_TMP/bit4id.umockdev" -- kyso --lang en detect >"$KH_TMP/both.txt"
cat "$KH_TMP/both.txt"
kh_check "text: high confidence and the USB ID" \
	bash -c "grep -q 'Confidence: *high' '$KH_TMP/both.txt' && grep -q '25DD:2371' '$KH_TMP/both.txt'"

kh_vicc_insert "$EPASS_ATR" 0
kh-usb-device 096e 0807 "Feitian Technologies, Inc." ePass2003 >"$KH_TMP/epass.umockdev"
umockdev-run -d "$KH_TMP/epass.umockdev" -- kyso detect --json >"$KH_TMP/ep.json"
kh_check "ePass2003 ATR + 096E:0807: one token, high" \
	jqe '(.tokens | length) == 1 and .tokens[0].id == "feitian-epass2003" and .tokens[0].confidence == "high"' \
	"$KH_TMP/ep.json"

# two tokens, each with its USB device: two tokens, not four
kh_vicc_insert "$BIT4ID_ATR" 1
kh-usb-device --port 2 25DD 2371 Bit4id "TokenME EVO" >"$KH_TMP/bit4id2.umockdev"
umockdev-run -d "$KH_TMP/epass.umockdev" -d "$KH_TMP/bit4id2.umockdev" -- kyso detect --json >"$KH_TMP/two.json"
kh_check "two tokens + two USB devices: two high-confidence tokens" \
	jqe '[.tokens[] | "\(.id)/\(.confidence)/\(.usb.pid)"] ==
	     ["feitian-epass2003/high/0807", "bit4id-tokenme-evo-v2/high/2371"]' "$KH_TMP/two.json"

# an unknown card in a reader and an unknown CCID device: one unknown token
kh_vicc_stop 1
kh_vicc_insert "$UNKNOWN_ATR" 0
kh-usb-device 1234 abcd Acme "Acme Key" >"$KH_TMP/acme.umockdev"
set +e
umockdev-run -d "$KH_TMP/acme.umockdev" -- kyso detect --json >"$KH_TMP/unk.json"
rc=$?
set -e
kh_check "unknown ATR + unknown CCID device: one unknown token with both IDs, exit 1" \
	bash -c "test $rc = 1 && jq -e --arg atr '$UNKNOWN_ATR' '(.tokens | length) == 1 and .tokens[0].known == false and
		.tokens[0].atr == \$atr and .tokens[0].usb.vid == \"1234\" and
		(.tokens[0].catalog_hint | contains(\"ABCD\"))' '$KH_TMP/unk.json' >/dev/null"
kh_done
