# windows.wine: the installer built by windows.build, run under wine64 in a
# private, headless prefix: silent install, files, shortcuts and registry keys,
# the installed kyso.exe (version, Vietnamese/English text, detect without a
# PC/SC service, sign and verify with SoftHSM2 cross-built as a Windows DLL,
# the signed PDF checked by pdfsig on Linux, doctor and reports), silent uninstall leaving
# nothing behind. Prints the time of the wine part and of the whole Windows leg.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
W=${1:?usage: test_wine.sh WORKDIR}
# KH_TMP, the test PKI, private SoftHSM2 tokens (made by Linux's SoftHSM2:
# its token files are the same on Windows) and an NSS db for pdfsig
sg_setup
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
for f in kyso.exe kyso-agent.exe uninstall.exe share/kyso/tokens.json share/kyso/roots/vnrca256.pem \
	share/kyso/roots/roots.tsv share/kyso/roots/README.md share/kyso/roots/intermediates/vnpt-ca-sha2.pem \
	share/kyso/roots/intermediates/government/vgca-cpca-g2.pem \
	share/locale/vi/LC_MESSAGES/kyso.mo; do
	kh_check "installed: $f" test -s "$INST/$f"
done
SM=$C/ProgramData/Microsoft/Windows/Start\ Menu/Programs/kyso
kh_check "Start menu: Kiểm tra ký số" test -f "$SM/Kiểm tra ký số.lnk"
kh_check "Start menu: Cài đặt token" test -f "$SM/Cài đặt token.lnk"
kh_check "doctor shortcut runs kyso.exe doctor --html kyso-kiem-tra-ky-so.html --show" \
	grep -qa 'd.o.c.t.o.r. .-.-.h.t.m.l. .k.y.s.o.-.k.i.e.m.-.t.r.a.-.k.y.-.s.o...h.t.m.l. .-.-.s.h.o.w' "$SM/Kiểm tra ký số.lnk"
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

# ---- sign / verify with a Windows PKCS#11 module ---------------------------
# SoftHSM2 cross-built as a DLL (build-deps.sh WORKDIR softhsm2) on a copy of
# the Linux-made token store; wine sees the Unix file system as drive Z:.
winpath() { printf 'Z:%s' "${1//\//\\}"; }
HSMDLL=$W/prefix/softhsm2/libsofthsm2.dll
kh_check "SoftHSM2 DLL built for Windows" \
	bash -c "x86_64-w64-mingw32-objdump -f '$HSMDLL' | grep -q 'pei-x86-64'"
cp -r "$SG_HSM/tokens" "$KH_TMP/wtokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$(winpath "$KH_TMP/wtokens")" >"$KH_TMP/softhsm2-win.conf"
cp "$KYSO_SRC/data/samples/sample-vi.pdf" "$KH_TMP/in.pdf"
# wsign ARGS...: kyso.exe sign with the Windows SoftHSM2 token kyso-rsa
wsign() {
	SOFTHSM2_CONF=$(winpath "$KH_TMP/softhsm2-win.conf") \
		wk sign --module "$(winpath "$HSMDLL")" --token kyso-rsa --pin-env SG_PIN "$@"
}
wsign "$(winpath "$KH_TMP/in.pdf")" -o "$(winpath "$KH_TMP/signed.pdf")" --json
cp "$KH_TMP/out" "$KH_TMP/sign.json"
echo "sign --json exit $rc: $(head -c 600 "$KH_TMP/sign.json")"
kh_check "kyso.exe sign exits 0 (got $rc)" test "$rc" -eq 0
kh_on_fail cat "$KH_TMP/err"
kh_check "kyso.exe sign --json names the signer" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit("CN=Nguyễn Văn An" not in d["signer"])' \
	"$KH_TMP/sign.json"
kh_check "signed PDF is an incremental update of the input" \
	cmp -n "$(stat -c %s "$KH_TMP/in.pdf")" "$KH_TMP/in.pdf" "$KH_TMP/signed.pdf"
kh_check "pdfsig (Linux) validates the signature made on Windows" \
	sg_pdfsig_all_valid "$KH_TMP/signed.pdf"
kh_check "openssl cms verifies the CMS against the test root" \
	sg_openssl_ok "$KH_TMP/signed.pdf" "$KH_PKI_ROOT_CERT"

# second signature: visible (HarfBuzz/hb-subset DLLs, PNG image) with an
# RFC 3161 time stamp from the harness TSA (libcurl DLL)
. "$KYSO_HARNESS/tsa/tsa.sh"
kh_tsa_start "$KH_TMP/tsa"
python3 - "$KH_TMP/stamp.png" <<'PY'
import struct, sys, zlib
w, h = 40, 20
px = lambda x, y: bytes([200, 30, 30, 255 if (x + y) % 3 else 80])
raw = b"".join(b"\0" + b"".join(px(x, y) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n"
                              + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
wsign "$(winpath "$KH_TMP/signed.pdf")" -o "$(winpath "$KH_TMP/signed2.pdf")" \
	--rect 50,50,220,70 --font "$(winpath "$FONT")" --image "$(winpath "$KH_TMP/stamp.png")" \
	--role approve --tsa "$KH_TSA_URL"
kh_check "kyso.exe sign (visible, time stamp) exits 0 (got $rc)" test "$rc" -eq 0
kh_on_fail cat "$KH_TMP/err"
kh_check "pdfsig validates both signatures" sg_pdfsig_all_valid "$KH_TMP/signed2.pdf"
kh_check "pdfsig sees 2 signatures" test "$(sg_pdfsig_count "$KH_TMP/signed2.pdf")" -eq 2
kh_check "the harness TSA granted one request" \
	bash -c "curl -s '${KH_TSA_URL}stats' | grep -qx 'granted 1'"
mkdir -p "$KH_TMP/x2"
sg_extract "$KH_TMP/signed2.pdf" "$KH_TMP/x2"
kh_check "time-stamp token in the second signature's unsigned attributes" \
	python3 "$KYSO_SRC/tests/appearance/tst_extract.py" "$KH_TMP/x2/sig.der" "$KH_TMP/x2"
kh_check "openssl ts -verify accepts the token over the signature value" \
	openssl ts -verify -data "$KH_TMP/x2/sigvalue" -in "$KH_TMP/x2/token.der" -token_in \
	-CAfile "$KH_TSA_CHAIN"
kh_check "visible signature embeds a subset font (FontFile2) and the image (SMask)" \
	bash -c "qpdf --qdf --object-streams=disable '$KH_TMP/signed2.pdf' - 2>/dev/null | grep -qa FontFile2 &&
		qpdf --qdf --object-streams=disable '$KH_TMP/signed2.pdf' - 2>/dev/null | grep -qa SMask"

wk verify "$(winpath "$KH_TMP/signed2.pdf")" --ca "$(winpath "$KH_PKI_ROOT_CERT")" --json
cp "$KH_TMP/out" "$KH_TMP/verify.json"
echo "verify --json exit $rc: $(head -c 400 "$KH_TMP/verify.json")"
kh_check "kyso.exe verify exits 0 on the signed PDF (got $rc)" test "$rc" -eq 0
kh_on_fail cat "$KH_TMP/err"
kh_check "kyso.exe verify --json: one JSON document" python3 -m json.tool "$KH_TMP/verify.json" /dev/null
kh_check "kyso.exe verify: file and both signatures TOTAL-PASSED, the shipped Vietnamese roots loaded from the install" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["indication"] == "TOTAL-PASSED" and [s["indication"] for s in d["signatures"]] == ["TOTAL-PASSED"] * 2 and any("vnrca256.pem" in a and "kyso" in a for a in d["anchors"])))' \
	"$KH_TMP/verify.json"
wk verify "$(winpath "$KH_TMP/signed2.pdf")" --json
cp "$KH_TMP/out" "$KH_TMP/verify-untrusted.json"
kh_check "kyso.exe verify without the test root: exit 7 INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND (got $rc)" \
	bash -c "[[ $rc -eq 7 ]] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d[\"signatures\"][0][\"sub_indication\"] != \"NO_CERTIFICATE_CHAIN_FOUND\")' '$KH_TMP/verify-untrusted.json'"
# IT staff's own anchors: %ProgramData%\kyso\roots
mkdir -p "$C/ProgramData/kyso/roots"
cp "$KH_PKI_ROOT_CERT" "$C/ProgramData/kyso/roots/test-root.pem"
wk verify "$(winpath "$KH_TMP/signed2.pdf")" --json --html "$(winpath "$KH_TMP/verify.html")"
cp "$KH_TMP/out" "$KH_TMP/verify-rootsd.json"
kh_check "kyso.exe verify with the test root in %ProgramData%\\kyso\\roots (no --ca): exit 0 (got $rc), anchor listed" \
	bash -c "[[ $rc -eq 0 ]] && grep -qi 'ProgramData.*kyso.*roots.*test-root.pem' '$KH_TMP/verify-rootsd.json'"
kh_on_fail cat "$KH_TMP/err"
kh_check "kyso.exe verify --html: a self-contained page with both cards" \
	bash -c "grep -c 'class=\"card ok\"' '$KH_TMP/verify.html' | grep -qx 2 && ! grep -qiE '(src|href)=\"(http|file)|<script' '$KH_TMP/verify.html'"
rm -rf "$C/ProgramData/kyso/roots"
# a changed byte inside the signed range: verify must say so
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[len(d)//3]^=0x20; open(sys.argv[2],"wb").write(d)' \
	"$KH_TMP/signed2.pdf" "$KH_TMP/bad.pdf"
wk verify "$(winpath "$KH_TMP/bad.pdf")" --ca "$(winpath "$KH_PKI_ROOT_CERT")" --json
cp "$KH_TMP/out" "$KH_TMP/verify-bad.json"
kh_check "kyso.exe verify on a modified signed PDF: exit 1 TOTAL-FAILED (got $rc)" \
	bash -c "[[ $rc -eq 1 ]] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d[\"indication\"] != \"TOTAL-FAILED\")' '$KH_TMP/verify-bad.json'"

# ---- doctor / reports -------------------------------------------------------
# The real checks of kyso doctor, in their order. wine has no Smart Card
# service, so the first failing check is pcsc-service, with the Windows remedy
# (services.msc / sc start SCardSvr), and the exit code is 1 (a check failed).
# --offline: no clock/TSA/revocation requests (no network here).
dj() { python3 "$KYSO_SRC/tests/windows/doctor_json.py" "$@"; }
t_doc=$SECONDS
wk doctor --json --offline
cp "$KH_TMP/out" "$KH_TMP/doctor.json"
echo "doctor --json exit $rc: $(head -c 300 "$KH_TMP/doctor.json")"
kh_check "kyso.exe doctor --json exits 1 (a check failed; got $rc)" test "$rc" -eq 1
kh_on_fail cat "$KH_TMP/err"
kh_check "doctor --json: the 19 checks in order, os Windows" dj order "$KH_TMP/doctor.json"
kh_check "doctor --json: first failing check is pcsc-service, Smart Card service remedy" \
	dj pcsc "$KH_TMP/doctor.json"
kh_on_fail cat "$KH_TMP/doctor.json"
kh_check "doctor --json: module registration is 'not applicable' on Windows (skip)" \
	dj na "$KH_TMP/doctor.json"
kh_check "doctor --json: no Linux remedy (systemctl, apt, sudo, pcscd) anywhere" \
	bash -c "! grep -Eq 'systemctl|apt install|sudo |pcscd|timedatectl' '$KH_TMP/doctor.json'"
wk --lang vi doctor --offline
kh_check "kyso.exe --lang vi doctor (text) exits 1 and says the Vietnamese Windows remedy" \
	bash -c "[[ $rc -eq 1 ]] && grep -q 'Dịch vụ Smart Card' '$KH_TMP/out' && grep -q 'sc start SCardSvr' '$KH_TMP/out'"
kh_on_fail cat "$KH_TMP/out"

# --module: the SoftHSM2 DLL is loaded and its token looked at (module and
# token checks pass; PC/SC still fails)
SOFTHSM2_CONF=$(winpath "$KH_TMP/softhsm2-win.conf") \
	wk doctor --json --offline --no-usb --module "$(winpath "$HSMDLL")" --token kyso-rsa
cp "$KH_TMP/out" "$KH_TMP/doctor-module.json"
kh_check "doctor --module libsofthsm2.dll: driver-module and token-state pass, cert found" \
	dj module "$KH_TMP/doctor-module.json"
kh_on_fail cat "$KH_TMP/doctor-module.json" "$KH_TMP/err"

# --html writes the report as a web page
wk doctor --offline --html "$(winpath "$KH_TMP/doctor.html")"
kh_check "doctor --html writes the report (exit 1, page names the Smart Card service)" \
	bash -c "[[ $rc -eq 1 ]] && grep -q '<html' '$KH_TMP/doctor.html' && grep -q 'SCardSvr' '$KH_TMP/doctor.html'"

# --save: the zip lands in %LOCALAPPDATA%\kyso\reports; --send to a collector
# that is not there exits 6 and keeps its zip in the outbox (%LOCALAPPDATA%\kyso\outbox)
lad=$(wine64 cmd /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')
lad_u=$(wine64 winepath.exe -u "$lad" 2>/dev/null | tr -d '\r')
wk doctor --offline --save
kh_check "doctor --save: exit 1, zip in %LOCALAPPDATA%\\kyso\\reports ($lad)" \
	bash -c "[[ $rc -eq 1 ]] && ls '$lad_u'/kyso/reports/kyso-doctor-*.zip >/dev/null"
kh_on_fail cat "$KH_TMP/out" "$KH_TMP/err"
z=$(find "$lad_u/kyso/reports" -name 'kyso-doctor-*.zip' 2>/dev/null | head -n 1)
kh_check "the zip holds report.json/html/txt, versions.txt, logs/doctor.log" \
	python3 -c 'import sys,zipfile; n=set(zipfile.ZipFile(sys.argv[1]).namelist()); sys.exit({"report.json","report.html","report.txt","versions.txt","logs/doctor.log"}-n != set())' "$z"
KYSO_REPORT_TOKEN=t0123456789abcdef wk doctor --offline --json --send http://127.0.0.1:9/api/v1/reports
kh_check "doctor --send without a collector exits 6 and keeps the zip in the outbox" \
	bash -c "[[ $rc -eq 6 ]] && [[ \$(ls '$lad_u'/kyso/outbox/kyso-doctor-*.zip | wc -l) -eq 1 ]] && grep -q 'kyso-doctor-' '$KH_TMP/err'"
kh_on_fail cat "$KH_TMP/err"

# kyso reports: ingest that folder into the default store
# (%LOCALAPPDATA%\kyso\reports.db), then the summary grouped by failing check
wk reports ingest "$lad\\kyso\\reports"
kh_check "kyso.exe reports ingest %LOCALAPPDATA%\\kyso\\reports: 1 added (exit $rc)" \
	bash -c "[[ $rc -eq 0 ]] && grep -q '^1 ' '$KH_TMP/out' && test -s '$lad_u/kyso/reports.db'"
kh_on_fail cat "$KH_TMP/out" "$KH_TMP/err"
wk reports ingest "$lad\\kyso\\outbox"
kh_check "kyso.exe reports ingest %LOCALAPPDATA%\\kyso\\outbox: 1 added (exit $rc)" \
	bash -c "[[ $rc -eq 0 ]] && grep -q '^1 ' '$KH_TMP/out'"
kh_on_fail cat "$KH_TMP/out" "$KH_TMP/err"
wk reports summary --json
kh_check "kyso.exe reports summary: 2 reports, pcsc-service failing in 2, os Windows" \
	dj summary "$KH_TMP/out"
kh_on_fail cat "$KH_TMP/out" "$KH_TMP/err"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$KH_TMP/doctor.json")
wk reports ingest "$(winpath "$KH_TMP/doctor.json")"
wk reports show "$id"
kh_check "kyso.exe reports show ID (the --json report ingested) names the Windows remedy" \
	bash -c "[[ $rc -eq 0 ]] && grep -q 'SCardSvr' '$KH_TMP/out'"

# the helpdesk's collector under wine: kyso.exe reports serve (libmicrohttpd)
# on a loopback port, kyso.exe doctor --send to it, the collector's store
# counts the report
ctok=kyso-wine-collector-0123456789
cport=$(kh_free_port)
kh_bg "$KH_TMP/serve.log" env KYSO_REPORT_TOKEN=$ctok wine64 "$KYSO" reports \
	--db "$(winpath "$KH_TMP/collector.db")" serve --listen "127.0.0.1:$cport"
serve_pid=$KH_LAST_PID
kh_wait_for 60 grep -q "127.0.0.1:$cport/api/v1/reports" "$KH_TMP/serve.log" || true
kh_check "kyso.exe reports serve listens on 127.0.0.1:$cport" \
	grep -q "127.0.0.1:$cport/api/v1/reports" "$KH_TMP/serve.log"
kh_on_fail cat "$KH_TMP/serve.log"
KYSO_REPORT_TOKEN=$ctok wk --lang en doctor --offline --send "http://127.0.0.1:$cport/api/v1/reports"
kh_check "doctor --send to the collector: exit 1 (checks failed), report sent" \
	bash -c "[[ $rc -eq 1 ]] && grep -q 'sent to http://127.0.0.1:$cport/' '$KH_TMP/out'"
kh_on_fail cat "$KH_TMP/err" "$KH_TMP/serve.log"
wk reports --db "$(winpath "$KH_TMP/collector.db")" summary --json
kh_check "the collector stored and counted it (1 report, pcsc-service failing)" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["total"]==1 and d["by_failing_check"].get("pcsc-service")==1))' "$KH_TMP/out"
kh_stop "$serve_pid"
kh_wait_for 20 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$cport) 2>/dev/null" || true
echo "time: doctor/reports under wine $((SECONDS - t_doc)) s"

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
