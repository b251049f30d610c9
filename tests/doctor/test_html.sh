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
python3 - "$KH_TMP/shot.png" >"$KH_TMP/png.txt" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
def px(x, y):
    r = rows[y]; return tuple(r[x * bpp:x * bpp + 3])
colours = set()
banner = fail_row = 0
first_banner_y = None
for y in range(0, h, 2):
    for x in range(0, w, 4):
        c = px(x, y); colours.add(c)
        if c == (0xc6, 0x28, 0x28):
            banner += 1
            first_banner_y = y if first_banner_y is None else first_banner_y
        if c == (0xfd, 0xec, 0xea): fail_row += 1
print("size", w, h)
print("colours", len(colours))
print("banner", banner, "first_banner_y", first_banner_y)
print("fail_row", fail_row)
PY
cat "$KH_TMP/png.txt"
kh_check "screenshot is not blank (many colours: text rendered)" test "$(awk '/^colours/{print ($2 > 20)}' "$KH_TMP/png.txt")" = 1
kh_check "red summary banner visible near the top" test "$(awk '/^banner/{print ($2 > 500 && $4 < 250)}' "$KH_TMP/png.txt")" = 1
kh_check "failing check row (light red) visible" test "$(awk '/^fail_row/{print ($2 > 500)}' "$KH_TMP/png.txt")" = 1
cp "$KH_TMP/shot.png" "${KYSO_BUILD}/doctor-report-screenshot.png" 2>/dev/null || true
kh_done
