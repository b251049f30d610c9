# Common prelude of the kyso detect shell tests: harness helpers, a private
# config (no system/user override files leak in), and small JSON helpers.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_HARNESS/vicc/pcscd.sh"
kh_tmpdir

export KYSO_SYSCONFDIR=$KH_TMP/etc-kyso XDG_CONFIG_HOME=$KH_TMP/config
mkdir -p "$KYSO_SYSCONFDIR" "$XDG_CONFIG_HOME"
CATALOG=$KYSO_SRC/data/tokens.json
# a real ePass2003 ATR (smartcard_list.txt), the government Bit4id token's ATR
EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
BIT4ID_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3
UNKNOWN_ATR=3B8280014AAB

# rc_of CMD...: exit status of CMD (output discarded).
rc_of() {
	set +e
	"$@" >/dev/null 2>&1
	local r=$?
	set -e
	echo "$r"
}

# jq_is FILE FILTER VALUE: jq -r FILTER of FILE equals VALUE.
jq_is() {
	local got
	got=$(jq -r "$2" "$1" 2>/dev/null) || return 1
	if [[ "$got" != "$3" ]]; then
		echo "  $2 = '$got', want '$3'" >&2
		return 1
	fi
}

# jqe ARGS...: jq -e ARGS with the output discarded (for kh_check).
jqe() { jq -e "$@" >/dev/null; }

# detect_json OUT ARGS...: kyso detect --json ARGS > OUT; sets DETECT_RC.
detect_json() {
	local out=$1
	shift
	set +e
	kyso detect --json "$@" >"$out" 2>"$out.err"
	DETECT_RC=$?
	set -e
}
