# Prelude of the wine tests with a token in it (issue 22), sourced with W
# (the Windows work directory) set: the harness (lib.sh), the signer tests'
# PKI, tokens and NSS db for pdfsig (sg_setup), t0 for the time, and
#   wt_prefix NAME     a fresh private prefix $W/NAME (own wineserver, stopped
#                      at exit) with the test winscard.dll in system32
#   wt_card IDX ATR [kyso-vicc options]   a virtual card in reader IDX
#   wt_b4 IDX [options]  the Bit4id emulation (test PKI RSA signer, PIN 1234)
#   wt_remove IDX / wt_insert IDX / wt_stop IDX   pull, put back, end a card
#   wx EXE ARGS...     run a Windows program: stdout (no CR) $KH_TMP/out,
#                      stderr $KH_TMP/err, exit code $rc
# The cards speak vpcd's protocol to the test winscard.dll
# (tests/windows/winscard_vpcd.c), which listens on $KYSO_TEST_VPCD_PORT + IDX
# in the first process that opens a PC/SC context (a second one at the same
# time sees empty readers).
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup
t0=$SECONDS
S=$W/stage
WT_WINSCARD=$W/kyso/bin/winscard.dll
WT_B4_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3
WT_EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
for f in "$S/kyso.exe" "$S/kyso-pkcs11.dll" "$WT_WINSCARD"; do
	[[ -s $f ]] || {
		kh_fail "$f missing (windows.build failed?)"
		kh_done
	}
done

winpath() { printf 'Z:%s' "${1//\//\\}"; }

wt_stop_wine() { wineserver -k 2>/dev/null || true; }

wt_prefix() {
	export WINEPREFIX=$W/$1 WINEARCH=win64 WINEDEBUG=-all
	export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe=d;winscard=n"
	export PATH=/usr/lib/wine:$PATH
	unset DISPLAY WAYLAND_DISPLAY KYSO_DATADIR KYSO_LOCALEDIR KYSO_SYSCONFDIR KYSO_P11_PATH
	kh_on_exit wt_stop_wine
	wt_stop_wine
	rm -rf "$WINEPREFIX"
	kh_check "wineboot creates a fresh prefix ($1)" bash -c 'wine64 wineboot -i >/dev/null 2>&1; wineserver -w'
	C=$WINEPREFIX/drive_c
	# wine's own winscard.dll is a stub without a service; ours replaces it
	cp "$WT_WINSCARD" "$C/windows/system32/winscard.dll"
	export KYSO_TEST_VPCD_PORT
	KYSO_TEST_VPCD_PORT=$(kh_free_port)
	export KYSO_TEST_VPCD_READERS=2 KYSO_TEST_VPCD_LOG=$KH_TMP/winscard.log
}

declare -A WT_CARD
wt_card() {
	local idx=$1 atr=$2
	shift 2
	[[ -n ${WT_CARD[$idx]:-} ]] && wt_stop "$idx"
	: >"$KH_TMP/card$idx.apdu"
	kh_bg "$KH_TMP/card$idx.log" kyso-vicc --port $((KYSO_TEST_VPCD_PORT + idx)) --atr "$atr" \
		--apdu-log "$KH_TMP/card$idx.apdu" --connect-timeout 3600 "$@"
	WT_CARD[$idx]=$KH_LAST_PID
}
wt_b4() {
	local idx=$1
	shift
	wt_card "$idx" "$WT_B4_ATR" --applet bit4id --applet-opt "key=$KH_PKI_SIGNER_RSA_KEY" \
		--applet-opt "cert=$KH_PKI_SIGNER_RSA_CERT" --applet-opt "ca=$KH_PKI_SUBCA_CERT" \
		--applet-opt "ca=$KH_PKI_ROOT_CERT" "$@"
}
wt_remove() { kill -USR1 "${WT_CARD[$1]}"; }
wt_insert() { kill -USR2 "${WT_CARD[$1]}"; }
wt_stop() {
	kh_stop "${WT_CARD[$1]}"
	unset "WT_CARD[$1]"
}

wx() {
	local exe=$1
	shift
	set +e
	wine64 "$exe" "$@" >"$KH_TMP/out.raw" 2>"$KH_TMP/err.raw"
	rc=$?
	set -e
	tr -d '\r' <"$KH_TMP/out.raw" >"$KH_TMP/out"
	tr -d '\r' <"$KH_TMP/err.raw" >"$KH_TMP/err"
}
KYSO=$(winpath "$S/kyso.exe")
MOD=$(winpath "$S/kyso-pkcs11.dll")
# wk ARGS...: the staged kyso.exe
wk() { wx "$KYSO" "$@"; }
# jpy FILE 'python expression over d': a check on a JSON file
jpy() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
