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
