# Shared setup for the agent tests. Source after lib.sh:
#   . "$KYSO_HARNESS/lib.sh"; . "$KYSO_SRC/tests/agent/common.sh"; ag_setup
# Gives the signer test setup (SoftHSM tokens, PKI, NSS db for pdfsig: sg_*), a fake
# pinentry (answers the PIN, or cancels while $AG_WORK/cancel exists; logs to
# $AG_PELOG), a test web system (files + FileUploadHandler) and ag_start.

# shellcheck source=../signer/common.sh
. "$KYSO_SRC/tests/signer/common.sh"

ag_setup() {
	sg_setup
	export AG_WORK=$KH_TMP/work AG_PELOG=$KH_TMP/pinentry.log
	mkdir -p "$AG_WORK"
	: >"$AG_PELOG"
	cat >"$KH_TMP/pinentry" <<'PE'
#!/usr/bin/env bash
# fake pinentry: assuan on stdin/stdout, logs what it is told. Cancels while
# $AG_WORK/cancel exists; a CONFIRM with a third button (SETNOTOK) gets that
# button while $AG_WORK/remember exists, else OK. Two ways real pinentries
# answer a Cancel with NOT_CONFIRMED (the code of the third button), each
# while its file exists: $AG_WORK/old (a pinentry without SETNOTOK: two
# buttons, its Cancel is NOT_CONFIRMED) and $AG_WORK/closed (the window's
# close button: status BUTTON_INFO close, then NOT_CONFIRMED).
echo "OK Pleased to meet you"
notok=0
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$AG_PELOG"
	case $line in
	SETNOTOK*)
		if [[ -e $AG_WORK/old ]]; then
			echo "ERR 536871187 Unknown IPC command <User defined source 1>"
		else
			notok=1
			echo OK
		fi ;;
	CONFIRM)
		if [[ -e $AG_WORK/cancel ]]; then
			echo "ERR 83886179 Operation cancelled <Pinentry>"
		elif [[ -e $AG_WORK/old ]]; then
			echo "ERR 83886194 Not confirmed <Pinentry>"
		elif [[ -e $AG_WORK/closed ]]; then
			echo "S BUTTON_INFO close"
			echo "ERR 83886194 Not confirmed <Pinentry>"
		elif [[ -e $AG_WORK/remember && $notok == 1 ]]; then
			echo "ERR 83886194 Not confirmed <Pinentry>"
		else
			echo OK
		fi ;;
	GETPIN)
		if [[ -e $AG_WORK/cancel ]]; then
			echo "ERR 83886179 Operation cancelled <Pinentry>"
		else
			printf 'D %s\nOK\n' "$SG_PIN"
		fi ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PE
	chmod +x "$KH_TMP/pinentry"
	export AG_PDF=$KH_TMP/in.pdf
	kyso_sample_pdf "$AG_PDF"
	# the test web system
	export AG_FILESDIR=$KH_TMP/web
	mkdir -p "$AG_FILESDIR/files"
	cp "$AG_PDF" "$AG_FILESDIR/files/van ban.pdf"
	local fport
	fport=$(kh_free_port)
	export AG_FILES=http://127.0.0.1:$fport AG_ORIGIN=http://127.0.0.1:$fport
	kh_bg "$KH_TMP/fileserver.log" python3 "$KYSO_SRC/tests/agent/fileserver.py" "$AG_FILESDIR" "$fport"
	kh_wait_for 10 curl -sf -o /dev/null "$AG_FILES/files/van%20ban.pdf"
}

# kyso_sample_pdf OUT: a small PDF to sign (a documentation PDF of the corpus packages,
# else the Vietnamese sample of kyso setup)
kyso_sample_pdf() {
	local f
	f=$(find /usr/share/doc/camlidl-doc /usr/share/doc -name '*.pdf' -size -400k 2>/dev/null | head -1)
	if [[ -n $f ]]; then
		cp "$f" "$1"
	else
		echo "no sample PDF found" >&2
		return 1
	fi
}

# ag_start NAME [kyso-agent options]: starts an agent on free ports; exports AG_KYSO,
# AG_VNPT, AG_VGCA and AG_PID; its log is $KH_TMP/NAME.log.
ag_start() {
	local name=$1
	shift
	AG_KYSO=$(kh_free_port)
	AG_VNPT=$(kh_free_port)
	AG_VGCA=$(kh_free_port)
	export AG_KYSO AG_VNPT AG_VGCA
	kh_bg "$KH_TMP/$name.log" kyso-agent --state-dir "$KH_TMP/state" --origin "$AG_ORIGIN" \
		--pinentry "$KH_TMP/pinentry" --module "$KH_P11_MODULE" --token kyso-rsa \
		--chain "$KH_PKI_CHAIN" --ca-file "$KH_PKI_ROOT_CERT" \
		--kyso-port "$AG_KYSO" --vnpt-ports "$AG_VNPT" --vgca-port "$AG_VGCA" "$@"
	AG_PID=$KH_LAST_PID
	export AG_PID
	kh_wait_for 30 grep -q '^ready' "$KH_TMP/$name.log" || {
		cat "$KH_TMP/$name.log" >&2
		return 1
	}
}

ag_check() {
	python3 "$KYSO_SRC/tests/agent/checks.py" "$@"
}
