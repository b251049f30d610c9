# windows.wine: the installer built by windows.build, run under wine64 in a
# private, headless prefix: silent install, files, shortcuts and registry keys,
# the installed kyso.exe (version, Vietnamese/English text, detect without a
# PC/SC service, doctor), silent uninstall leaving nothing behind. Prints the
# time of the wine part and of the whole Windows leg.
. "$KYSO_HARNESS/lib.sh"
W=${1:?usage: test_wine.sh WORKDIR}
kh_tmpdir
version=$(sed -n 's/^project(kyso VERSION \([0-9.]*\).*/\1/p' "$KYSO_SRC/CMakeLists.txt")
setup=$W/kyso-setup-$version.exe
[[ -s $setup ]] || {
	kh_fail "installer $setup missing (windows.build failed?)"
	kh_done
}

export WINEPREFIX=$W/wineprefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe=d"
export PATH=/usr/lib/wine:$PATH
unset DISPLAY WAYLAND_DISPLAY
# wine passes the Unix environment on: the installed kyso.exe must use its own
# data and translations, not the source tree's
unset KYSO_DATADIR KYSO_LOCALEDIR
t0=$SECONDS

# Our own wineserver for this prefix; stopped at exit.
stop_wine() { wineserver -k 2>/dev/null || true; }
kh_on_exit stop_wine
stop_wine
rm -rf "$WINEPREFIX"
kh_check "wineboot creates a fresh prefix" bash -c 'wine64 wineboot -i >/dev/null 2>&1; wineserver -w'

# ---- core's Windows layer (tests/windows/core_wintest.c) --------------------
set +e
wine64 "$W/kyso/bin/kyso-core-wintest.exe" >"$KH_TMP/core.raw" 2>&1
crc=$?
set -e
tr -d '\r' <"$KH_TMP/core.raw" | tee "$KH_TMP/core"
kh_check "core Windows layer checks pass under wine (exit $crc)" \
	bash -c "[[ $crc -eq 0 ]] && grep -q ' 0 failed' '$KH_TMP/core'"

C=$WINEPREFIX/drive_c
INST=$C/Program\ Files/kyso
KYSO='C:\Program Files\kyso\kyso.exe'
# wk ARGS...: the installed kyso.exe; stdout without CR in $KH_TMP/out, rc in $rc
wk() {
	set +e
	wine64 "$KYSO" "$@" >"$KH_TMP/out.raw" 2>"$KH_TMP/err"
	rc=$?
	set -e
	tr -d '\r' <"$KH_TMP/out.raw" >"$KH_TMP/out"
}

# ---- silent install --------------------------------------------------------
set +e
wine64 "$setup" /S
irc=$?
set -e
wineserver -w
kh_check "silent install exits 0 (got $irc)" test "$irc" -eq 0
for f in kyso.exe kyso-agent.exe uninstall.exe share/kyso/tokens.json \
	share/locale/vi/LC_MESSAGES/kyso.mo; do
	kh_check "installed: $f" test -s "$INST/$f"
done
SM=$C/ProgramData/Microsoft/Windows/Start\ Menu/Programs/kyso
kh_check "Start menu: Kiểm tra ký số" test -f "$SM/Kiểm tra ký số.lnk"
kh_check "Start menu: Cài đặt token" test -f "$SM/Cài đặt token.lnk"
kh_check "doctor shortcut runs kyso.exe doctor --html" \
	grep -qa 'd.o.c.t.o.r. .-.-.h.t.m.l' "$SM/Kiểm tra ký số.lnk"
regq() { wine64 reg query "$@" 2>/dev/null | tr -d '\r'; }
kh_check "registry: HKLM\\Software\\kyso InstallDir" \
	bash -c "$(declare -f regq); regq 'HKLM\\Software\\kyso' /v InstallDir | grep -q 'C:\\\\Program Files\\\\kyso'"
kh_check "registry: HKLM\\Software\\kyso Version = $version" \
	bash -c "$(declare -f regq); regq 'HKLM\\Software\\kyso' /v Version | grep -q '$version'"
kh_check "registry: uninstall entry with QuietUninstallString" \
	bash -c "$(declare -f regq); regq 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\kyso' /v QuietUninstallString | grep -q 'uninstall.exe\" /S'"

# ---- the installed programs ------------------------------------------------
wk version
kh_check "kyso.exe version exits 0 (got $rc)" test "$rc" -eq 0
kh_check "kyso.exe version names kyso $version" grep -q "^kyso $version\$" "$KH_TMP/out"
wk version --json
kh_check "kyso.exe version --json: os.name is Windows" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["os"]["name"]!="Windows" or d["kyso"]!=sys.argv[2])' \
	"$KH_TMP/out" "$version"
set +e
wine64 'C:\Program Files\kyso\kyso-agent.exe' --version >"$KH_TMP/agent" 2>&1
arc=$?
set -e
kh_check "kyso-agent.exe --version" bash -c "[[ $arc -eq 0 ]] && tr -d '\r' <'$KH_TMP/agent' | grep -q '^kyso-agent $version\$'"

# Vietnamese from the .mo catalog (no libintl on Windows: core/i18n_win.c),
# byte for byte what the Linux build prints.
for lang in vi en; do
	wk --lang "$lang" --help
	cp "$KH_TMP/out" "$KH_TMP/help-win-$lang"
	kh_check "kyso.exe --lang $lang --help exits 0" test "$rc" -eq 0
	if [[ -x $KYSO_BUILD/bin/kyso ]]; then
		"$KYSO_BUILD/bin/kyso" --lang "$lang" --help >"$KH_TMP/help-linux-$lang"
		kh_check "--lang $lang --help is the same text as on Linux" \
			cmp "$KH_TMP/help-win-$lang" "$KH_TMP/help-linux-$lang"
	fi
done
kh_check "Vietnamese help differs from the English one" \
	bash -c "! cmp -s '$KH_TMP/help-win-vi' '$KH_TMP/help-win-en'"
kh_check "Vietnamese help has Vietnamese letters (UTF-8)" grep -q 'ệ\|ộ\|ữ\|ạ\|ố' "$KH_TMP/help-win-vi"

# detect: wine's winscard has no PC/SC service (SCardEstablishContext fails
# with SCARD_F_INTERNAL_ERROR); kyso must say so and exit 3, not crash.
wk detect --json
cp "$KH_TMP/out" "$KH_TMP/detect.json"
echo "detect --json exit $rc:"
head -c 1500 "$KH_TMP/detect.json"
echo
kh_check "kyso.exe detect --json exits 3 (environment error; got $rc)" test "$rc" -eq 3
kh_check "detect --json prints one JSON document" python3 -m json.tool "$KH_TMP/detect.json" /dev/null
kh_check "detect --json reports the PC/SC service as unavailable (pcsc no-service, error no-pcsc-service)" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["pcsc"]["status"]!="no-service" or d["error"]["id"]!="no-pcsc-service" or d["os"]!="windows")' \
	"$KH_TMP/detect.json"
wk detect
kh_check "kyso.exe detect (text) exits 3 (got $rc)" test "$rc" -eq 3
kh_check "kyso.exe detect (text) names the Smart Card service" grep -q 'Smart Card' "$KH_TMP/err"

# doctor: one JSON document and a documented exit code (0-6), never a crash.
wk doctor --json
echo "doctor --json exit $rc: $(head -c 300 "$KH_TMP/out")"
kh_check "kyso.exe doctor --json prints JSON" python3 -m json.tool "$KH_TMP/out" /dev/null
kh_check "kyso.exe doctor --json exit code is a documented one (got $rc)" test "$rc" -le 6

# ---- silent uninstall -------------------------------------------------------
set +e
wine64 'C:\Program Files\kyso\uninstall.exe' /S
urc=$?
set -e
wineserver -w
# the NSIS uninstaller re-runs itself from a temporary copy: wait for it
kh_wait_for 60 bash -c "[[ ! -e '$INST' ]]" || true
kh_check "silent uninstall exits 0 (got $urc)" test "$urc" -eq 0
kh_check "no files left in Program Files\\kyso" bash -c "[[ ! -e '$INST' ]] || { find '$INST'; false; }"
kh_check "no Start menu folder left" test ! -e "$SM"
kh_check "registry key HKLM\\Software\\kyso removed" \
	bash -c "! wine64 reg query 'HKLM\\Software\\kyso' >/dev/null 2>&1"
kh_check "uninstall entry removed" \
	bash -c "! wine64 reg query 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\kyso' >/dev/null 2>&1"

echo "time: wine tests $((SECONDS - t0)) s"
if [[ -f $W/leg-start ]]; then
	echo "time: whole Windows leg (build + wine) $(($(date +%s) - $(cat "$W/leg-start"))) s (limit 1500 s)"
fi
kh_done
