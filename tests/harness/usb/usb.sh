# Shell helpers for fake USB tokens under umockdev. Source after lib.sh and kh_tmpdir:
#   . "$KYSO_HARNESS/usb/usb.sh"
#   f=$(kh_usb_describe 25dd 2371 Bit4id "TokenME EVO")
#   kh_usb_run "$f" "$KH_USB_EPASS2003" -- kyso detect --json

# Ready-made descriptions (ports 1-1 and 1-2).
KH_USB_EPASS2003=$KYSO_HARNESS/usb/epass2003.umockdev
KH_USB_BIT4ID_EVO=$KYSO_HARNESS/usb/bit4id-tokenme-evo.umockdev

# kh_usb_describe [kh-usb-device options] VID PID [MANUFACTURER] [PRODUCT]: write a
# description into $KH_TMP/usb (each on its own root-hub port, from 1-3 up) and print its path.
# (The port comes from the files already there, so f=$(kh_usb_describe ...) works.)
kh_usb_describe() {
	local dir=${KH_TMP:?call kh_tmpdir first}/usb port=3
	mkdir -p "$dir"
	while [[ -e $dir/dev$port.umockdev ]]; do port=$((port + 1)); done
	kh-usb-device --port "$port" "$@" >"$dir/dev$port.umockdev" || {
		rm -f "$dir/dev$port.umockdev"
		return 1
	}
	echo "$dir/dev$port.umockdev"
}

# kh_usb_run FILE... -- CMD...: run CMD with libusb/udev/sysfs seeing the described devices.
kh_usb_run() {
	local args=()
	while [[ $# -gt 0 && $1 != -- ]]; do
		args+=(-d "$1")
		shift
	done
	[[ ${1:-} == -- ]] || {
		echo "kh_usb_run: usage: kh_usb_run FILE... -- CMD..." >&2
		return 2
	}
	shift
	umockdev-run "${args[@]}" -- "$@"
}
