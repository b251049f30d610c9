#!/usr/bin/env bash
# Roles on one file: initial -> approve -> issue (number + date in the same update); every
# signature stays valid; each role's text is on the page; appendix refers to the main document.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup
W=$KH_TMP/w
mkdir -p "$W"
IC=$KYSO_SRC/tests/appearance/imgcheck.py
kyso sign --sample "$W/in.pdf" >/dev/null
python3 "$IC" make "$W/sig.png"
ratio_ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }

rc1=0 rc2=0 rc3=0
sg_sign "$W/in.pdf" -o "$W/r1.pdf" --role initial >/dev/null 2>&1 || rc1=$?
sg_sign "$W/r1.pdf" -o "$W/r2.pdf" --role approve --image "$W/sig.png" --reason "Phê duyệt" \
	>/dev/null 2>&1 || rc2=$?
sg_sign "$W/r2.pdf" -o "$W/r3.pdf" --role issue --number "123/UBND-VP" --date 2026-11-25 \
	--token kyso-ec --chain "$KH_PKI_CHAIN" >/dev/null 2>&1 || rc3=$?
kh_check "initial, approve, issue: exit 0" test "$rc1$rc2$rc3" = 000
kh_check "pdfsig: 3 signatures" test "$(sg_pdfsig_count "$W/r3.pdf")" -eq 3
kh_check "pdfsig: all 3 valid after the sequence" sg_pdfsig_all_valid "$W/r3.pdf"
kh_check "kyso verify: all valid" kyso verify --ca "$KH_PKI_ROOT_CERT" "$W/r3.pdf"
pdftotext "$W/r3.pdf" "$W/r3.txt"
kh_check "initial: initials + date" grep -Eq "^NVA [0-9]{2}/[0-9]{2}/[0-9]{4}$" "$W/r3.txt"
kh_check "approve: signer line" grep -qx "Ký bởi: Nguyễn Văn An" "$W/r3.txt"
kh_check "issue: document number" grep -qx "Số: 123/UBND-VP" "$W/r3.txt"
kh_check "issue: issue date in Vietnamese form" grep -qx "Ngày ban hành: 25/11/2026" "$W/r3.txt"
pdftoppm -r 72 -f 1 -l 1 "$W/r3.pdf" "$W/r3"
# initial: bottom margin right (90x30 at x = 595-36-90, y = 8)
kh_check "initial: mark in the bottom margin" ratio_ge "$(python3 "$IC" ink "$W/r3-1.ppm" 72 842 469 8 90 30)" 0.01

# issue with --number-rect/--date-rect(-mm): number and date at their own places (a read-only text
# field each, same incremental update); the sequence keeps every signature valid
rc=0
sg_sign "$W/r2.pdf" -o "$W/n3.pdf" --role issue --number "123/UBND-VP" --date 2026-11-25 \
	--number-rect 90,690,150,20 --date-rect-mm 120,240,60,8 --token kyso-ec --chain "$KH_PKI_CHAIN" \
	>"$W/n3.out" 2>&1 || rc=$?
kh_check "issue with number/date rects: exit 0" test $rc -eq 0; kh_on_fail cat "$W/n3.out"
kh_check "issue with rects: pdfsig 3 signatures, all valid" bash -c \
	'test "$(sg_pdfsig_count "$1")" -eq 3 && sg_pdfsig_all_valid "$1"' _ "$W/n3.pdf"
kh_check "issue with rects: kyso verify all valid" kyso verify --ca "$KH_PKI_ROOT_CERT" "$W/n3.pdf"
kh_check "issue with rects: qpdf --check clean" test "$(sg_qpdf_level "$W/n3.pdf")" = 0
pdftotext -f 1 -l 1 -bbox "$W/n3.pdf" "$W/n3.html"
# inbox FILE WORD X Y W H: WORD's bbox (pdftotext: y from the top of an 842 pt page) lies in the box
inbox() {
	python3 - "$@" <<'PY'
import re, sys
f, word, x, y, w, h = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:7])
words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', open(f, encoding="utf-8").read())
hits = [tuple(map(float, m[:4])) for m in words if m[4] == word]
ok = [b for b in hits if b[0] >= x - 0.5 and b[2] <= x + w + 0.5 and 842 - b[3] >= y - 0.5 and 842 - b[1] <= y + h + 0.5]
print(word, hits, file=sys.stderr)
sys.exit(0 if len(ok) == 1 else 1)
PY
}
kh_check "issue with rects: the number is inside --number-rect" inbox "$W/n3.html" "123/UBND-VP" 90 690 150 20
MM=2.834645669
kh_check "issue with rects: the date is inside --date-rect-mm" inbox "$W/n3.html" "25/11/2026" \
	"$(python3 -c "print(120*$MM)")" "$(python3 -c "print(240*$MM)")" "$(python3 -c "print(60*$MM)")" "$(python3 -c "print(8*$MM)")"
pdftotext -f 1 -l 1 "$W/n3.pdf" "$W/n3.txt"
kh_check "issue with rects: the box no longer repeats number and date" bash -c \
	'! grep -q "^Số: 123/UBND-VP" "$1" && ! grep -q "^Ngày ban hành" "$1"' _ "$W/n3.txt"
kh_check "issue with rects: two read-only text fields holding number and date" python3 - "$W/n3.pdf" <<'PY'
import json, subprocess, sys
j = json.loads(subprocess.run(["qpdf", "--json", "--json-key=acroform", sys.argv[1]],
                              capture_output=True, check=True).stdout)
tx = [f for f in j["acroform"]["fields"] if f["fieldtype"] == "/Tx"]
assert sorted(f["value"].removeprefix("u:") for f in tx) == ["123/UBND-VP", "25/11/2026"], tx
assert all(f["fieldflags"] & 1 and f["pageposfrom1"] == 1 for f in tx), tx
PY
rc=0; sg_sign "$W/in.pdf" -o "$W/x.pdf" --role issue --number 1 --date 2026-11-25 --number-rect 500,800,200,20 >"$W/x.out" 2>&1 || rc=$?
kh_check "--number-rect off the page: exit 2, named" bash -c 'test "$1" -eq 2 && grep -Eq "number|số" "$2"' _ $rc "$W/x.out"
rc=0; sg_sign "$W/in.pdf" -o "$W/x.pdf" --role approve --date-rect 10,10,100,20 >/dev/null 2>&1 || rc=$?
kh_check "--date-rect without --role issue: exit 2" test $rc -eq 2

# appendix: reference to the main document
sg_sign "$W/in.pdf" -o "$W/pl.pdf" --role appendix --main-doc "123/UBND-VP ngày 25/11/2026" >/dev/null 2>&1
kh_check "appendix: valid" sg_pdfsig_all_valid "$W/pl.pdf"
kh_check "appendix: reference line" bash -c 'pdftotext "$1" - | tr "\n" " " | grep -q "Phụ lục của văn bản: 123/UBND-VP ngày 25/11/2026"' _ "$W/pl.pdf"

# usage errors
rc=0; sg_sign "$W/in.pdf" -o "$W/x.pdf" --role boss >/dev/null 2>&1 || rc=$?
kh_check "unknown role: exit 2" test $rc -eq 2
rc=0; sg_sign "$W/in.pdf" -o "$W/x.pdf" --number 1 >/dev/null 2>&1 || rc=$?
kh_check "--number without --role issue: exit 2" test $rc -eq 2
rc=0; sg_sign "$W/in.pdf" -o "$W/x.pdf" --role issue --number 1 --date 25/11/2026 >/dev/null 2>&1 || rc=$?
kh_check "--date not ISO: exit 2" test $rc -eq 2
kh_done
