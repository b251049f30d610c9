# windows.wine_token: the staged kyso.exe under wine with a token in it. The
# test winscard.dll (tests/windows/winscard_vpcd.c) plays vpcd's part for the
# harness's virtual cards (kyso-vicc): ePass2003 and Bit4id emulations.
# Checks: no PC/SC service and no reader answered as on Windows; detect names
# both tokens and their readers; a card pulled and put back between runs and
# during `detect --wait`/`--watch`; kyso-pkcs11.dll signs through the
# virtual Bit4id card (pdfsig and openssl on Linux verify); the doctor passes
# its token checks and explains no reader, an unknown token, a missing module
# and a locked PIN. Prints its time.
W=${1:?usage: test_wine_token.sh WORKDIR}
. "$KYSO_SRC/tests/windows/wine_token.sh"
wt_prefix wineprefix-token
export LANGUAGE=en B4PIN=1234

# ---- the PC/SC service -----------------------------------------------------
# no service (the DLL without its port: a stopped Smart Card service)
KYSO_TEST_VPCD_PORT='' wk detect --json --no-usb
cp "$KH_TMP/out" "$KH_TMP/nosvc.json"
kh_check "no Smart Card service: detect exits 3, pcsc no-service (got $rc)" \
	jpy "$KH_TMP/nosvc.json" "$rc == 3 and d['pcsc']['status'] == 'no-service' and d['error']['id'] == 'no-pcsc-service'"
kh_on_fail cat "$KH_TMP/nosvc.json" "$KH_TMP/err"
KYSO_TEST_VPCD_READERS=0 wk detect --json --no-usb
cp "$KH_TMP/out" "$KH_TMP/noreader.json"
kh_check "service without a reader: exit 3, pcsc no-readers, no token (got $rc)" \
	jpy "$KH_TMP/noreader.json" "$rc == 3 and d['pcsc']['status'] == 'no-readers' and d['status'] == 'no-token'"
kh_on_fail cat "$KH_TMP/noreader.json" "$KH_TMP/err"
wk detect --json --no-usb
cp "$KH_TMP/out" "$KH_TMP/empty.json"
kh_check "two empty readers: both listed empty, no token (exit $rc)" \
	jpy "$KH_TMP/empty.json" "$rc == 3 and [r['state'] for r in d['pcsc']['readers']] == ['empty', 'empty'] and d['tokens'] == []"
kh_on_fail cat "$KH_TMP/empty.json"

# ---- detect: ePass2003 in reader 0, Bit4id in reader 1 ---------------------
wt_card 0 "$WT_EPASS_ATR"
wt_b4 1
wk detect --json --no-usb
cp "$KH_TMP/out" "$KH_TMP/two.json"
echo "detect --json (two tokens) exit $rc: $(head -c 1200 "$KH_TMP/two.json")"
kh_check "detect names both tokens: feitian-epass2003, bit4id-tokenme-evo-v2 (exit $rc)" \
	jpy "$KH_TMP/two.json" "$rc == 0 and [t['id'] for t in d['tokens']] == ['feitian-epass2003', 'bit4id-tokenme-evo-v2']"
kh_on_fail cat "$KH_TMP/two.json" "$KH_TMP/err" "$KH_TMP/winscard.log"
kh_check "each token with its reader and ATR" \
	jpy "$KH_TMP/two.json" "[(t['reader'], t['atr']) for t in d['tokens']] == [('Virtual PCD 00 00', '$WT_EPASS_ATR'), ('Virtual PCD 00 01', '$WT_B4_ATR')]"
LANGUAGE= wk detect --no-usb
kh_check "text (Vietnamese by default) names Feitian ePass2003 and USB Token Bit4ID" \
	bash -c "grep -q 'Feitian ePass2003' '$KH_TMP/out' && grep -q 'USB Token Bit4ID' '$KH_TMP/out' && grep -q 'Độ tin cậy' '$KH_TMP/out'"
kh_on_fail cat "$KH_TMP/out"
kh_check "detection sent no APDU to either card" \
	bash -c "! grep -q '^>' '$KH_TMP/card0.apdu' '$KH_TMP/card1.apdu'"

# ---- removal and insertion -------------------------------------------------
wt_remove 0
sleep 1
wk detect --json --no-usb
cp "$KH_TMP/out" "$KH_TMP/removed.json"
kh_on_fail_log() { cat "$KH_TMP/winscard.log" "$KH_TMP/card1.log" | tail -n 40; }
kh_check "ePass2003 pulled out: only the Bit4id is detected, reader 0 empty" \
	jpy "$KH_TMP/removed.json" "[t['id'] for t in d['tokens']] == ['bit4id-tokenme-evo-v2'] and d['pcsc']['readers'][0]['state'] == 'empty'"
kh_on_fail kh_on_fail_log
# inserted while kyso.exe detect --wait is waiting for a token
wt_stop 1
kh_bg "$KH_TMP/wait.raw" wine64 "$KYSO" detect --json --no-usb --wait 60
wait_pid=$KH_LAST_PID
sleep 4
kh_check "detect --wait is still waiting with no card" kill -0 "$wait_pid"
wt_insert 0
set +e
wait "$wait_pid"
wrc=$?
set -e
tr -d '\r' <"$KH_TMP/wait.raw" | sed -n '/^{/,$p' >"$KH_TMP/wait.json"
kh_check "detect --wait returns the ePass2003 inserted while it waited (exit $wrc)" \
	jpy "$KH_TMP/wait.json" "$wrc == 0 and [t['id'] for t in d['tokens']] == ['feitian-epass2003']"
kh_on_fail cat "$KH_TMP/wait.raw"
# --watch: one line per insertion and removal, while it runs
kh_bg "$KH_TMP/watch.raw" wine64 "$KYSO" detect --watch --no-usb
watch_pid=$KH_LAST_PID
kh_wait_for 20 grep -q 'ePass2003' "$KH_TMP/watch.raw" || true
wt_remove 0
kh_wait_for 30 grep -q 'Pulled out' "$KH_TMP/watch.raw" || true
wt_b4 1
kh_wait_for 30 bash -c "[[ \$(grep -c 'Plugged in' '$KH_TMP/watch.raw') -ge 2 ]]" || true
sleep 1
kh_stop "$watch_pid"
tr -d '\r' <"$KH_TMP/watch.raw" >"$KH_TMP/watch.txt"
cat "$KH_TMP/watch.txt"
kh_check "detect --watch saw the ePass2003, its removal and the Bit4id's arrival, in that order" \
	python3 - "$KH_TMP/watch.txt" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
# each event header ("Plugged in:", "Pulled out:") is followed by its token
ev = [(l.split("] ", 1)[1].rstrip(":"), lines[i + 1].split(": ", 1)[1])
      for i, l in enumerate(lines[:-1]) if l.endswith(("Plugged in:", "Pulled out:"))]
print(ev)
sys.exit(0 if ev == [("Plugged in", "Feitian ePass2003"), ("Pulled out", "Feitian ePass2003"),
                     ("Plugged in", "USB Token Bit4ID (Bit4id TokenME EVO v2)")] else 1)
PY

# ---- sign through kyso-pkcs11.dll and the virtual Bit4id card --------------
wt_stop 0
cp "$KYSO_SRC/data/samples/sample-vi.pdf" "$KH_TMP/in.pdf"
wk sign --module "$MOD" --pin-env B4PIN "$(winpath "$KH_TMP/in.pdf")" -o "$(winpath "$KH_TMP/signed.pdf")" --json
cp "$KH_TMP/out" "$KH_TMP/sign.json"
echo "sign --json exit $rc: $(head -c 600 "$KH_TMP/sign.json")"
kh_check "kyso.exe sign --module kyso-pkcs11.dll exits 0 (got $rc)" test "$rc" -eq 0
kh_on_fail bash -c "cat '$KH_TMP/err'; tail -n 30 '$KH_TMP/card1.apdu'"
kh_check "the signer is the card's certificate (Nguyễn Văn An)" \
	jpy "$KH_TMP/sign.json" '"Nguyễn Văn An" in d["signer"]'
kh_check "the card computed the signature (PSO/INTERNAL AUTHENTICATE after VERIFY in its log)" \
	bash -c "grep -q '^> 002000' '$KH_TMP/card1.apdu' && grep -Eq '^> 00(2A|88)' '$KH_TMP/card1.apdu'"
kh_check "pdfsig (Linux) validates the signature made through kyso-pkcs11.dll" \
	sg_pdfsig_all_valid "$KH_TMP/signed.pdf"
kh_check "openssl cms verifies it against the test root" \
	sg_openssl_ok "$KH_TMP/signed.pdf" "$KH_PKI_ROOT_CERT"
kh_check "the input PDF is unchanged" cmp "$KH_TMP/in.pdf" "$KYSO_SRC/data/samples/sample-vi.pdf"

# ---- doctor ----------------------------------------------------------------
# dj FILE CHECK COND: a condition on one check's status; dshow FILE: print the checks
dj() { jpy "$1" "{c['id']: c for c in d['checks']}['$2']['status'] $3"; }
dshow() { python3 -c 'import json,sys; [print("  %-18s %-5s %s | %s" % (c["id"], c["status"], c.get("detail", ""), c.get("remedy") or "")) for c in json.load(open(sys.argv[1]))["checks"]]' "$1"; }
doc() {
	wk doctor --json --offline --no-usb "$@"
	cp "$KH_TMP/out" "$KH_TMP/doc.json"
	dshow "$KH_TMP/doc.json" || cat "$KH_TMP/out" "$KH_TMP/err"
}
doc --module "$MOD" --pin-env B4PIN
for c in pcsc-service readers token-present catalog-match driver-module token-state cert-present cert-key-pair; do
	kh_check "doctor (Bit4id card, kyso-pkcs11.dll): $c passes" dj "$KH_TMP/doc.json" "$c" "== 'pass'"
done
cp "$KH_TMP/doc.json" "$KH_TMP/doctor-green.json"

# faults the prefix can produce, each explained
KYSO_TEST_VPCD_READERS=0 doc
kh_check "no reader: 'readers' fails with a Windows explanation" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['readers']['status'] == 'fail' and c['readers'].get('remedy'))({c['id']: c for c in d['checks']})"
wt_card 1 3B8280014AAB
doc
kh_check "unknown token: catalog-match fails and says the token is not known" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['token-present']['status'] == 'pass' and c['catalog-match']['status'] in ('fail', 'warn') and c['catalog-match'].get('remedy'))({c['id']: c for c in d['checks']})"
wt_b4 1
doc --module 'C:\Program Files\NoVendor\missing-pkcs11.dll'
kh_check "module missing: driver-module fails naming the file" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['driver-module']['status'] == 'fail' and 'missing-pkcs11.dll' in json.dumps(c['driver-module'], ensure_ascii=False))({c['id']: c for c in d['checks']})"
wt_b4 1 --applet-opt tries=0
: >"$KH_TMP/card1.apdu"
LANGUAGE= doc --module "$MOD"
kh_check "PIN locked: token-state fails, Vietnamese 'khóa PIN', remedy: do not try more PINs" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['token-state']['status'] == 'fail' and 'khóa PIN' in c['token-state']['detail'] + c['token-state'].get('remedy', '') and 'đừng thử thêm' in c['token-state'].get('remedy', ''))({c['id']: c for c in d['checks']})"
kh_check "the doctor sent no PIN to the locked card" \
	bash -c "! grep -q '^> 0020000108' '$KH_TMP/card1.apdu'"

# ---- Windows ROOT store: the doctor's chain check --------------------------
# the card carries the sub-CA and the root, but nothing trusts the root yet
wt_b4 1
doc --module "$MOD"
kh_check "root not in the Windows ROOT store: cert-chain fails (self-signed root in the chain)" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['cert-chain']['status'] == 'fail' and c['cert-chain']['data']['system_roots'] >= 0)({c['id']: c for c in d['checks']})"
# IT staff's own anchors (%ProgramData%\kyso\roots, the shipped roots' companion): the doctor
# chains the token's certificate to the root copied there, category "local"
mkdir -p "$C/ProgramData/kyso/roots"
cp "$KH_PKI_ROOT_CERT" "$C/ProgramData/kyso/roots/don-vi-root.pem"
doc --module "$MOD"
kh_check "root in %ProgramData%\\kyso\\roots: cert-chain passes, category local, Kyso Test Root CA" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['cert-chain']['status'] == 'pass' and c['cert-chain']['data']['root_category'] == 'local' and 'Kyso Test Root CA' in c['cert-chain']['data']['root'])({c['id']: c for c in d['checks']})"
kh_on_fail cat "$KH_TMP/doc.json"
rm -rf "$C/ProgramData/kyso/roots"
# the test root added to the prefix's LocalMachine\ROOT store as Windows keeps
# it (registry blob: property 32 = the certificate), without kyso
thumb=$(openssl x509 -in "$KH_PKI_ROOT_CERT" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
blob=$(openssl x509 -in "$KH_PKI_ROOT_CERT" -outform DER | python3 -c 'import struct,sys; d=sys.stdin.buffer.read(); sys.stdout.write((struct.pack("<III", 32, 1, len(d)) + d).hex())')
kh_check "the test root is added to LocalMachine\\ROOT (reg add)" \
	wine64 reg add "HKLM\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\$thumb" /v Blob /t REG_BINARY /d "$blob" /f
doc --module "$MOD"
kh_check "root in the ROOT store: cert-chain passes, chaining to Kyso Test Root CA" \
	jpy "$KH_TMP/doc.json" "(lambda c: c['cert-chain']['status'] == 'pass' and 'Kyso Test Root CA' in c['cert-chain']['data']['root'] and c['cert-chain']['data']['system_roots'] >= 1)({c['id']: c for c in d['checks']})"
kh_on_fail cat "$KH_TMP/doc.json"

# ---- the Start-menu shortcut "Kiểm tra ký số" --------------------------------
# its command (installer/windows/kyso.nsi), in the profile folder; the
# default browser is wine's winebrowser (registered for .html), which hands
# the page to xdg-open: a stub on PATH records it
mkdir -p "$KH_TMP/bin"
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\n' "$KH_TMP/browser.log" >"$KH_TMP/bin/xdg-open"
chmod +x "$KH_TMP/bin/xdg-open"
wine64 reg add 'HKCR\.html' /ve /d htmlfile /f >/dev/null
wine64 reg add 'HKCR\htmlfile\shell\open\command' /ve /d '"C:\windows\system32\winebrowser.exe" "%1"' /f >/dev/null
prof=$(wine64 cmd /c 'echo %USERPROFILE%' 2>/dev/null | tr -d '\r')
prof_u=$(wine64 winepath.exe -u "$prof" 2>/dev/null | tr -d '\r')
read -r -a SC_ARGS < <(sed -n "s/^ *'\(doctor --html [^']*\)'.*/\1/p" "$KYSO_SRC/installer/windows/kyso.nsi")
echo "shortcut: kyso.exe ${SC_ARGS[*]} in $prof"
# shortcut NAME: the shortcut's command, its keyboard a FIFO ($SC_KEYS)
shortcut() {
	rm -f "$KH_TMP/keys" "$KH_TMP/browser.log"
	mkfifo "$KH_TMP/keys"
	kh_bg "$KH_TMP/$1.raw" bash -c 'cd "$1" && f=$2 && shift 2 && exec env PATH="$0:$PATH" wine64 "$@" <"$f"' \
		"$KH_TMP/bin" "$prof_u" "$KH_TMP/keys" "$KYSO" "${SC_ARGS[@]}"
	SC_PID=$KH_LAST_PID
	exec {SC_KEYS}>"$KH_TMP/keys"
}
# press KEYS: type them and wait for the end ($rc); output in $KH_TMP/NAME.txt
press() {
	printf '%s' "$2" >&"$SC_KEYS"
	exec {SC_KEYS}>&-
	set +e
	wait "$SC_PID"
	rc=$?
	set -e
	tr -d '\r' <"$KH_TMP/$1.raw" >"$KH_TMP/$1.txt"
}
export -n LANGUAGE
shortcut sc
kh_wait_for 60 test -s "$KH_TMP/browser.log" || true
kh_check "the browser got the report page (ShellExecuteW -> winebrowser -> xdg-open file://...)" \
	grep -q "^file://$prof_u/kyso-kiem-tra-ky-so.html" "$KH_TMP/browser.log"
kh_on_fail cat "$KH_TMP/sc.raw"
kh_check "the page is the doctor's report, in the profile folder" grep -q '<html' "$prof_u/kyso-kiem-tra-ky-so.html"
sleep 1
kh_check "the console stays: kyso.exe waits for a key" kill -0 "$SC_PID"
press sc x
kh_check "its line says where the report is and to press a key, in Vietnamese" \
	bash -c "grep -q 'Báo cáo đã được mở trong trình duyệt: C:' '$KH_TMP/sc.txt' && grep -q 'Nhấn phím bất kỳ để đóng cửa sổ này.' '$KH_TMP/sc.txt'"
kh_on_fail cat "$KH_TMP/sc.txt"
# a collector configured (%APPDATA%\kyso\config.json): the offer and the upload
appdata_u=$(wine64 winepath.exe -u "$(wine64 cmd /c 'echo %APPDATA%' 2>/dev/null | tr -d '\r')" 2>/dev/null | tr -d '\r')
. "$KYSO_SRC/tests/windows/collector.sh"
kh_collector_start "$KH_TMP/collector.db" "$appdata_u/kyso"
shortcut send
kh_wait_for 60 grep -q 'Gửi cho bộ phận hỗ trợ' "$KH_TMP/send.raw" || true
press send 'c '
kh_check "with a collector: 'Gửi cho bộ phận hỗ trợ?' offered, answered c, 'đã nhận được' said" \
	bash -c "grep -q 'Gửi cho bộ phận hỗ trợ? Nhấn c để gửi' '$KH_TMP/send.txt' && grep -q 'Bộ phận hỗ trợ đã nhận được báo cáo.' '$KH_TMP/send.txt'"
kh_on_fail cat "$KH_TMP/send.txt"
kh_check "the collector holds the report sent from wine (1, os Windows)" \
	bash -c "kyso reports --db '$KH_TMP/collector.db' summary --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d[\"total\"] == 1 and all(k.startswith(\"Windows\") for k in d[\"by_os\"])))'"
kh_stop "$COLLECTOR_PID"
rm -f "$appdata_u/kyso/config.json"

echo "windows.wine_token: $((SECONDS - t0)) s"
kh_done
