#!/bin/bash
# umockdev descriptions make libusb list the fake tokens, and only under umockdev-run.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir

USB=$KYSO_HARNESS/usb
EPASS=$USB/epass2003.umockdev
BIT4ID=$USB/bit4id-tokenme-evo.umockdev
GEN=$KH_TMP/rutoken.umockdev

kh_check "umockdev-run installed" command -v umockdev-run
kh_check "generator writes a description" \
	bash -c "kh-usb-device --port 3 0a89 0030 Aktiv 'Rutoken ECP' >'$GEN'"
kh_check "generator rejects a bad VID" bash -c '! kh-usb-device 12345 0001 >/dev/null 2>&1'
kh_check "committed Bit4id file is what the generator makes" \
	bash -c "kh-usb-device --port 2 --serial B4ID000001 25DD 2371 Bit4id 'TokenME EVO' | cmp -s - '$BIT4ID'"

plain=$(kh-usb-list) || true
echo "without umockdev: ${plain:-(no devices)}"
kh_check "without umockdev no 096e:0807" bash -c "! grep -q '^096e:0807' <<<'$plain'"
kh_check "without umockdev no 25dd:2371" bash -c "! grep -q '^25dd:2371' <<<'$plain'"
kh_check "without umockdev no 0a89:0030" bash -c "! grep -q '^0a89:0030' <<<'$plain'"
kh_check "kh-usb-list VID:PID fails when absent" bash -c '! kh-usb-list 096e:0807 2>/dev/null'

out=$(umockdev-run -d "$EPASS" -- kh-usb-list -v 096e:0807) || true
echo "$out"
kh_check "ePass2003 listed under umockdev" grep -q '^096e:0807 bus=001 dev=002 class=00 ifaces=0b$' <<<"$out"

out=$(umockdev-run -d "$BIT4ID" -- kh-usb-list -v 25dd:2371) || true
echo "$out"
kh_check "Bit4id TokenME EVO listed" grep -q '^25dd:2371 bus=001 dev=003 class=00 ifaces=0b$' <<<"$out"
kh_check "Bit4id CCID interface: 3 endpoints, 54-byte CCID descriptor" \
	grep -qx '  iface 0 class 0b eps=3 extra=54' <<<"$out"
kh_check "only the Bit4id device in its own run" test "$(grep -c '^[0-9a-f]\{4\}:' <<<"$out")" = 1

out=$(umockdev-run -d "$EPASS" -d "$BIT4ID" -d "$GEN" -- kh-usb-list 096e:0807 25dd:2371 0a89:0030) && rc=0 || rc=$?
echo "$out"
kh_check "all three together (exit 0)" test "$rc" = 0
kh_check "generated device listed" grep -q '^0a89:0030 bus=001 dev=004 class=00 ifaces=0b$' <<<"$out"
kh_check "a device not described is not listed" \
	bash -c "! umockdev-run -d '$EPASS' -- kh-usb-list 25dd:2371 >/dev/null 2>&1"

attrs=$(umockdev-run -d "$BIT4ID" -- sh -c \
	'cat /sys/bus/usb/devices/1-2/manufacturer /sys/bus/usb/devices/1-2/product /sys/bus/usb/devices/1-2/idVendor')
kh_check "sysfs attributes of the Bit4id device" test "$attrs" = "$(printf 'Bit4id\nTokenME EVO\n25dd')"
# Shell helpers: generated devices get distinct ports, kh_usb_run runs under umockdev.
. "$KYSO_HARNESS/usb/usb.sh"
f1=$(kh_usb_describe 0529 0620 SafeNet "Token JC")
f2=$(kh_usb_describe --class ff 096e 0005 Feitian ePass2000)
kh_check "kh_usb_describe gives distinct ports" \
	bash -c "grep -q '^P: .*/1-3$' '$f1' && grep -q '^P: .*/1-4$' '$f2'"
out=$(kh_usb_run "$KH_USB_EPASS2003" "$KH_USB_BIT4ID_EVO" "$f1" "$f2" -- kh-usb-list -v \
	096e:0807 25dd:2371 0529:0620 096e:0005) && rc=0 || rc=$?
echo "$out"
kh_check "kh_usb_run: all four devices listed" test "$rc" = 0
kh_check "vendor-class device has interface class ff, no CCID descriptor" \
	bash -c "grep -A1 '^096e:0005' <<<'$out' | grep -qx '  iface 0 class ff eps=2 extra=0'"
kh_check "kh_usb_run without -- is a usage error" bash -c \
	". '$KYSO_HARNESS/usb/usb.sh'; kh_usb_run '$f1' kh-usb-list 2>/dev/null; test \$? = 2"
kh_done
