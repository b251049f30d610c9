#!/bin/bash
# The PDF reader's budgets (docs/pdf.md "Limits") against crafted files, with
# `kyso verify` and `kyso sign` for real (SoftHSM token) and their peak RSS
# measured by /usr/bin/time -v:
# - xref bomb: 50 xref-stream sections of 8 Mi entries in ~400 KB (~10 GB of
#   entries if stored): refused as damaged (exit 5, its own message);
# - 50 sections each within the file's object numbers, together far over:
#   refused with the total-entries message;
# - object-stream thrash: 2000 form fields round-robin over 40 object streams
#   of 2 MiB each (4 GB of decoding with a one-stream cache): refused by the
#   work budget, fast and small;
# - the same over 6 streams (fits the cache): read normally, each stream
#   decoded once.
# RSS limit 64 MiB for the ASan build with its quarantine turned off (the
# quarantine keeps freed blocks resident by design); the sanitizer-free reader
# (kyso-pdf-tool-nosan) gets a tighter 32 MiB.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup
set +e
T=$KH_TMP/b
mkdir -p "$T"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
LIMIT_KB=65536
NOSAN_KB=32768
GEN=$KYSO_SRC/tests/signer-pdf/make_bombs.py

python3 "$GEN" xref "$T/xref.pdf" || kh_fail "make xref bomb"
python3 "$GEN" xref-total "$T/xref-total.pdf" || kh_fail "make xref-total bomb"
python3 "$GEN" objstm "$T/objstm40.pdf" 40 || kh_fail "make objstm bomb"
python3 "$GEN" objstm "$T/objstm6.pdf" 6 || kh_fail "make objstm cache case"
echo "sizes: $(stat -c '%n %s' "$T"/*.pdf | sed "s|$T/||" | tr '\n' ' ')"
kh_check "xref bomb is about 400 KB" test "$(stat -c %s "$T/xref.pdf")" -lt 450000

# run NAME CMD...: exit code in $T/NAME.rc, stderr in $T/NAME.err, peak RSS (KB) in $T/NAME.rss
run() {
	local name=$1
	shift
	/usr/bin/time -v -o "$T/$name.time" "$@" >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
	sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/$name.time" >"$T/$name.rss"
	echo "$name: exit $(cat "$T/$name.rc"), peak RSS $(cat "$T/$name.rss") KB," \
		"$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/$name.time")"
}
damaged() { # NAME MESSAGE-PART: exit 5 and the budget's message on stderr
	test "$(cat "$T/$1.rc")" = 5 && grep -q "kyso: Tệp PDF bị hỏng: $2" "$T/$1.err"
}
small() { test "$(cat "$T/$1.rss")" -le "${2:-$LIMIT_KB}"; }

for f in xref xref-total objstm40; do
	# kyso speaks Vietnamese by default; the test tool (no i18n) English
	case $f in
	xref)
		msg="một luồng tham chiếu chéo khai báo 8388608 đối tượng"
		msg_en="a cross-reference stream claims 8388608 objects" ;;
	xref-total)
		msg="các phần bảng tham chiếu chéo liệt kê hơn"
		msg_en="its cross-reference sections list more than" ;;
	objstm40)
		msg="việc đọc nó tốn công hơn rất nhiều"
		msg_en="reading it takes far more work than its size allows" ;;
	esac
	run "$f.verify" kyso verify "$T/$f.pdf"
	kh_check "$f: kyso verify exits 5 with \"$msg\"" damaged "$f.verify" "$msg"
	kh_check "$f: kyso verify peak RSS $(cat "$T/$f.verify.rss") KB <= $LIMIT_KB KB" small "$f.verify"
	run "$f.sign" kyso sign --module "$KH_P11_MODULE" --token kyso-rsa --pin-env SG_PIN "$T/$f.pdf" -o "$T/$f-signed.pdf"
	kh_check "$f: kyso sign exits 5 with \"$msg\"" damaged "$f.sign" "$msg"
	kh_check "$f: kyso sign peak RSS $(cat "$T/$f.sign.rss") KB <= $LIMIT_KB KB" small "$f.sign"
	kh_check "$f: kyso sign wrote no output" test ! -e "$T/$f-signed.pdf"
	kh_check "$f: no crash, no sanitizer report" \
		bash -c "! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' '$T/$f.verify.err' '$T/$f.sign.err'"
	run "$f.nosan" kyso-pdf-tool-nosan info "$T/$f.pdf"
	# (its "info" prints what it could read; the budget's message says why the rest is missing)
	kh_check "$f: sanitizer-free reader: the budget's message, no signature list" \
		bash -c "grep -q 'The PDF is damaged: $msg_en' '$T/$f.nosan.out' '$T/$f.nosan.err' && ! grep -q '^signatures=' '$T/$f.nosan.out'"
	kh_check "$f: sanitizer-free reader: peak RSS $(cat "$T/$f.nosan.rss") KB <= $NOSAN_KB KB" \
		small "$f.nosan" $NOSAN_KB
done

# the legitimate pattern: fields over 6 streams, all in the cache
run objstm6.verify kyso verify --json "$T/objstm6.pdf"
kh_check "objstm6: kyso verify reads it (exit 1: no signature, not damaged)" \
	test "$(cat "$T/objstm6.verify.rc")" = 1 -a "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$T/objstm6.verify.out")" = 0
kh_check "objstm6: peak RSS $(cat "$T/objstm6.verify.rss") KB <= $LIMIT_KB KB" small objstm6.verify
run objstm6.sign kyso sign --module "$KH_P11_MODULE" --token kyso-rsa --pin-env SG_PIN "$T/objstm6.pdf" -o "$T/objstm6-signed.pdf"
kh_check "objstm6: kyso sign signs it" test "$(cat "$T/objstm6.sign.rc")" = 0 -a -s "$T/objstm6-signed.pdf"
run objstm6.verify2 kyso verify --json --ca "$KH_PKI_ROOT_CERT" "$T/objstm6-signed.pdf"
kh_check "objstm6: the signed file verifies (1 valid signature)" \
	test "$(cat "$T/objstm6.verify2.rc")" = 0
kh_done
