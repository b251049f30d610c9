#!/bin/bash
# A "system" pcscd is running (simulated: a plain pcscd on /run/pcscd inside an
# outer private mount namespace with a tmpfs there, so the real host is not
# touched). Starting and stopping our private pcscd must leave it alone:
# same socket, same process, clients without PCSCLITE_CSOCK_NAME still reach
# it, and only clients with PCSCLITE_CSOCK_NAME reach the private one.
if [[ -z ${KH_FAKE_HOST:-} ]]; then
	mkdir -p /run/pcscd
	exec env KH_FAKE_HOST=1 unshare -m --propagation private -- bash "$0" "$@"
fi
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

mount -t tmpfs kyso-fake-host /run/pcscd
# Hide the machine's USB reader drivers from the fake system pcscd too.
mkdir -p "$KH_TMP/sys/conf" "$KH_TMP/sys/nodrivers"
cp -L /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$KH_TMP/sys/libifdvpcd.so"
mount --bind "$KH_TMP/sys/nodrivers" /usr/lib/pcsc/drivers
export KH_VPCD_DRIVER=$KH_TMP/sys/libifdvpcd.so # for kh-pcscd, which copies it

sysport=$(kh_free_port)
hex=$(printf '0x%04X' "$sysport")
cat >"$KH_TMP/sys/conf/vpcd" <<X
FRIENDLYNAME "System VPCD"
DEVICENAME   /dev/null:$hex
LIBPATH      $KH_TMP/sys/libifdvpcd.so
CHANNELID    $hex
X
kh_bg "$KH_TMP/sys/pcscd.log" pcscd -f -d -c "$KH_TMP/sys/conf"
syspid=$KH_LAST_PID
kh_wait_for 15 test -S /run/pcscd/pcscd.comm
kh_bg "$KH_TMP/sys/vicc.log" kyso-vicc --port "$sysport" --atr "$BIT4ID_ATR"
kh_check "system pcscd sees its card" env -u PCSCLITE_CSOCK_NAME kh-pcsc-probe wait 0 present 10
sys_before=$(stat -c '%i' /run/pcscd/pcscd.comm)

kh_pcscd_start
kh_vicc_insert "$EPASS_ATR" 0
kh_check "private client reaches the private pcscd" test "$(probe_field 0 reader)" = "Kyso VPCD 00 00"
kh_check "private client sees the private card" test "$(probe_field 0 atr)" = "$EPASS_ATR"
plain=$(env -u PCSCLITE_CSOCK_NAME kh-pcsc-probe list)
echo "$plain"
kh_check "plain client still reaches the system pcscd" \
	grep -q '"reader":"System VPCD 00 00","card":true' <<<"$plain"
kh_check "plain client does not see the private readers" bash -c "! grep -q 'Kyso VPCD' <<<'$plain'"
kh_check "plain client sees the system card's ATR" grep -q "\"atr\":\"$BIT4ID_ATR\"" <<<"$plain"
kh_check "system socket unchanged while private runs" \
	test "$(stat -c '%i' /run/pcscd/pcscd.comm)" = "$sys_before"
kh_check "private socket is not the system one" \
	test "$(stat -c '%i' "$PCSCLITE_CSOCK_NAME")" != "$sys_before"

kh_pcscd_stop
kh_check "private pcscd gone" gone "$KH_PCSCD_PID"
kh_check "system pcscd still running" kill -0 "$syspid"
kh_check "system socket still there (same inode)" \
	test "$(stat -c '%i' /run/pcscd/pcscd.comm 2>/dev/null)" = "$sys_before"
kh_check "system pcscd still answers" bash -c \
	"env -u PCSCLITE_CSOCK_NAME kh-pcsc-probe list | grep -q '\"reader\":\"System VPCD 00 00\",\"card\":true'"
kh_done
