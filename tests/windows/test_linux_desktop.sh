# windows.linux_desktop: the Linux twin of the Start-menu shortcut "Kiểm tra
# ký số": the desktop entry data/desktop/kyso-kiem-tra-ky-so.desktop runs
# `kyso doctor --show` in a terminal, which writes the HTML report, opens it
# with xdg-open (a stub on PATH records the call), keeps its last line until a
# key is pressed and, with a collector in config.json, offers "Gửi cho bộ
# phận hỗ trợ" and says whether the report arrived.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
export HOME=$KH_TMP/home
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME LANGUAGE KYSO_REPORT_TOKEN
mkdir -p "$HOME" "$KH_TMP/bin"
DESK=$KYSO_SRC/data/desktop/kyso-kiem-tra-ky-so.desktop

kh_check "desktop entry: Vietnamese name, a terminal application" \
	python3 - "$DESK" <<'PY'
import configparser, sys
c = configparser.RawConfigParser(); c.optionxform = str
c.read(sys.argv[1], encoding="utf-8")
e = c["Desktop Entry"]
sys.exit(0 if e["Name"] == "Kiểm tra ký số" and e["Type"] == "Application"
         and e["Terminal"] == "true" and e["Exec"].split()[:3] == ["kyso", "doctor", "--show"] else 1)
PY
if command -v desktop-file-validate >/dev/null; then
	kh_check "desktop-file-validate accepts it" desktop-file-validate "$DESK"
fi
read -r -a EXEC < <(sed -n 's/^Exec=//p' "$DESK")

# xdg-open stub: records its arguments and keeps a copy of what it opened
cat >"$KH_TMP/bin/xdg-open" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$KH_TMP/xdg-open.log"
cp "\$1" "$KH_TMP/opened.html"
EOF
chmod +x "$KH_TMP/bin/xdg-open"
export PATH=$KH_TMP/bin:$PATH

# run_entry NAME: the entry's command with its stdin on a FIFO (the "keyboard")
run_entry() {
	rm -f "$KH_TMP/keys" "$KH_TMP/xdg-open.log" "$KH_TMP/opened.html"
	mkfifo "$KH_TMP/keys"
	kh_bg "$KH_TMP/$1.out" bash -c 'exec "$@" --offline --no-usb <"$0"' "$KH_TMP/keys" "${EXEC[@]}"
	ENTRY_PID=$KH_LAST_PID
	exec {KEYS}>"$KH_TMP/keys"
}
# finish KEYS: type them, close the keyboard, wait for the exit code in $rc
finish() {
	printf '%s' "$1" >&"$KEYS"
	exec {KEYS}>&-
	set +e
	wait "$ENTRY_PID"
	rc=$?
	set -e
}

# ---- no collector: the page opens, the line stays until a key --------------
run_entry plain
kh_wait_for 60 test -s "$KH_TMP/xdg-open.log" || true
kh_check "xdg-open was called with the report page" grep -q 'kyso-kiem-tra-ky-so.html' "$KH_TMP/xdg-open.log"
kh_check "what it opened is the doctor's HTML report" grep -q '<html' "$KH_TMP/opened.html"
kh_wait_for 10 grep -q 'Nhấn phím bất kỳ để đóng' "$KH_TMP/plain.out" || true
sleep 1
kh_check "the window stays: kyso is still waiting for a key" kill -0 "$ENTRY_PID"
kh_check "it says where the report is and how to close, in Vietnamese" \
	bash -c "grep -q 'Báo cáo đã được mở trong trình duyệt: /' '$KH_TMP/plain.out' && grep -q 'Nhấn phím bất kỳ để đóng cửa sổ này.' '$KH_TMP/plain.out'"
kh_check "no collector configured: no offer to send" bash -c "! grep -q 'Gửi cho bộ phận hỗ trợ' '$KH_TMP/plain.out'"
finish x
kh_check "a key closes it (exit $rc: the doctor's result, 0 or 1)" bash -c "[[ $rc -eq 0 || $rc -eq 1 ]]"
kh_on_fail cat "$KH_TMP/plain.out"

# ---- a collector in config.json: the offer, the upload, the answer ---------
. "$KYSO_SRC/tests/windows/collector.sh"
kh_collector_start "$KH_TMP/collector.db" "$HOME/.config/kyso"
run_entry send
kh_wait_for 60 grep -q 'Gửi cho bộ phận hỗ trợ' "$KH_TMP/send.out" || true
kh_check "with a collector: 'Gửi cho bộ phận hỗ trợ?' is offered" grep -q 'Gửi cho bộ phận hỗ trợ? Nhấn c để gửi' "$KH_TMP/send.out"
finish 'c '
cat "$KH_TMP/send.out"
kh_check "answered c: it says the helpdesk received the report" \
	grep -q 'Bộ phận hỗ trợ đã nhận được báo cáo.' "$KH_TMP/send.out"
total() { kyso reports --db "$KH_TMP/collector.db" summary --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
kh_check "the collector has it (1 report)" test "$(total)" = 1
run_entry nosend
kh_wait_for 60 grep -q 'Gửi cho bộ phận hỗ trợ' "$KH_TMP/nosend.out" || true
finish 'x '
n=$(total)
kh_check "answered another key: nothing sent (still 1 report, got $n)" \
	bash -c "[[ $n == 1 ]] && ! grep -q 'đã nhận được' '$KH_TMP/nosend.out'"
kh_stop "$COLLECTOR_PID"
kh_wait_for 20 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$COLLECTOR_PORT) 2>/dev/null" || true
run_entry down
kh_wait_for 60 grep -q 'Gửi cho bộ phận hỗ trợ' "$KH_TMP/down.out" || true
finish 'c '
kh_check "collector down: it says the report did not arrive and that it waits in the outbox (exit 6, got $rc)" \
	bash -c "[[ $rc -eq 6 ]] && grep -q 'Báo cáo chưa đến được nơi nhận' '$KH_TMP/down.out' && grep -q 'hộp thư đi' '$KH_TMP/down.out' && ls '$HOME'/.local/state/kyso/outbox/kyso-doctor-*.zip"
kh_on_fail cat "$KH_TMP/down.out"
kh_done
