#!/usr/bin/env bash
# The HTML report opened in headless Chromium: the page renders (screenshot
# not blank), the summary banner is on top in the failure colour, the failing
# check comes first (DOM order) and its row is visible in the screenshot; the
# page loads nothing from outside (no external URL in it).
. "$KYSO_SRC/tests/doctor/common.sh"
command -v chromium >/dev/null || { echo "chromium missing (apt-get install chromium)"; exit 1; }
dr_env
export LANGUAGE=vi
# no pcscd: PC/SC fails, so does the agent; everything else is skipped or passes
export PCSCLITE_CSOCK_NAME=$KH_TMP/no-pcscd.comm
html=$KH_TMP/report.html
kyso doctor --offline --agent-url "https://127.0.0.1:$AGENT_PORT/" --html "$html" >/dev/null 2>&1 || true
kh_check "HTML written" test -s "$html"
kh_check "no external assets (no src=/href= to anything)" sh -c "! grep -qiE '(src|href)=|@import|url\\(' '$html'"
kh_check "no script" sh -c "! grep -qi '<script' '$html'"

chrome() {
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-quic \
		--user-data-dir="$KH_TMP/chrome" "$@" 2>>"$KH_TMP/chrome.log"
}
chrome --dump-dom "file://$html" >"$KH_TMP/dom.html"
kh_check "Chromium parsed the page" grep -q 'id="summary"' "$KH_TMP/dom.html"
first=$(grep -o 'id="check-[a-z-]*"' "$KH_TMP/dom.html" | head -1)
kh_check "first row is a failing check (pcsc-service)" test "$first" = 'id="check-pcsc-service"'
kh_check "failing check's Vietnamese text is in the page" grep -q "Dịch vụ PC/SC (pcscd) chưa chạy" "$KH_TMP/dom.html"
chrome --screenshot="$KH_TMP/shot.png" --window-size=1000,700 "file://$html" >/dev/null
kh_check "screenshot written" test -s "$KH_TMP/shot.png"
python3 "$KYSO_HARNESS/png_count.py" "$KH_TMP/shot.png" c62828 fdecea >"$KH_TMP/png.txt"
cat "$KH_TMP/png.txt"
kh_check "screenshot is not blank (many colours: text rendered)" test "$(awk '/^colours/{print ($2 > 20)}' "$KH_TMP/png.txt")" = 1
kh_check "red summary banner visible near the top" test "$(awk '/^c62828/{print ($2 > 500 && $3 < 250)}' "$KH_TMP/png.txt")" = 1
kh_check "failing check row (light red) visible" test "$(awk '/^fdecea/{print ($2 > 500)}' "$KH_TMP/png.txt")" = 1
cp "$KH_TMP/shot.png" "${KYSO_BUILD}/doctor-report-screenshot.png" 2>/dev/null || true
kh_done
