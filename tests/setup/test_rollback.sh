#!/usr/bin/env bash
# kyso setup failing half way rolls back to exactly the state before:
# a forced failure at every change, apt failing, a bundle file with the wrong
# hash, SIGINT; a missing vendor file is named with where it goes.
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
st_card
st_manifest >"$KH_TMP/m0"

# How many changes does a full run make? (journal entries of one run)
st_setup
kh_check "reference run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
total=$(jq '[.entries[] | select(.journal != true)] | length' "$ROOT/var/lib/kyso/setup/journal.json")
kh_check "reference run journaled its changes ($total)" test "$total" -gt 15
st_setup --uninstall
st_manifest >"$KH_TMP/m1"
kh_check "reference uninstall restores everything" diff -u "$KH_TMP/m0" "$KH_TMP/m1"

# ---- a forced failure before each change -------------------------------------
bad=0
for ((n = 0; n < total; n++)); do
	KYSO_SETUP_FAIL_AFTER=$n st_setup
	st_manifest >"$KH_TMP/mf"
	if [[ $ST_RC -eq 0 ]] || ! grep -q "rollback" "$KH_TMP/err" || ! diff -q "$KH_TMP/m0" "$KH_TMP/mf" >/dev/null; then
		echo "failure after $n changes: exit $ST_RC" >&2
		diff -u "$KH_TMP/m0" "$KH_TMP/mf" | head -20 >&2 || true
		tail -5 "$KH_TMP/err" >&2
		bad=$((bad + 1))
	fi
done
kh_check "a failure after any of the $total changes rolls back to identical" test "$bad" -eq 0

# ---- apt fails on the second package ------------------------------------------
FAKE_APT_FAIL=opensc st_setup
kh_check "apt failure: exit 3" test "$ST_RC" -eq 3; kh_on_fail st_show
kh_check "apt failure: message names the package" grep -q "install opensc" "$KH_TMP/err"
kh_check "apt failure: libccid installed before was removed again" grep -q "^remove libccid" "$FAKE_APT_LOG"
st_manifest >"$KH_TMP/m2"
kh_check "apt failure rolled back to identical" diff -u "$KH_TMP/m0" "$KH_TMP/m2"

# ---- bundle file with the wrong hash -----------------------------------------
cp "$ROOT/etc/kyso/tokens.d/test.json" "$KH_TMP/catalog.good"
printf 'tampered' >>"$BUNDLE/kyso-faultp11.so"
st_setup --dry-run --json
kh_check "dry run shows the bad hash" \
	test "$(jq -r '.plan.actions[] | select(.kind=="bundle-file") | .status' "$KH_TMP/out")" = bad-hash
st_setup
kh_check "bad hash: exit 5" test "$ST_RC" -eq 5; kh_on_fail st_show
kh_check "bad hash: message names the file and both hashes" \
	grep -q "kyso-faultp11.so has SHA-256 [0-9a-f]\{64\}, the catalog expects" "$KH_TMP/err"
st_manifest >"$KH_TMP/m3"
kh_check "bad hash rolled back to identical (packages too)" diff -u "$KH_TMP/m0" "$KH_TMP/m3"
cp "$FAULTP11" "$BUNDLE/kyso-faultp11.so"

# ---- SIGINT half way ------------------------------------------------------------
: >"$FAKE_APT_LOG"
FAKE_APT_SLEEP=2 kyso setup --root "$ROOT" --bundle "$BUNDLE" --unattended --no-selftest \
	>"$KH_TMP/out" 2>"$KH_TMP/err" &
pid=$!
kh_wait_for 20 grep -q "^install libccid" "$FAKE_APT_LOG"
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
kh_check "SIGINT: non-zero exit ($rc)" test "$rc" -ne 0
kh_check "SIGINT: says interrupted and rolled back" \
	sh -c "grep -q 'Interrupted' '$KH_TMP/err' && grep -q rollback '$KH_TMP/err'"
st_manifest >"$KH_TMP/m4"
kh_check "SIGINT rolled back to identical" diff -u "$KH_TMP/m0" "$KH_TMP/m4"

# ---- SIGINT later, while the local CA goes into the system store (after the packages,
# the vendor module, the p11-kit and NSS registrations, the config and the CA) ------
: >"$FAKE_APT_LOG"
FAKE_APT_SLEEP_CA=3 kyso setup --root "$ROOT" --bundle "$BUNDLE" --unattended --no-selftest \
	>"$KH_TMP/out" 2>"$KH_TMP/err" &
pid=$!
kh_wait_for 60 grep -q "^update-ca-certificates " "$FAKE_APT_LOG"
kh_check "SIGINT during the trust store update: the CA was created by then" \
	test -s "$HOME/.local/state/kyso/agent/ca.pem"
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
kh_check "SIGINT during the trust store update: non-zero exit ($rc)" test "$rc" -ne 0
kh_check "SIGINT during the trust store update: says interrupted and rolled back" \
	sh -c "grep -q 'Interrupted' '$KH_TMP/err' && grep -q rollback '$KH_TMP/err'"
kh_check "SIGINT during the trust store update: the update ran again after the CA file left" \
	test "$(grep -c '^update-ca-certificates ' "$FAKE_APT_LOG")" -eq 2
st_manifest >"$KH_TMP/m4c"
kh_check "SIGINT during the trust store update rolled back to identical" diff -u "$KH_TMP/m0" "$KH_TMP/m4c"

# ---- disk full while copying the vendor module (16 KiB tmpfs over ROOT/usr/lib) ----
unshare -m --propagation private bash -c '
	mount -t tmpfs -o size=16k tmpfs "$ROOT/usr/lib" || exit 99
	kyso setup --root "$ROOT" --bundle "$BUNDLE" --unattended --no-selftest >"$KH_TMP/out" 2>"$KH_TMP/err"
	echo $? >"$KH_TMP/rc"
	find "$ROOT/usr/lib" -mindepth 1 >"$KH_TMP/tmpfs-left"
'
kh_check "disk full: exit 3" test "$(cat "$KH_TMP/rc")" = 3; kh_on_fail st_show
kh_check "disk full: says no space" grep -q "No space left on device" "$KH_TMP/err"
kh_check "disk full: nothing left on the full file system" test ! -s "$KH_TMP/tmpfs-left"
st_manifest >"$KH_TMP/m4b"
kh_check "disk full rolled back to identical" diff -u "$KH_TMP/m0" "$KH_TMP/m4b"

# ---- missing vendor file: named with where it goes; the rest is installed --------
st_catalog "$(sha256sum "$FAULTP11" | cut -d' ' -f1)" vendor-extra.so
st_manifest >"$KH_TMP/m5"
st_setup
kh_check "missing vendor file: exit 1" test "$ST_RC" -eq 1; kh_on_fail st_show
kh_check "missing vendor file: says which file and where" \
	grep -q "vendor file vendor-extra.so is missing: put it at $BUNDLE/vendor-extra.so" "$KH_TMP/out"
rep=$ROOT/var/lib/kyso/setup/install-report.json
kh_check "missing vendor file listed in the report" \
	test "$(jq -r '.missing[0].where' "$rep")" = "$BUNDLE/vendor-extra.so"
kh_check "the rest was installed (module registered, self-test verified)" \
	sh -c "test -f '$ROOT/etc/pkcs11/modules/kyso-feitian-epass2003.module' && test \"\$(jq -r .selftest.status '$rep')\" = verified"
st_setup --uninstall
st_manifest >"$KH_TMP/m6"
kh_check "uninstall after a partial install restores exactly" diff -u "$KH_TMP/m5" "$KH_TMP/m6"

kh_done
