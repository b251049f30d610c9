#!/usr/bin/env bash
# kyso setup --vendor-plugin: the vendor's own web plugin from the bundle (a
# fake .deb and a fake tarball, kind "plugin" in a catalog override with their
# SHA-256) instead of kyso-agent's VNPT-CA Plugin protocol; journaled and
# undone; wrong hash and missing file.
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
st_card

# the fake vendor plugin: a .deb and a tarball with an installer script
pkg=$KH_TMP/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/opt/vnpt-plugin-fake"
cat >"$pkg/DEBIAN/control" <<'EOF'
Package: vnpt-ca-plugin-fake
Version: 1.0
Architecture: all
Maintainer: kyso tests <tests@example.invalid>
Description: stand-in for the vendor's VNPT-CA Plugin (test)
EOF
echo "fake plugin" >"$pkg/opt/vnpt-plugin-fake/README"
dpkg-deb --root-owner-group --build "$pkg" "$BUNDLE/vnpt-ca-plugin-fake_1.0_all.deb" >/dev/null
mkdir -p "$KH_TMP/tar/bin"
printf '#!/bin/sh\necho ran >"$KH_TMP/ran-installer"\n' >"$KH_TMP/tar/install.sh"
chmod +x "$KH_TMP/tar/install.sh"
echo "plugin" >"$KH_TMP/tar/bin/plugin"
tar -C "$KH_TMP/tar" -czf "$BUNDLE/vnpt-plugin-fake-1.0.tar.gz" .

# catalog override: the ePass2003 entry issued by VNPT-CA, with the two plugin files
plugin_catalog() { # DEB_SHA TAR_SHA
	st_catalog "$(sha256sum "$FAULTP11" | cut -d' ' -f1)"
	python3 - "$ROOT/etc/kyso/tokens.d/test.json" "$1" "$2" <<'PY'
import json, sys
path, deb, tar = sys.argv[1:4]
cat = json.load(open(path, encoding="utf-8"))
e = cat["tokens"][0]
e["issuers"] = ["vnpt-ca"]
e["driver"]["linux"]["bundle"] += [
    {"file": "vnpt-ca-plugin-fake_1.0_all.deb", "sha256": deb, "kind": "plugin"},
    {"file": "vnpt-plugin-fake-1.0.tar.gz", "sha256": tar, "kind": "plugin"}]
json.dump(cat, open(path, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}
debsha=$(sha256sum "$BUNDLE/vnpt-ca-plugin-fake_1.0_all.deb" | cut -d' ' -f1)
tarsha=$(sha256sum "$BUNDLE/vnpt-plugin-fake-1.0.tar.gz" | cut -d' ' -f1)
plugin_catalog "$debsha" "$tarsha"
st_manifest >"$KH_TMP/m0"
rep=$ROOT/var/lib/kyso/setup/install-report.json
unit=$ROOT/etc/systemd/user/kyso-agent.service
tree=$ROOT/opt/kyso/vendor-plugin/vnpt-plugin-fake-1.0

# ---- without --vendor-plugin: kyso-agent serves the protocol ---------------------
st_setup --dry-run --json
kh_check "plan without --vendor-plugin: both plugin files skipped, saying why" \
	test "$(jq '[.plan.actions[] | select(.kind=="vendor-plugin" and .status=="skipped" and (.detail | test("--vendor-plugin")))] | length' "$KH_TMP/out")" = 2
kh_check "plan without --vendor-plugin: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show

# ---- --vendor-plugin ---------------------------------------------------------------
st_setup --dry-run --json --vendor-plugin
kh_check "plan with --vendor-plugin: both to do" \
	test "$(jq '[.plan.actions[] | select(.kind=="vendor-plugin" and .status=="todo")] | length' "$KH_TMP/out")" = 2
st_setup --vendor-plugin --no-selftest --origin https://vanban.example.gov.vn
kh_check "--vendor-plugin: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "--vendor-plugin: the vendor .deb installed through the package manager" \
	sh -c "grep -q '^install-file $BUNDLE/vnpt-ca-plugin-fake_1.0_all.deb\$' '$FAKE_APT_LOG' &&
	       grep -qx vnpt-ca-plugin-fake '$FAKE_APT_STATE'"
kh_check "--vendor-plugin: the tarball unpacked under /opt/kyso/vendor-plugin" \
	sh -c "test -x '$tree/install.sh' && test -f '$tree/bin/plugin'"
kh_check "--vendor-plugin: the vendor's installer script was not run" \
	test ! -s "$KH_TMP/ran-installer"
kh_check "--vendor-plugin: kyso-agent leaves the VNPT protocol off" \
	grep -q '^ExecStart=.*/kyso-agent.* --vnpt-ports ""' "$unit"
kh_check "--vendor-plugin: config says so" \
	test "$(jq .agent.vnpt_plugin "$ROOT/etc/kyso/config.json")" = false
kh_check "--vendor-plugin: report: VNPT protocol off, the others answer" \
	test "$(jq -c '[.agent.protocols[] | [.name, .enabled, .answers]]' "$rep")" \
	= '[["kyso-api",true,true],["vnpt-ca-plugin",false,null],["vgca-sign-service",true,true]]'
kh_on_fail jq .agent "$rep"
kh_check "--vendor-plugin: report lists the plugins" \
	test "$(jq '.registrations.vendor_plugins | length' "$rep")" = 2

st_manifest >"$KH_TMP/m1"
st_setup --vendor-plugin --no-selftest --origin https://vanban.example.gov.vn
kh_check "--vendor-plugin twice: nothing to do" grep -q "already in place" "$KH_TMP/out"
st_manifest >"$KH_TMP/m2"
kh_check "--vendor-plugin twice: nothing changed" diff -u "$KH_TMP/m1" "$KH_TMP/m2"

st_setup --uninstall
kh_check "uninstall: the vendor package removed" grep -q "^remove vnpt-ca-plugin-fake$" "$FAKE_APT_LOG"
st_manifest >"$KH_TMP/m3"
kh_check "uninstall after --vendor-plugin restores exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m3"

# ---- a plugin file with the wrong SHA-256: nothing installed ------------------------
plugin_catalog "$debsha" "$(printf '%064d' 0)"
st_manifest >"$KH_TMP/m4"
st_setup --vendor-plugin --no-selftest
kh_check "plugin with the wrong hash: exit 5" test "$ST_RC" -eq 5; kh_on_fail st_show
kh_check "plugin with the wrong hash: message names the file" \
	grep -q "vnpt-plugin-fake-1.0.tar.gz has SHA-256 $tarsha, the catalog expects" "$KH_TMP/err"
st_manifest >"$KH_TMP/m5"
kh_check "plugin with the wrong hash: rolled back to identical" diff -u "$KH_TMP/m4" "$KH_TMP/m5"

# ---- the plugin file is not in the bundle: named, the rest installed ------------------
plugin_catalog "$debsha" "$tarsha"
rm "$BUNDLE/vnpt-plugin-fake-1.0.tar.gz"
st_manifest >"$KH_TMP/m4"
st_setup --vendor-plugin --no-selftest
kh_check "plugin file missing: exit 1" test "$ST_RC" -eq 1; kh_on_fail st_show
kh_check "plugin file missing: says which file and where it goes" \
	grep -q "vendor file vnpt-plugin-fake-1.0.tar.gz is missing: put it at $BUNDLE/vnpt-plugin-fake-1.0.tar.gz" "$KH_TMP/out"
kh_check "plugin file missing: the .deb plugin was still installed" grep -qx vnpt-ca-plugin-fake "$FAKE_APT_STATE"
st_setup --uninstall
st_manifest >"$KH_TMP/m6"
kh_check "uninstall after a partial plugin install restores exactly" diff -u "$KH_TMP/m4" "$KH_TMP/m6"
kh_done
