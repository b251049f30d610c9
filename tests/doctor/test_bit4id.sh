#!/usr/bin/env bash
# The government "USB Token Bit4ID" (issue 11) through kyso's own PKCS#11 module and the
# virtual card in the private pcscd: the doctor explains in Vietnamese
#   - a card with the token's ATR whose applet is missing (SELECT of the AID answers 6A82:
#     kyso-vicc's plain ISO card with the Bit4id ATR and another applet), and
#   - a locked PIN (the bit4id emulation with no tries left),
# and a working token passes (control).
. "$KYSO_SRC/tests/doctor/common.sh"
. "$KYSO_HARNESS/pki/pki.sh"
dr_env
kh_pki
unset LANGUAGE
r=$KH_TMP/r.json
B4_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3
B4_AID=E828BD080FD25047656E65726963
MOD=$KYSO_BUILD/lib/kyso-pkcs11.so

# the catalog's Bit4id entry, its kyso-pkcs11 found at the build's path
python3 - "$KYSO_SRC/data/tokens.json" "$KYSO_SYSCONFDIR/tokens.d/test.json" "$MOD" <<'PY'
import json, sys
src, dst, mod = sys.argv[1:4]
cat = json.load(open(src, encoding="utf-8"))
e = next(t for t in cat["tokens"] if t["id"] == "bit4id-tokenme-evo-v2")
assert e["driver"]["linux"]["builtin"] == "kyso-pkcs11"
e["driver"]["linux"]["paths"] = [mod]
json.dump({"schema": 1, "tokens": [e]}, open(dst, "w", encoding="utf-8"), ensure_ascii=False)
PY
kh_pcscd_start

# b4 [kyso-vicc options]: a fresh card with the Bit4id ATR in reader 0
b4() {
	kh_vicc_insert "$B4_ATR" 0 "$@"
	: >"$KH_PCSCD_DIR/vicc0.apdu"
}
b4_applet() {
	b4 --applet bit4id --applet-opt "key=$KH_PKI_SIGNER_RSA_KEY" \
		--applet-opt "cert=$KH_PKI_SIGNER_RSA_CERT" --applet-opt "ca=$KH_PKI_SUBCA_CERT" \
		--applet-opt "ca=$KH_PKI_ROOT_CERT" "$@"
}

# ---- applet missing: same ATR, the card answers 6A82 to the applet's AID -------------------
# (kyso-vicc's plain ISO card knowing only another applet: SELECT of any other AID is 6A82)
b4 --aid A000000077010800070000FE00000100
dr_run "$r" --offline --no-usb
dr_expect "$r" catalog-match pass "" "bit4id-tokenme-evo-v2"
dr_expect "$r" driver-module pass "" "kyso-pkcs11"
dr_expect "$r" token-state fail "Ban Cơ yếu" "applet.*6A82|6A82.*applet"
kh_check "Vietnamese explanation: the applet is not on the card" dr_match "$r" token-state detail "không có applet ký số"
kh_check "remedy: plug in the token the supplier gave" dr_match "$r" token-state remedy "nhà cung cấp"
kh_check "data.applet names the AID and 'missing'" test "$(jq -r '.checks[] | select(.id=="token-state") | .data.applet | "\(.aid) \(.state)"' "$r")" = "$B4_AID missing"
kh_check "the AID was selected on the card (module, then doctor)" grep -q "^> 00A4040C0E$B4_AID" "$KH_PCSCD_DIR/vicc0.apdu"
kh_check "and the card answered 6A82" grep -q "^< 6A82" "$KH_PCSCD_DIR/vicc0.apdu"
dr_expect "$r" cert-present skip
# English with --lang en
kyso --lang en doctor --json --offline --no-usb "${DR_AGENT_ARGS[@]}" >"$r" 2>/dev/null || true
kh_check "English: applet is missing" dr_match "$r" token-state detail "signing applet is not on it"

# ---- the applet is there: a working token (control) ---------------------------------------
b4_applet
dr_run "$r" --offline --no-usb
dr_expect "$r" token-state pass "" "sẵn sàng"
dr_expect "$r" cert-present pass

# ---- PIN locked (no tries left): explained, with the government CA to contact -------------
b4_applet --applet-opt tries=0
dr_run "$r" --offline --no-usb
dr_expect "$r" token-state fail "Ban Cơ yếu" "khóa PIN"
kh_check "remedy: do not try more PINs" dr_match "$r" token-state remedy "đừng thử thêm"
kh_check "flags name pin-locked" test "$(jq -r '.checks[] | select(.id=="token-state") | .data.flags | index("pin-locked") != null' "$r")" = true
kh_check "no VERIFY with a PIN was sent by the doctor" sh -c "! grep -q '^> 0020000108' '$KH_PCSCD_DIR/vicc0.apdu'"
kh_done
