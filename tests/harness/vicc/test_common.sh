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

# probe_field INDEX FIELD: a field of reader INDEX from `kh-pcsc-probe list`.
probe_field() {
	kh-pcsc-probe list | python3 -c '
import json, sys
idx, field = int(sys.argv[1]), sys.argv[2]
for line in sys.stdin:
    o = json.loads(line)
    if o.get("index") == idx:
        print(str(o[field]).lower() if isinstance(o[field], bool) else o[field])
' "$1" "$2"
}

# sw_of INDEX APDU: the status word the card answers to APDU.
sw_of() {
	kh-pcsc-probe transmit "$1" "$2" | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["sw"])'
}

# resp_of INDEX APDU: the full response (data + SW) in hex.
resp_of() {
	kh-pcsc-probe transmit "$1" "$2" | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["response"])'
}

# host_run_pcscd: a listing of the host's /run/pcscd (to prove it is untouched).
host_run_pcscd() {
	if [[ -d /run/pcscd ]]; then
		find /run/pcscd -mindepth 1 -printf '%p %y %i\n' | sort
	else
		echo "(no /run/pcscd)"
	fi
}
