#!/usr/bin/env bash
# windows.wine_msi: the MSI (installer/windows/build-msi.sh) under wine, in a
# private prefix: silent per-machine install with the deployment properties
# (files in %ProgramFiles%\kyso, properties in HKLM\Software\kyso\Deploy),
# upgrade from that version's MSI to a newer one by MajorUpgrade (one
# install, the new version's values), silent uninstall (files and key gone).
. "$KYSO_HARNESS/lib.sh"
W=${1:?usage: test_wine_msi.sh WORKDIR}
kh_tmpdir
[[ -d ${KH_TMP:-} ]] || exit 1
S=$W/stage
[[ -s $S/kyso.exe ]] || {
	kh_fail "staged programs missing in $S (windows.build failed?)"
	kh_done
}
v1=$(sed -n 's/^project(kyso VERSION \([0-9.]*\).*/\1/p' "$KYSO_SRC/CMakeLists.txt")
v2=${v1%.*}.$((${v1##*.} + 1))
bash "$KYSO_SRC/installer/windows/build-msi.sh" "$S" "$v1" "$KH_TMP/kyso-$v1-x64.msi" >/dev/null 2>"$KH_TMP/msi1.log"
bash "$KYSO_SRC/installer/windows/build-msi.sh" "$S" "$v2" "$KH_TMP/kyso-$v2-x64.msi" >/dev/null 2>"$KH_TMP/msi2.log"
kh_check "MSIs built: kyso-$v1-x64.msi, kyso-$v2-x64.msi" \
	sh -c "[ -s '$KH_TMP/kyso-$v1-x64.msi' ] && [ -s '$KH_TMP/kyso-$v2-x64.msi' ]"
kh_check "MajorUpgrade rows (upgrade + downgrade detection)" \
	sh -c "msiinfo export '$KH_TMP/kyso-$v2-x64.msi' Upgrade | grep -q WIX_UPGRADE_DETECTED"
kh_check "custom action: kyso.exe setup --unattended after the Deploy key is written" \
	sh -c "msiinfo export '$KH_TMP/kyso-$v2-x64.msi' CustomAction | awk -F'\t' '\$1==\"KysoSetup\" && \$3==\"fKYSO\" && \$4==\"setup --unattended\" {f=1} END {exit !f}' &&
	       msiinfo export '$KH_TMP/kyso-$v2-x64.msi' InstallExecuteSequence | grep -q 'KysoSetup.NOT REMOVE AND NOT BUNDLE.5001'"
kh_check "custom action: --bundle [BUNDLE] when BUNDLE is given" \
	sh -c "msiinfo export '$KH_TMP/kyso-$v2-x64.msi' CustomAction | grep -q 'KysoSetupBundle.*--bundle \"\[BUNDLE\]\"'"
kh_check "custom action: kyso.exe setup --uninstall on removal, not on upgrade" \
	sh -c "msiinfo export '$KH_TMP/kyso-$v2-x64.msi' InstallExecuteSequence | grep -q 'KysoUnsetup.REMOVE=\"ALL\" AND NOT UPGRADINGPRODUCTCODE'"

export WINEPREFIX=$KH_TMP/wineprefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe=d"
export PATH=/usr/lib/wine:$PATH
unset DISPLAY WAYLAND_DISPLAY
stop_wine() { wineserver -k 2>/dev/null || true; }
kh_on_exit stop_wine
kh_check "wineboot creates a fresh prefix" bash -c 'wine64 wineboot -i >/dev/null 2>&1; wineserver -w'
C=$WINEPREFIX/drive_c
winpath() { printf 'Z:%s' "${1//\//\\}"; }
regv() { wine64 reg query 'HKLM\Software\kyso\Deploy' /v "$1" 2>/dev/null | tr -d '\r' | awk -v n="$1" '$1==n {print $3}'; }
msi() { wine64 msiexec "$@" >/dev/null 2>&1; local rc=$?; wineserver -w; return $rc; }

msi /i "$(winpath "$KH_TMP/kyso-$v1-x64.msi")" /qn ORIGINS=https://vanban.example.gov.vn \
	REPORTURL=https://helpdesk.example.gov.vn/r
kh_check "msiexec /i /qn: kyso.exe in Program Files\\kyso" test -f "$C/Program Files/kyso/kyso.exe"
kh_check "msiexec /i /qn: catalog installed" test -f "$C/Program Files/kyso/share/kyso/tokens.json"
kh_check "property ORIGINS kept for setup" test "$(regv Origins)" = https://vanban.example.gov.vn
kh_check "property REPORTURL kept for setup" test "$(regv ReportUrl)" = https://helpdesk.example.gov.vn/r
kh_check "installed version $v1" test "$(regv Version)" = "$v1"
kh_check "installed kyso.exe runs" sh -c "wine64 '$C/Program Files/kyso/kyso.exe' version 2>/dev/null | grep -q '$v1'"

msi /i "$(winpath "$KH_TMP/kyso-$v2-x64.msi")" /qn ORIGINS=https://vanban.example.gov.vn
kh_check "upgrade by MajorUpgrade: version $v2" test "$(regv Version)" = "$v2"
kh_check "upgrade: files still there" test -f "$C/Program Files/kyso/kyso.exe"
n=$(wine64 reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null | tr -d '\r' |
	grep -c 'DisplayName.*REG_SZ *kyso$' || true)
kh_check "one kyso in Programs and Features after the upgrade ($n)" test "$n" -eq 1

msi /x "$(winpath "$KH_TMP/kyso-$v2-x64.msi")" /qn
kh_check "msiexec /x /qn: files removed" test ! -e "$C/Program Files/kyso/kyso.exe"
kh_check "msiexec /x /qn: HKLM\\Software\\kyso\\Deploy removed" \
	sh -c "! wine64 reg query 'HKLM\\Software\\kyso\\Deploy' >/dev/null 2>&1"
kh_done
