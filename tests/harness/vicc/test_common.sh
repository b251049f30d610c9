# Common prelude of the kyso-vicc self-tests.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_HARNESS/vicc/pcscd.sh"

# Feitian ePass2003 (valid TCK, see harness-recipes.md) and Bit4id TokenME EVO v2.
EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
BIT4ID_ATR=3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3

# atr_colon HEX: the form opensc-tool -a prints (lower case, colon separated).
atr_colon() {
	echo "$1" | tr 'A-F' 'a-f' | sed -e 's/../&:/g' -e 's/:$//'
}

# probe_field INDEX FIELD: a field (reader, card, state, atr) of reader INDEX
# from `kh-pcsc-probe list` (its own simple JSON lines; no python: fast).
probe_field() {
	kh-pcsc-probe list | grep "^{\"index\":$1," |
		sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# sw_of INDEX APDU: the status word the card answers to APDU.
sw_of() {
	kh-pcsc-probe transmit "$1" "$2" | sed -n 's/.*"sw":"\([0-9A-F]*\)".*/\1/p'
}

# resp_of INDEX APDU: the full response (data + SW) in hex.
resp_of() {
	kh-pcsc-probe transmit "$1" "$2" | sed -n 's/.*"response":"\([0-9A-F]*\)".*/\1/p'
}

# gone PID: the process no longer exists or is a zombie (orphans are
# reparented to PID 1, which may not reap them).
gone() {
	local stat
	kill -0 "$1" 2>/dev/null || return 0
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[[ ${stat%% *} == Z ]]
}

# host_run_pcscd: a listing of the host's /run/pcscd (to prove it is untouched).
# Absent and empty read the same: every kh-pcscd creates the empty directory as its
# bind-mount target (harmless, see kh-pcscd), and on a fresh machine a test running
# beside this one may be the first to do so.
host_run_pcscd() {
	local l=""
	[[ -d /run/pcscd ]] && l=$(find /run/pcscd -mindepth 1 -printf '%p %y %i\n' | sort)
	echo "${l:-(nothing in /run/pcscd)}"
}
