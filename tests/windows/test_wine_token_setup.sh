# windows.wine_token_setup: `kyso.exe setup --unattended --bundle` under wine
# with the virtual Bit4id card in its reader (tests/windows/wine_token.sh):
# setup detects the token by itself, installs the vendor middleware from the
# bundle, registers it, self-tests on the card and uninstalls cleanly; first
# an MSI (made here with wixl: bit4xpki.dll into %ProgramFiles%\Bit4id\xPKI),
# then, for --user, an NSIS EXE (makensis); --repair puts back a deleted
# config.json and signs again; `kyso.exe doctor --json` passes its token and
# module checks on the set-up prefix. Prints its time.
W=${1:?usage: test_wine_token_setup.sh WORKDIR}
. "$KYSO_SRC/tests/windows/wine_token.sh"
wt_prefix wineprefix-token-setup
export LANGUAGE=en B4PIN=1234
p1=$(kh_free_port)
p2=$(kh_free_port)
export KYSO_AGENT_PORTS="$p1,$((p1 + 1)),$p2" # never the real agent ports
stop_agent() {
	local f
	for f in "$C/ProgramData/kyso/setup/agent.pid" "$C"/users/*/AppData/Local/kyso/setup/agent.pid; do
		if [[ -f $f ]]; then
			wine64 taskkill /f /pid "$(tr -d '\r' <"$f")" >/dev/null 2>&1 || true
		fi
	done
	return 0
}
kh_on_exit stop_agent
wt_b4 0
B=$KH_TMP/bundle
mkdir -p "$B" "$KH_TMP/msi" "$KH_TMP/nsis"

# ---- the vendor installers: the vendor's module is kyso-pkcs11.dll renamed --
cp "$S/kyso-pkcs11.dll" "$KH_TMP/msi/bit4xpki.dll"
cp "$S/kyso-pkcs11.dll" "$KH_TMP/nsis/bit4xpki.dll"
cat >"$KH_TMP/msi/vendor.wxs" <<'WXS'
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Kyso Test Bit4id xPKI" Language="1033" Version="1.0.0"
           Manufacturer="kyso tests" UpgradeCode="6F1C2E7A-3B1D-4C5E-9A2B-0D4E5F6A7B8C">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="xpki.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="VENDORDIR" Name="Bit4id">
          <Directory Id="INSTALLDIR" Name="xPKI">
            <Component Id="Module" Guid="2A4B6C8D-1E3F-4A5B-8C7D-9E0F1A2B3C4D" Win64="yes">
              <File Id="bit4xpki" Name="bit4xpki.dll" Source="bit4xpki.dll" KeyPath="yes"/>
            </Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Module"/></Feature>
  </Product>
</Wix>
WXS
kh_check "wixl (msitools) builds the test vendor MSI" \
	bash -c "cd '$KH_TMP/msi' && wixl -a x64 -o '$B/bit4id-xpki.msi' vendor.wxs"
cat >"$KH_TMP/nsis/vendor.nsi" <<'NSI'
Unicode true
Target amd64-unicode
OutFile "bit4id-xpki-setup.exe"
InstallDir "$PROGRAMFILES64\Bit4id\xPKI-NSIS"
RequestExecutionLevel admin
SilentInstall silent
!define UNKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\KysoTestBit4idNSIS"
Section
  SetOutPath "$INSTDIR"
  File "bit4xpki.dll"
  WriteUninstaller "$INSTDIR\uninst.exe"
  SetRegView 64
  WriteRegStr HKLM "${UNKEY}" "DisplayName" "Kyso Test Bit4id xPKI (NSIS)"
  WriteRegStr HKLM "${UNKEY}" "UninstallString" '"$INSTDIR\uninst.exe"'
SectionEnd
Section "Uninstall"
  Delete /REBOOTOK "$INSTDIR\bit4xpki.dll"
  Delete "$INSTDIR\uninst.exe"
  RMDir "$INSTDIR"
  SetRegView 64
  DeleteRegKey HKLM "${UNKEY}"
SectionEnd
NSI
kh_check "makensis builds the test vendor NSIS installer" \
	bash -c "cd '$KH_TMP/nsis' && makensis -V1 vendor.nsi && mv bit4id-xpki-setup.exe '$B/'"

# catalog FILE KIND: the installed catalog, the Bit4id entry's Windows driver
# being the vendor's bit4xpki.dll from that installer in the bundle
catalog() {
	python3 - "$KYSO_SRC/data/tokens.json" "$1" "$2" "$B" <<'PY'
import hashlib, json, os, sys
src, dst, kind, bdir = sys.argv[1:5]
f = {"msi": "bit4id-xpki.msi", "nsis": "bit4id-xpki-setup.exe"}[kind]
sha = hashlib.sha256(open(os.path.join(bdir, f), "rb").read()).hexdigest()
d = json.load(open(src, encoding="utf-8"))
e = next(t for t in d["tokens"] if t["id"] == "bit4id-tokenme-evo-v2")
b = {"file": f, "sha256": sha, "kind": kind}
if kind == "nsis":
    b.update(args=["/S"], uninstall_args=["/S"])
e["driver"]["windows"] = {"modules": ["bit4xpki.dll"], "bundle": [b], "notes": "test vendor middleware"}
json.dump(d, open(dst, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}
catalog "$KH_TMP/cat-msi.json" msi
catalog "$KH_TMP/cat-nsis.json" nsis

# ks CATALOG ARGS...: kyso.exe setup on the detected token (no --token)
ks() {
	local cat=$1
	shift
	wk setup --unattended --json --catalog "$(winpath "$cat")" --bundle "$(winpath "$B")" \
		--pin-env B4PIN --ca "$(winpath "$KH_PKI_ROOT_CERT")" "$@"
}
summary() {
	python3 - "$1" <<'PY' || head -c 3000 "$1"
import json, sys
d = json.load(open(sys.argv[1]))
print("result:", d.get("result"), "error:", json.dumps(d.get("error")), "problems:", d.get("problems"))
for a in d.get("actions", d.get("plan", {}).get("actions", [])):
    print("  %-16s %-9s %s %s" % (a["kind"], a["status"], a.get("target") or "", a.get("detail") or ""))
PY
}
CFG=$C/ProgramData/kyso/config.json
XPKI=$C/Program\ Files/Bit4id/xPKI/bit4xpki.dll
msi_registered() { wine64 reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null | tr -d '\r' | grep -q 'Kyso Test Bit4id xPKI$'; }

# ---- MSI, machine-wide ------------------------------------------------------
ks "$KH_TMP/cat-msi.json"
cp "$KH_TMP/out" "$KH_TMP/report.json"
echo "setup (MSI) exit $rc"
summary "$KH_TMP/report.json"
kh_check "setup detected the Bit4id card itself in the reader (token type bit4id-tokenme-evo-v2)" \
	jpy "$KH_TMP/report.json" "$rc == 0 and d['token']['type'] == 'bit4id-tokenme-evo-v2' and [t['reader'] for t in d['detected']['tokens']] == ['Virtual PCD 00 00']"
kh_on_fail cat "$KH_TMP/err"
kh_check "the MSI ran through msiexec: bit4xpki.dll in Program Files\\Bit4id\\xPKI" test -s "$XPKI"
kh_check "Windows Installer lists the product" msi_registered
kh_check "config.json names the vendor's module and the token type" \
	jpy "$CFG" "d['pkcs11_module'].lower().endswith('bit4id\\\\xpki\\\\bit4xpki.dll') and d['token_type'] == 'bit4id-tokenme-evo-v2'"
kh_on_fail cat "$CFG"
kh_check "self-test: signed on the card and verified" jpy "$KH_TMP/report.json" 'd["selftest"]["status"] == "verified"'
kh_check "pdfsig (Linux) validates the self-test signature" \
	sg_pdfsig_all_valid "$C/ProgramData/kyso/setup/selftest-signed.pdf"
kh_check "the card signed it (VERIFY and a signing command in its log)" \
	bash -c "grep -q '^> 002000' '$KH_TMP/card0.apdu' && grep -Eq '^> 00(2A|88)' '$KH_TMP/card0.apdu'"

# The started kyso-agent.exe loaded the module too, and the test winscard.dll
# serves the card to one process at a time (whoever opened PC/SC first; see
# winscard_vpcd.c): stop the agent so the next kyso.exe gets the card back.
stop_agent
sleep 1
# the doctor on the set-up prefix: the configured module, the card, its chain
wk doctor --json --offline --no-usb --catalog "$(winpath "$KH_TMP/cat-msi.json")" --ca "$(winpath "$KH_PKI_ROOT_CERT")"
cp "$KH_TMP/out" "$KH_TMP/doctor.json"
python3 -c 'import json,sys; [print("  %-18s %-5s %s" % (c["id"], c["status"], c.get("detail", ""))) for c in json.load(open(sys.argv[1]))["checks"]]' "$KH_TMP/doctor.json" || cat "$KH_TMP/out" "$KH_TMP/err"
kh_check "doctor --json on the set-up prefix: every check from the service to the chain passes, module from config.json" \
	jpy "$KH_TMP/doctor.json" "(lambda c: all(c[k]['status'] == 'pass' for k in ('pcsc-service', 'readers', 'token-present', 'catalog-match', 'driver-module', 'token-state', 'cert-present', 'cert-key-pair', 'cert-validity', 'cert-chain')) and 'bit4xpki.dll' in c['driver-module']['data']['module'])({c['id']: c for c in d['checks']})"

# --repair: config.json deleted by someone; repair puts it back and signs again
rm -f "$CFG"
stop_agent
ks "$KH_TMP/cat-msi.json" --repair
cp "$KH_TMP/out" "$KH_TMP/repair.json"
echo "setup --repair exit $rc"
summary "$KH_TMP/repair.json"
kh_check "--repair: config.json is back, naming the module" \
	jpy "$CFG" "d['pkcs11_module'].lower().endswith('bit4xpki.dll')"
kh_check "--repair: a new self-test, verified" jpy "$KH_TMP/repair.json" 'd["selftest"]["status"] == "verified"'
kh_on_fail cat "$KH_TMP/err"

wk setup --uninstall --json
cp "$KH_TMP/out" "$KH_TMP/uninstall.json"
echo "uninstall exit $rc: $(head -c 1500 "$KH_TMP/uninstall.json")"
kh_check "setup --uninstall exits 0 with no problem" \
	jpy "$KH_TMP/uninstall.json" 'd["exit"] == 0 and d["problems"] == []'
kh_check "--uninstall removed the MSI (msiexec /x): no bit4xpki.dll, no product entry" \
	bash -c "$(declare -f msi_registered); [[ ! -e '$XPKI' ]] && ! msi_registered"
kh_check "config.json and the journal are gone" bash -c "[[ ! -e '$CFG' && ! -e '$C/ProgramData/kyso/setup' ]]"

# ---- NSIS, --user --------------------------------------------------------------
ks "$KH_TMP/cat-nsis.json" --user
cp "$KH_TMP/out" "$KH_TMP/user.json"
echo "setup --user (NSIS) exit $rc"
summary "$KH_TMP/user.json"
appdata_u=$(wine64 winepath.exe -u "$(wine64 cmd /c 'echo %APPDATA%' 2>/dev/null | tr -d '\r')" 2>/dev/null | tr -d '\r')
lad_u=$(wine64 winepath.exe -u "$(wine64 cmd /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')" 2>/dev/null | tr -d '\r')
NX=$C/Program\ Files/Bit4id/xPKI-NSIS/bit4xpki.dll
kh_check "--user: the NSIS installer ran (/S): its bit4xpki.dll is in place" test -s "$NX"
kh_check "--user: config.json in %APPDATA%\\kyso (not ProgramData)" \
	bash -c "[[ -s '$appdata_u/kyso/config.json' && ! -e '$CFG' ]]"
kh_check "--user: journal in %LOCALAPPDATA%\\kyso\\setup" test -s "$lad_u/kyso/setup/journal.json"
kh_check "--user: self-test verified" jpy "$KH_TMP/user.json" 'd["selftest"]["status"] == "verified"'
kh_on_fail cat "$KH_TMP/err"
wk setup --uninstall --user --json
cp "$KH_TMP/out" "$KH_TMP/uninstall-user.json"
echo "uninstall --user exit $rc: $(head -c 1500 "$KH_TMP/uninstall-user.json")"
kh_check "--uninstall --user: exit 0, the NSIS driver removed through its uninstaller, no config left" \
	bash -c "[[ $rc -eq 0 && ! -e '$NX' && ! -e '$appdata_u/kyso/config.json' && ! -e '$lad_u/kyso/setup' ]] &&
		! wine64 reg query 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KysoTestBit4idNSIS' >/dev/null 2>&1"

echo "windows.wine_token_setup: $((SECONDS - t0)) s"
kh_done
