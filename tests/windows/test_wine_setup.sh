# windows.wine_setup: `kyso.exe setup` under wine, in a private prefix, with
# the staged programs ($W/stage, built by windows.build). No PC/SC under wine:
# the token is named with --token and the catalog (--catalog) has a test
# entry whose Windows driver is a vendor installer in the bundle: a small
# NSIS installer (built here with makensis) that puts SoftHSM2's Windows DLL
# into %ProgramFiles%\KysoTestVendor, where kyso finds PKCS#11 modules.
# Checks: the dry-run plan (JSON), an unattended setup (vendor installer run,
# module registered in config.json, browser policy registry lists for exactly
# the --origin, self-test signature verified by pdfsig on Linux, the agent's
# CA in the ROOT store and its HKCU Run value when kyso-agent.exe is the
# signing service, an honest "does not answer" when it is not), a second run
# that changes nothing, --uninstall removing every key, value and file setup
# made and the vendor driver (through the uninstaller it registered), and a forced failure half way (KYSO_SETUP_FAIL_AFTER) rolled back.
# Prints its time.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
W=${1:?usage: test_wine_setup.sh WORKDIR}
sg_setup
S=$W/stage
[[ -s $S/kyso.exe && -s $S/kyso-agent.exe ]] || {
	kh_fail "staged programs missing in $S (windows.build failed?)"
	kh_done
}
HSMDLL=$W/prefix/softhsm2/libsofthsm2.dll
[[ -s $HSMDLL ]] || {
	kh_fail "SoftHSM2 DLL $HSMDLL missing (build-deps.sh WORKDIR softhsm2)"
	kh_done
}

export WINEPREFIX=$W/wineprefix-setup WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe=d"
export PATH=/usr/lib/wine:$PATH
unset DISPLAY WAYLAND_DISPLAY KYSO_DATADIR KYSO_LOCALEDIR KYSO_SYSCONFDIR KYSO_P11_PATH
export LANGUAGE=en
t0=$SECONDS

stop_wine() { wineserver -k 2>/dev/null || true; }
kh_on_exit stop_wine
stop_wine
rm -rf "$WINEPREFIX"
kh_check "wineboot creates a fresh prefix" bash -c 'wine64 wineboot -i >/dev/null 2>&1; wineserver -w'
C=$WINEPREFIX/drive_c
winpath() { printf 'Z:%s' "${1//\//\\}"; }
regq() { wine64 reg query "$@" 2>/dev/null | tr -d '\r'; }
# the agent setup starts listens on private ports
p1=$(kh_free_port)
p2=$(kh_free_port)
export KYSO_AGENT_PORTS="$p1,$((p1 + 1)),$p2"

# ---- the "vendor driver": an NSIS installer with SoftHSM2's DLLs -----------
B=$KH_TMP/bundle
mkdir -p "$B" "$KH_TMP/vendor"
cp "$W"/prefix/softhsm2/*.dll "$KH_TMP/vendor/"
cat >"$KH_TMP/vendor/vendor.nsi" <<'NSI'
Unicode true
Target amd64-unicode
OutFile "kyso-test-vendor-setup.exe"
InstallDir "$PROGRAMFILES64\KysoTestVendor"
RequestExecutionLevel admin
SilentInstall silent
!define UNKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\KysoTestVendor"
Section
  SetOutPath "$INSTDIR"
  File "*.dll"
  WriteUninstaller "$INSTDIR\uninst.exe"
  SetRegView 64
  WriteRegStr HKLM "${UNKEY}" "DisplayName" "Kyso Test Vendor Token Driver"
  WriteRegStr HKLM "${UNKEY}" "UninstallString" '"$INSTDIR\uninst.exe"'
SectionEnd
Section "Uninstall"
  Delete /REBOOTOK "$INSTDIR\*.dll"
  Delete "$INSTDIR\uninst.exe"
  RMDir "$INSTDIR"
  SetRegView 64
  DeleteRegKey HKLM "${UNKEY}"
SectionEnd
NSI
kh_check "makensis builds the test vendor installer" \
	bash -c "cd '$KH_TMP/vendor' && makensis -V1 vendor.nsi && mv kyso-test-vendor-setup.exe '$B/'"
sha=$(sha256sum "$B/kyso-test-vendor-setup.exe" | cut -d' ' -f1)
python3 - "$KYSO_SRC/data/tokens.json" "$KH_TMP/catalog.json" "$sha" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["tokens"].append({
    "id": "kyso-test-softhsm", "name": "SoftHSM2 test token", "vendor": "kyso tests",
    "readers": ["kyso test reader*"],
    "driver": {"windows": {
        "modules": ["libsofthsm2.dll"],
        "bundle": [{"file": "kyso-test-vendor-setup.exe", "sha256": sys.argv[3],
                    "kind": "nsis", "args": ["/S"], "uninstall_args": ["/S"]}],
        "notes": "test vendor driver (SoftHSM2)"}}})
json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False, indent=1)
PY

# SoftHSM2 tokens made on Linux (same files on Windows)
cp -r "$SG_HSM/tokens" "$KH_TMP/wtokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$(winpath "$KH_TMP/wtokens")" >"$KH_TMP/softhsm2-win.conf"
SOFTHSM2_CONF=$(winpath "$KH_TMP/softhsm2-win.conf")
export SOFTHSM2_CONF

ORIGIN=https://vp.example.gov.vn
KYSO=$(winpath "$S/kyso.exe")
# ks ARGS...: kyso.exe setup with the test token, catalog, bundle and origin;
# stdout without CR in $KH_TMP/out, stderr in $KH_TMP/err, exit code in $rc
ks() {
	set +e
	wine64 "$KYSO" setup --token kyso-test-softhsm --catalog "$(winpath "$KH_TMP/catalog.json")" \
		--bundle "$(winpath "$B")" --origin "$ORIGIN" "$@" >"$KH_TMP/out.raw" 2>"$KH_TMP/err"
	rc=$?
	set -e
	tr -d '\r' <"$KH_TMP/out.raw" >"$KH_TMP/out"
}
# jq-like checks on a JSON file: jpy FILE 'python expression over d'
jpy() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
acts='[a for a in d["plan"]["actions"]]'

# Is the staged kyso-agent.exe the signing service (it creates its local CA)?
set +e
wine64 "$(winpath "$S/kyso-agent.exe")" --help 2>/dev/null | tr -d '\r' >"$KH_TMP/agent-help"
set -e
real_agent=0
grep -q -- '--export-ca' "$KH_TMP/agent-help" && real_agent=1
echo "staged kyso-agent.exe is the signing service: $real_agent"

# ---- dry run ---------------------------------------------------------------
ks --dry-run --json --unattended --pin-env SG_PIN
cp "$KH_TMP/out" "$KH_TMP/plan.json"
echo "dry run exit $rc: $(head -c 3000 "$KH_TMP/plan.json")"
kh_on_fail cat "$KH_TMP/err"
kh_check "dry run: one JSON plan (kind kyso-setup-plan)" jpy "$KH_TMP/plan.json" 'd["kind"] == "kyso-setup-plan" and d["dry_run"]'
kh_check "dry run: the vendor installer from the bundle is to do, with the catalog's SHA-256" \
	jpy "$KH_TMP/plan.json" "any(a['kind'] == 'vendor-installer' and a['status'] == 'todo' and a['sha256'] == '$sha' and a['source'].endswith('kyso-test-vendor-setup.exe') for a in $acts)"
kh_check "dry run: config, 3 browser policies, self-test and report to do" \
	jpy "$KH_TMP/plan.json" "[a['kind'] for a in $acts if a['status'] == 'todo'].count('browser-policy') == 3 and all(any(a['kind'] == k and a['status'] == 'todo' for a in $acts) for k in ('config', 'selftest', 'report', 'probe'))"
kh_check "dry run: policy targets are the Chrome, Chromium and Edge HKLM policy keys" \
	jpy "$KH_TMP/plan.json" "sorted(a['target'] for a in $acts if a['kind'] == 'browser-policy') == sorted(['HKLM\\\\SOFTWARE\\\\Policies\\\\Google\\\\Chrome', 'HKLM\\\\SOFTWARE\\\\Policies\\\\Chromium', 'HKLM\\\\SOFTWARE\\\\Policies\\\\Microsoft\\\\Edge'])"
kh_check "dry run: no apt package, p11-kit, NSS or systemd step on Windows" \
	jpy "$KH_TMP/plan.json" "not any(a['kind'] in ('package', 'p11-kit', 'nss', 'ca-nss', 'agent-unit', 'agent-enable') for a in $acts)"
if [[ $real_agent == 1 ]]; then
	kh_check "dry run: agent CA, ROOT store, autostart and start to do" \
		jpy "$KH_TMP/plan.json" "all(any(a['kind'] == k and a['status'] == 'todo' for a in $acts) for k in ('agent-ca', 'ca-system', 'autostart', 'agent-start'))"
else
	kh_check "dry run: this kyso-agent.exe cannot make its CA: agent steps skipped with the reason (exit 1)" \
		jpy "$KH_TMP/plan.json" "d['exit'] == 1 and any(a['kind'] == 'agent-ca' and a['status'] == 'skipped' and '--export-ca' in a['detail'] for a in $acts) and all(a['status'] == 'skipped' for a in $acts if a['kind'] in ('ca-system', 'autostart', 'agent-start'))"
fi
kh_check "dry run changed nothing (no config.json, no journal, no policy key)" \
	bash -c "[[ ! -e '$C/ProgramData/kyso/config.json' && ! -e '$C/ProgramData/kyso/setup' ]] && ! wine64 reg query 'HKLM\\SOFTWARE\\Policies\\Google\\Chrome' >/dev/null 2>&1"

# ---- setup -------------------------------------------------------------------
ks --unattended --json --pin-env SG_PIN --token-label kyso-rsa --ca "$(winpath "$KH_PKI_ROOT_CERT")"
cp "$KH_TMP/out" "$KH_TMP/report.json"
echo "setup exit $rc"
# the report in short: result, error, each action's state
python3 - "$KH_TMP/report.json" <<'PY' || head -c 3000 "$KH_TMP/report.json"
import json, sys
d = json.load(open(sys.argv[1]))
print("result:", d.get("result"), "error:", json.dumps(d.get("error")), "problems:", d.get("problems"))
for a in d.get("actions", []):
    print("  %-16s %-9s %s %s" % (a["kind"], a["status"], a.get("target") or "", a.get("detail") or ""))
print("selftest:", json.dumps(d.get("selftest"))[:300])
print("agent answers:", (d.get("agent") or {}).get("answers"))
for pr in (d.get("agent") or {}).get("protocols", []):
    print("  %-18s answers=%s %s" % (pr.get("name"), pr.get("answers"), pr.get("detail") or pr.get("note") or ""))
PY
kh_on_fail cat "$KH_TMP/err"
want_rc=$((real_agent == 1 ? 0 : 1))
kh_check "setup --unattended exits $want_rc (got $rc)" test "$rc" -eq "$want_rc"
kh_on_fail cat "$KH_TMP/err"
kh_check "the vendor installer put the module in Program Files" \
	test -s "$C/Program Files/KysoTestVendor/libsofthsm2.dll"
VKEY='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\KysoTestVendor'
kh_check "the vendor installer registered its uninstaller (Apps lists it)" \
	bash -c "$(declare -f regq); regq '$VKEY' /v UninstallString | grep -qi 'uninst.exe'"
CFG=$C/ProgramData/kyso/config.json
kh_check "config.json (ProgramData\\kyso) names the installed module and the origin" \
	jpy "$CFG" "d['pkcs11_module'].lower().endswith('kysotestvendor\\\\libsofthsm2.dll') and d['origins'] == ['$ORIGIN'] and d['token_type'] == 'kyso-test-softhsm'"
kh_on_fail cat "$CFG"
for k in 'Google\Chrome' 'Chromium' 'Microsoft\Edge'; do
	for pol in LoopbackNetworkAllowedForUrls LocalNetworkAccessAllowedForUrls; do
		kh_check "policy HKLM\\SOFTWARE\\Policies\\$k\\$pol\\1 = $ORIGIN (and nothing else)" \
			bash -c "$(declare -f regq); out=\$(regq 'HKLM\\SOFTWARE\\Policies\\$k\\$pol'); grep -q '^ *1 *REG_SZ *$ORIGIN\$' <<<\"\$out\" && [[ \$(grep -c REG_SZ <<<\"\$out\") -eq 1 ]]"
	done
done
kh_check "no policy value is a wildcard" \
	bash -c "$(declare -f regq); ! regq 'HKLM\\SOFTWARE\\Policies' /s | grep -q 'REG_SZ *\\*'"
kh_check "report: self-test signature verified" jpy "$KH_TMP/report.json" 'd["selftest"]["status"] == "verified"'
SIGNED=$C/ProgramData/kyso/setup/selftest-signed.pdf
kh_check "pdfsig (Linux) validates the self-test signature made on Windows" sg_pdfsig_all_valid "$SIGNED"
STATE=$(find "$C/users" -maxdepth 5 -path '*AppData/Local/kyso/agent' -type d | head -n 1)
if [[ $real_agent == 1 ]]; then
	thumb=$(openssl x509 -in "$STATE/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
	echo "local CA $STATE/ca.pem, SHA-1 $thumb"
	kh_check "the agent's local CA is in LocalMachine\\ROOT" \
		bash -c "$(declare -f regq); regq 'HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates' | grep -qi '$thumb'"
	kh_check "HKCU Run value kyso-agent starts the installed kyso-agent.exe" \
		bash -c "$(declare -f regq); regq 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' /v kyso-agent | grep -q 'kyso-agent.exe'"
	kh_check "report: the agent answers on every protocol" jpy "$KH_TMP/report.json" 'd["agent"]["answers"] is True'
else
	kh_check "report: the agent does not answer, and says so (not pretended)" \
		jpy "$KH_TMP/report.json" 'd["agent"]["answers"] is False and d["agent"]["protocols"][0]["answers"] is False'
	kh_check "no HKCU Run value for an agent that is not the signing service" \
		bash -c "! wine64 reg query 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' /v kyso-agent >/dev/null 2>&1"
fi
journal=$C/ProgramData/kyso/setup/journal.json
n1=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$journal")
echo "journal: $n1 entries: $(python3 -c 'import json,sys; print(" ".join(e["op"] for e in json.load(open(sys.argv[1]))["entries"]))' "$journal")"
kh_check "journal: the vendor's uninstaller, made silent with the catalog's uninstall_args" \
	jpy "$journal" "any(e['op'] == 'vendor-uninstall' and [u['name'] for u in e['entries']] == ['Kyso Test Vendor Token Driver'] and u['command'].endswith('uninst.exe\" /S') for e in d['entries'] for u in e.get('entries', []))"
kh_on_fail cat "$journal"

# ---- second run: nothing to do ----------------------------------------------
ks --unattended --json --pin-env SG_PIN --token-label kyso-rsa --ca "$(winpath "$KH_PKI_ROOT_CERT")"
cp "$KH_TMP/out" "$KH_TMP/again.json"
echo "second run exit $rc: $(head -c 600 "$KH_TMP/again.json")"
kh_check "second run: nothing to do (exit $want_rc, got $rc)" \
	bash -c "[[ $rc -eq $want_rc ]] && grep -q '\"nothing-to-do\"' '$KH_TMP/again.json'"
kh_on_fail cat "$KH_TMP/err"
n2=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$journal")
kh_check "second run journaled no change ($n1 -> $n2 entries)" test "$n1" -eq "$n2"
kh_check "second run: the vendor installer is in place (module found)" \
	jpy "$KH_TMP/again.json" "any(a['kind'] == 'vendor-installer' and a['status'] == 'in-place' for a in $acts)"

# ---- renewal: a stale local CA (an old install's ca-key.pem) is replaced in the ROOT store ------
if [[ $real_agent == 1 ]]; then
	old_thumb=$thumb
	echo "an old install's CA key" >"$STATE/ca-key.pem"
	ks --repair --unattended --json --pin-env SG_PIN --token-label kyso-rsa --ca "$(winpath "$KH_PKI_ROOT_CERT")"
	cp "$KH_TMP/out" "$KH_TMP/repair.json"
	thumb=$(openssl x509 -in "$STATE/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
	echo "repair exit $rc, new local CA SHA-1 $thumb (old $old_thumb)"
	kh_check "--repair with a CA key on disk: exit $want_rc, a new local CA, no ca-key.pem left" \
		bash -c "[[ $rc -eq $want_rc && '$thumb' != '$old_thumb' && ! -e '$STATE/ca-key.pem' ]]"
	kh_on_fail cat "$KH_TMP/err" "$KH_TMP/repair.json"
	kh_check "... the new CA is in LocalMachine\\ROOT" \
		bash -c "$(declare -f regq); regq 'HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates' | grep -qi '$thumb'"
	kh_check "... the old CA is no longer in LocalMachine\\ROOT (replaced, not left trusted)" \
		bash -c "$(declare -f regq); ! regq 'HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates' | grep -qi '$old_thumb'"
	kh_check "... journaled: the old CA's removal (trust-ca-removed) after the new one's addition" \
		jpy "$journal" "(lambda ops: 'trust-ca-removed' in ops and ops.index('trust-ca-removed') > len(ops) - 1 - ops[::-1].index('trust-ca'))([e['op'] for e in d['entries']])"
	kh_on_fail cat "$journal"
fi

# ---- uninstall ---------------------------------------------------------------
set +e
wine64 "$KYSO" setup --uninstall --json >"$KH_TMP/out.raw" 2>"$KH_TMP/err"
rc=$?
set -e
tr -d '\r' <"$KH_TMP/out.raw" >"$KH_TMP/uninstall.json"
echo "uninstall exit $rc: $(cat "$KH_TMP/uninstall.json")"
kh_check "setup --uninstall exits 0 with no problem (got $rc)" \
	jpy "$KH_TMP/uninstall.json" 'd["exit"] == 0 and d["problems"] == [] and d["undone"] > 0'
kh_on_fail cat "$KH_TMP/err"
for k in 'Google\Chrome' 'Chromium' 'Microsoft\Edge'; do
	kh_check "HKLM\\SOFTWARE\\Policies\\$k is gone (setup created it)" \
		bash -c "! wine64 reg query 'HKLM\\SOFTWARE\\Policies\\$k' >/dev/null 2>&1"
done
kh_check "config.json and the journal directory are gone" \
	bash -c "[[ ! -e '$CFG' && ! -e '$C/ProgramData/kyso/setup' ]]"
kh_check "the vendor driver setup installed is uninstalled (no DLL, no Apps entry)" \
	bash -c "[[ ! -e '$C/Program Files/KysoTestVendor/libsofthsm2.dll' ]] && ! wine64 reg query '$VKEY' >/dev/null 2>&1"
kh_check "no HKCU Run value kyso-agent" \
	bash -c "! wine64 reg query 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' /v kyso-agent >/dev/null 2>&1"
if [[ $real_agent == 1 ]]; then
	kh_check "the local CA is no longer in LocalMachine\\ROOT" \
		bash -c "$(declare -f regq); ! regq 'HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates' | grep -qi '$thumb'"
	kh_check "... nor the CA the repair replaced (its removal undone, then its addition)" \
		bash -c "$(declare -f regq); ! regq 'HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates' | grep -qi '$old_thumb'"
	kh_check "the agent's state directory (local CA) is gone" test ! -e "$STATE"
fi
set +e
wine64 "$KYSO" setup --uninstall >"$KH_TMP/out.raw" 2>&1
rc=$?
set -e
kh_check "a second --uninstall has nothing to undo (exit 0, got $rc)" \
	bash -c "[[ $rc -eq 0 ]] && tr -d '\r' <'$KH_TMP/out.raw' | grep -q 'Nothing to uninstall'"

# ---- a failure half way rolls back ---------------------------------------------
# (the uninstall removed the test vendor's driver, so its installer runs
# again) the 11th change fails: the vendor driver (its own uninstaller), the
# config, the agent's CA, its Run value and the started agent are undone
nroot() { regq 'HKLM\Software\Microsoft\SystemCertificates\ROOT\Certificates' | grep -c 'Certificates\\' || true; }
roots_before=$(nroot)
kh_check "the ROOT store can be read before the forced failure ($roots_before certificates)" \
	test "$roots_before" -gt 0
export KYSO_SETUP_FAIL_AFTER=10
ks --unattended --json --pin-env SG_PIN --token-label kyso-rsa --ca "$(winpath "$KH_PKI_ROOT_CERT")"
unset KYSO_SETUP_FAIL_AFTER
cp "$KH_TMP/out" "$KH_TMP/failed.json"
echo "forced failure exit $rc"
kh_check "a forced failure half way exits non-zero and reports rolled-back (got $rc)" \
	bash -c "[[ $rc -ne 0 ]] && grep -q '\"rolled-back\"' '$KH_TMP/failed.json'"
kh_on_fail head -c 2000 "$KH_TMP/failed.json"
kh_check "rolled back: no config.json, journal, policy key or Run value left" \
	bash -c "[[ ! -e '$CFG' && ! -e '$C/ProgramData/kyso/setup' ]] && ! wine64 reg query 'HKLM\\SOFTWARE\\Policies\\Google' >/dev/null 2>&1 && ! wine64 reg query 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' /v kyso-agent >/dev/null 2>&1"
roots_after=$(nroot)
kh_check "rolled back: the ROOT store has as many certificates as before ($roots_before, now $roots_after)" \
	test "$roots_before" -eq "$roots_after"
kh_check "rolled back: no agent state directory (local CA) left" test ! -e "$STATE"
# kyso.exe loaded the module for its probe, and SoftHSM2's DLL pins itself in
# memory (its static OpenSSL does, GET_MODULE_HANDLE_EX_FLAG_PIN): the vendor's
# uninstaller, run from that process, can only have Windows delete it at the
# next restart (Delete /REBOOTOK, as vendor uninstallers do)
pending() { regq 'HKLM\System\CurrentControlSet\Control\Session Manager' /v PendingFileRenameOperations; }
kh_check "rolled back: the vendor's uninstaller ran (no Apps entry left)" \
	bash -c "! wine64 reg query '$VKEY' >/dev/null 2>&1"
kh_check "rolled back: the vendor's DLL is gone or deleted at the next restart" \
	bash -c "$(declare -f regq pending); [[ ! -e '$C/Program Files/KysoTestVendor/libsofthsm2.dll' ]] || pending | grep -qi 'KysoTestVendor.libsofthsm2.dll'"
echo "pending at restart: $(pending | grep -i pending | cut -c1-300)"; ls "$C/Program Files/KysoTestVendor/" || true
kh_on_fail bash -c "grep -A12 'rolled-back\|problems' '$KH_TMP/failed.json'; cat '$KH_TMP/err'"

echo "windows.wine_setup: $((SECONDS - t0)) s"
kh_done
