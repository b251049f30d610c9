#!/usr/bin/env bash
# kyso setup with bad situations: no token, unknown token, two tokens, PIN
# locked / wrong (no retry), token gone, token pulled during the self-test
# signature, a vendor module for the wrong architecture (rolled back).
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
kh_pcscd_start
st_manifest >"$KH_TMP/m0"

st_setup --dry-run
kh_check "no token: exit 3" test "$ST_RC" -eq 3; kh_on_fail st_show
kh_check "no token: says so" grep -qi "no token" "$KH_TMP/err"

kh_vicc_insert 3B8F800180318065B0850300EF120FFF82900073 0 # a card no catalog entry knows
st_setup --dry-run
kh_check "unknown token: exit 1" test "$ST_RC" -eq 1; kh_on_fail st_show
kh_check "unknown token: prints the catalog entry to add" grep -q "catalog entry to add" "$KH_TMP/err"
kh_vicc_stop 0

kh_vicc_insert "$EPASS_ATR" 0
kh_vicc_insert "$EPASS_ATR" 1
st_setup --dry-run
kh_check "two tokens, unattended: exit 2" test "$ST_RC" -eq 2; kh_on_fail st_show
kh_check "two tokens: asks for --token" grep -q "Several tokens are connected.*--token" "$KH_TMP/err"
key=$(kyso detect --json | jq -r '.tokens[1].reader')
st_setup --dry-run --json --token "$key"
kh_check "two tokens: --token READER chooses one" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_vicc_stop 1
st_manifest >"$KH_TMP/m1"
kh_check "nothing changed so far" diff -u "$KH_TMP/m0" "$KH_TMP/m1"

# ---- PIN locked: the driver is installed and registered; the self-test fails ----
rep=$ROOT/var/lib/kyso/setup/install-report.json
KYSO_FAULT=pin-locked st_setup
kh_check "PIN locked: exit 4" test "$ST_RC" -eq 4; kh_on_fail st_show
kh_check "PIN locked: message" grep -qi "locked" "$KH_TMP/err"
kh_check "PIN locked: report has the token flag" test "$(jq '.token.flags | index("pin-locked") != null' "$rep")" = true
kh_check "PIN locked: self-test failed with pin-locked" test "$(jq -r .selftest.error "$rep")" = pin-locked
kh_check "PIN locked: registration kept" test -f "$ROOT/etc/pkcs11/modules/kyso-feitian-epass2003.module"

KYSO_FAULT="wrong-pin,log=$KH_TMP/calls.log" st_setup --repair
kh_check "wrong PIN: exit 4" test "$ST_RC" -eq 4; kh_on_fail st_show
kh_check "wrong PIN: message" grep -qi "PIN" "$KH_TMP/err"
kh_check "wrong PIN: tried once, no retry" test "$(grep -c '^C_Login ' "$KH_TMP/calls.log")" -eq 1

KYSO_FAULT=removed st_setup --repair
kh_check "token gone from the module: exit 3" test "$ST_RC" -eq 3; kh_on_fail st_show
kh_check "token gone: self-test skipped, says why" test "$(jq -r .selftest.why "$rep")" = "no token in the module's slots"

KYSO_FAULT=remove-during-sign st_setup --repair
kh_check "token pulled during the signature: exit 4" test "$ST_RC" -eq 4; kh_on_fail st_show
kh_check "token pulled: no signed file left" sh -c "test \"\$(jq -r .selftest.status '$rep')\" = failed"

st_setup --repair
kh_check "good token again: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "good token again: verified" test "$(jq -r .selftest.status "$rep")" = verified
st_setup --uninstall
st_manifest >"$KH_TMP/m2"
kh_check "uninstall after the fault runs restores exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m2"

# ---- a vendor module built for another architecture: rolled back ----------------
cp "$FAULTP11" "$BUNDLE/kyso-faultp11.so"
printf '\xb7\x00' | dd of="$BUNDLE/kyso-faultp11.so" bs=1 seek=18 conv=notrunc status=none
st_catalog "$(sha256sum "$BUNDLE/kyso-faultp11.so" | cut -d' ' -f1)"
st_manifest >"$KH_TMP/m3"
st_setup
kh_check "wrong-architecture module: exit 3" test "$ST_RC" -eq 3; kh_on_fail st_show
kh_check "wrong-architecture module: explained" grep -q "is built for aarch64; this program is x86_64" "$KH_TMP/err"
st_manifest >"$KH_TMP/m4"
kh_check "wrong-architecture module: rolled back to identical" diff -u "$KH_TMP/m3" "$KH_TMP/m4"

# ---- a vendor module no package and no bundle provides (the catalog's real vendor
# entries: no SHA-256 known yet): named with where it goes, the rest installed -----
python3 - "$KYSO_SRC/data/tokens.json" "$ROOT/etc/kyso/tokens.d/test.json" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1], encoding="utf-8"))
e = next(t for t in cat["tokens"] if t["id"] == "feitian-epass2003")
e["driver"]["linux"] = {"modules": ["libvendor-p11.so"], "paths": ["/usr/lib/libvendor-p11.so"],
                        "packages": ["pcscd", "libccid"], "notes": "Vendor package (test)."}
json.dump({"schema": 1, "tokens": [e]}, open(sys.argv[2], "w", encoding="utf-8"), indent=1)
PY
st_manifest >"$KH_TMP/m3b"
st_setup --dry-run
kh_check "vendor module missing: the plan says where it is expected" \
	sh -c "grep -A1 'load the PKCS#11 module: $ROOT/usr/lib/libvendor-p11.so' '$KH_TMP/out' |
	       grep -q 'not on this machine yet'"
kh_on_fail st_show
st_setup
kh_check "vendor module missing: exit 1 (problem), not a rollback" test "$ST_RC" -eq 1; kh_on_fail st_show
kh_check "vendor module missing: says which file and where it goes" \
	grep -q "the PKCS#11 module libvendor-p11.so is not on this machine: it goes to $ROOT/usr/lib/libvendor-p11.so" "$KH_TMP/out"
kh_check "vendor module missing: report lists it" \
	test "$(jq -r '.missing[0].where' "$rep")" = "$ROOT/usr/lib/libvendor-p11.so"
kh_check "vendor module missing: the packages were installed" grep -qx libccid "$FAKE_APT_STATE"
kh_check "vendor module missing: self-test skipped (no module)" \
	test "$(jq -r .selftest.why "$rep")" = "no PKCS#11 module"
kh_check "vendor module missing: the agent was still set up and answers" \
	test "$(jq .agent.answers "$rep")" = true
st_setup --uninstall
st_manifest >"$KH_TMP/m4b"
kh_check "vendor module missing: uninstall restores exactly" diff -u "$KH_TMP/m3b" "$KH_TMP/m4b"

# ---- the vendor's VGCA Sign Service already holds its port (here the private one) --
cp "$FAULTP11" "$BUNDLE/kyso-faultp11.so"
st_catalog "$(sha256sum "$FAULTP11" | cut -d' ' -f1)"
listen() { # PORT: a stand-in TCP listener (stopped at exit by PID)
	kh_bg "$KH_TMP/listen-$1.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); time.sleep(600)' "$1"
	kh_wait_for 10 python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$1"
}
listen "$ST_VGCA_PORT"
vendor_pid=$KH_LAST_PID
st_setup --no-selftest
kh_check "vendor service on the VGCA port: setup exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "vendor service on the VGCA port: agent started with --vgca-port 0" \
	grep -q '^ExecStart=.*/kyso-agent.* --vgca-port 0' "$ROOT/etc/systemd/user/kyso-agent.service"
kh_check "vendor service on the VGCA port: config says so" \
	test "$(jq .agent.vgca_sign_service "$ROOT/etc/kyso/config.json")" = false
kh_check "vendor service on the VGCA port: report names the protocol off" \
	test "$(jq '[.agent.protocols[] | select(.name=="vgca-sign-service") | .enabled][0]' "$rep")" = false
kh_check "vendor service on the VGCA port: the other protocols answer" \
	test "$(jq .agent.answers "$rep")" = true; kh_on_fail jq .agent "$rep"
st_setup --uninstall
kh_stop "$vendor_pid"

# ---- the agent cannot answer (its port is taken): a warning with the remedy ---------
listen "$ST_KYSO_PORT"
taker_pid=$KH_LAST_PID
st_manifest >"$KH_TMP/m5"
st_setup --no-selftest
kh_check "agent not answering: exit 1 (problem), not a silent pass" test "$ST_RC" -eq 1; kh_on_fail st_show
kh_check "agent not answering: warning names the URL" \
	grep -q "Warning: kyso-agent does not answer at https://localhost:$ST_KYSO_PORT/v1/" "$KH_TMP/err"
kh_check "agent not answering: the remedy says what to look at and to run --repair" \
	sh -c "grep -q 'agent.log\\|log' '$KH_TMP/err' && grep -q 'kyso setup --repair' '$KH_TMP/err'"
kh_check "agent not answering: report says so" test "$(jq .agent.answers "$rep")" = false
kh_check "agent not answering: the summary says DOES NOT ANSWER" grep -q "DOES NOT ANSWER" "$KH_TMP/out"
st_setup --uninstall
kh_stop "$taker_pid"
st_manifest >"$KH_TMP/m6"
kh_check "agent not answering: uninstall restores exactly" diff -u "$KH_TMP/m5" "$KH_TMP/m6"
kh_done
