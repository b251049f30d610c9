#!/usr/bin/env bash
# signer.chooser: several signing certificates on one token (issue 23). A
# SoftHSM token holding two (the RSA signer and, imported beside it, the EC
# signer); `kyso sign` on a private Xvfb shows the certificate chooser
# (kyso-choose, GTK), driven with xdotool: its Vietnamese text, each
# choice signs with the certificate chosen (pdfsig names the signer), Escape
# cancels with the documented cancel code (exit 4, pin-cancelled) and asks
# no PIN; a scripted run (--pin-env) gets the error naming the certificates,
# no dialog. Screenshots in WORKDIR/chooser.
set -u
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup
for tool in Xvfb xdotool xwd pkcs11-tool pdfsig; do
	command -v "$tool" >/dev/null || {
		kh_fail "$tool missing (.dev/packages/*.txt)"
		kh_done
	}
done
SHOTS=${KYSO_ARTEFACTS:-$KYSO_BUILD/artefacts}/chooser
mkdir -p "$SHOTS"
M=$KH_P11_MODULE
p11() { pkcs11-tool --module "$M" --token-label kyso-rsa --login --pin "$SG_PIN" "$@"; }
kh_check "the EC signer's key goes onto kyso-rsa" p11 --write-object "$KH_PKI_SIGNER_EC_KEY_DER" \
	--type privkey --id 05 --label "second" >/dev/null
kh_check "and its certificate" p11 --write-object "$KH_PKI_SIGNER_EC_CERT_DER" --type cert --id 05 \
	--label "second" >/dev/null

kh_bg "$KH_TMP/xvfb.log" Xvfb -displayfd 1 -screen 0 1024x768x24 -nolisten tcp
kh_wait_for 20 grep -Eq '^[0-9]+$' "$KH_TMP/xvfb.log" || true
DISPLAY=:$(grep -E '^[0-9]+$' "$KH_TMP/xvfb.log" | head -n 1)
export DISPLAY
kh_check "Xvfb runs on $DISPLAY" xdotool getdisplaygeometry

# the fake pinentry of test_token.sh's kind: logs, answers the PIN
cat >"$KH_TMP/pinentry" <<'PE'
#!/usr/bin/env bash
echo "OK Pleased to meet you"
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$FAKE_PINENTRY_LOG"
	case $line in
	GETPIN) printf 'D %s\nOK\n' "$SG_PIN" ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PE
chmod +x "$KH_TMP/pinentry"
export FAKE_PINENTRY_LOG=$KH_TMP/pinentry.log
: >"$FAKE_PINENTRY_LOG"
IN=$KH_TMP/in.pdf
kyso_sample_pdf() { find /usr/share/doc -name '*.pdf' -size -400k 2>/dev/null | head -1; }
cp "$(kyso_sample_pdf)" "$IN"

# chooser_run NAME KEYS...: kyso sign in the background, the chooser answered
# with KEYS (xdotool key names); sets RC
chooser_run() {
	local name=$1 w=""
	shift
	kyso --lang vi sign "$IN" -o "$KH_TMP/$name.pdf" --module "$M" --token kyso-rsa \
		--pinentry "$KH_TMP/pinentry" >"$KH_TMP/$name.out" 2>"$KH_TMP/$name.err" &
	local pid=$!
	for _ in $(seq 1 120); do
		w=$(xdotool search --onlyvisible --name '^kyso - chọn chứng thư số$' 2>/dev/null | head -n 1) || true
		[[ -n $w ]] && break
		sleep 0.5
	done
	if [[ -z $w ]]; then
		kh_fail "$name: no chooser window"
		kill "$pid" 2>/dev/null
		wait "$pid"
		RC=99
		return
	fi
	sleep 0.5
	xdotool windowfocus --sync "$w" 2>/dev/null || true
	xwd -root -silent -out "$KH_TMP/$name.xwd" &&
		python3 "$KYSO_SRC/tests/windows/xwd2png.py" "$KH_TMP/$name.xwd" "$SHOTS/$name.png"
	xdotool key --delay 150 "$@"
	RC=0
	wait "$pid" || RC=$?
}

signer_of() { pdfsig -nssdir "sql:$SG_NSS" "$1" 2>/dev/null | sed -n 's/.*Signer Certificate Common Name: //p' | head -1; }

chooser_run first Return
kh_check "first choice: signed" test "$RC" -eq 0 -a -s "$KH_TMP/first.pdf"
kh_check "the screenshot was kept" test -s "$SHOTS/first.png"
chooser_run second Down Return
kh_check "second choice: signed" test "$RC" -eq 0 -a -s "$KH_TMP/second.pdf"
S1=$(signer_of "$KH_TMP/first.pdf")
S2=$(signer_of "$KH_TMP/second.pdf")
echo "signers: '$S1' / '$S2'"
kh_check "each choice signs with its own certificate" test -n "$S1" -a -n "$S2" -a "$S1" != "$S2"
kh_check "both are the token's signers" bash -c "grep -qx -e '$KH_PKI_SIGNER_RSA_CN' -e '$KH_PKI_SIGNER_EC_CN' <<<'$S1' && grep -qx -e '$KH_PKI_SIGNER_RSA_CN' -e '$KH_PKI_SIGNER_EC_CN' <<<'$S2'"
n0=$(grep -c '^GETPIN' "$FAKE_PINENTRY_LOG")
chooser_run cancel Escape
echo "cancel: exit $RC: $(cat "$KH_TMP/cancel.err")"
kh_check "Escape cancels: exit 4" test "$RC" -eq 4
kh_check "Escape cancels: pin-cancelled / Vietnamese" grep -qi "huỷ\|hủy" "$KH_TMP/cancel.err"
kh_check "Escape cancels: no PIN asked" test "$(grep -c '^GETPIN' "$FAKE_PINENTRY_LOG")" -eq "$n0"
kh_check "Escape cancels: no output" test ! -e "$KH_TMP/cancel.pdf"
rc=0
kyso --lang vi sign "$IN" -o "$KH_TMP/batch.pdf" --module "$M" --token kyso-rsa --pin-env SG_PIN \
	>/dev/null 2>"$KH_TMP/batch.err" || rc=$?
kh_check "--pin-env: no dialog, exit 2 naming the certificates" test "$rc" -eq 2
kh_check "--pin-env: the message names both" grep -q -- "--key-id" "$KH_TMP/batch.err"
kh_done
