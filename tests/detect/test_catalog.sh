#!/bin/bash
# kyso detect and its catalog files: --catalog, override files, malformed
# catalogs (file:line:field, exit 5), options.
. "$KYSO_SRC/tests/detect/common.sh"

kh_check "--help exits 0" test "$(rc_of kyso detect --help)" = 0
kh_check "unknown option is a usage error (2)" test "$(rc_of kyso detect --bogus)" = 2
kh_check "--wait needs a number (2)" test "$(rc_of kyso detect --wait soon)" = 2

# The installed catalog is valid and found through the data dir.
detect_json "$KH_TMP/ok.json" --no-pcsc --no-usb
kh_check "catalog loads (no scan: no token, exit 3)" test "$DETECT_RC" = 3
kh_check "JSON names the catalog file" jq_is "$KH_TMP/ok.json" '.catalog.files[0]' "$CATALOG"
kh_check "catalog has its token types" \
	test "$(jq -r .catalog.token_types "$KH_TMP/ok.json")" = "$(jq '.tokens | length' "$CATALOG")"

# Malformed: a wrong field on a known line.
cat >"$KH_TMP/bad.json" <<'J'
{
  "schema": 1,
  "tokens": [
    {"id": "good", "name": "Good", "usb": [{"vid": "1234", "pid": "0001"}]},
    {"id": "bad", "name": "Bad",
     "atr": [{"atr": "3B 01 02", "mask": "FF"}]}
  ]
}
J
set +e
kyso --lang en detect --catalog "$KH_TMP/bad.json" >"$KH_TMP/bad.out" 2>"$KH_TMP/bad.err"
rc=$?
set -e
cat "$KH_TMP/bad.err"
kh_check "malformed catalog: exit 5" test "$rc" = 5
kh_check "message names file, line and field" \
	grep -qF "$KH_TMP/bad.json:6: field tokens[1].atr[0].mask" "$KH_TMP/bad.err"
detect_json "$KH_TMP/bad2.json" --catalog "$KH_TMP/bad.json"
kh_check "--json: exit 5 and one error document" \
	bash -c "test $DETECT_RC = 5 && jq -e '.error.id == \"bad-catalog\" and .error.exit == 5' '$KH_TMP/bad2.json' >/dev/null"

printf '{"schema": 1,\n "tokens": [\n  {"id": "x" "name": "y"}]}\n' >"$KH_TMP/syntax.json"
set +e
kyso --lang en detect --catalog "$KH_TMP/syntax.json" 2>"$KH_TMP/syntax.err" >/dev/null
rc=$?
set -e
cat "$KH_TMP/syntax.err"
kh_check "JSON syntax error: exit 5 with file:line" \
	bash -c "test $rc = 5 && grep -qF '$KH_TMP/syntax.json:3:' '$KH_TMP/syntax.err'"
kh_check "missing --catalog file: exit 5" test "$(rc_of kyso detect --catalog "$KH_TMP/none.json")" = 5

# Overrides: system tokens.d/*.json, then the user's tokens.json.
mkdir -p "$KYSO_SYSCONFDIR/tokens.d" "$XDG_CONFIG_HOME/kyso"
echo '{"schema": 1, "tokens": [{"id": "site-token", "name": "Site token", "readers": ["Site*"]}]}' \
	>"$KYSO_SYSCONFDIR/tokens.d/50-site.json"
echo '{"schema": 1, "tokens": [{"id": "site-token", "name": "User token", "readers": ["User*"]}]}' \
	>"$XDG_CONFIG_HOME/kyso/tokens.json"
detect_json "$KH_TMP/ov.json" --no-pcsc --no-usb
kh_check "override files are loaded in order" \
	jq -e --arg a "$KYSO_SYSCONFDIR/tokens.d/50-site.json" --arg b "$XDG_CONFIG_HOME/kyso/tokens.json" \
	'.catalog.files[1] == $a and .catalog.files[2] == $b' "$KH_TMP/ov.json"
kh_check "a new id adds a token type" \
	test "$(jq -r .catalog.token_types "$KH_TMP/ov.json")" = "$(($(jq '.tokens | length' "$CATALOG") + 1))"
echo '{"schema": 1, "tokens": [{"id": "u", "name": 5, "readers": ["U*"]}]}' >"$XDG_CONFIG_HOME/kyso/tokens.json"
set +e
kyso --lang en detect --no-pcsc --no-usb 2>"$KH_TMP/ov.err" >/dev/null
rc=$?
set -e
kh_check "a broken user override: exit 5 naming it" \
	bash -c "test $rc = 5 && grep -qF '$XDG_CONFIG_HOME/kyso/tokens.json:1: field tokens[0].name' '$KH_TMP/ov.err'"
kh_done
