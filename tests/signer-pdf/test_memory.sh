#!/bin/bash
# Memory stays flat as the file grows: preparing the signature update of a
# 50 MB PDF (20 pages of incompressible images) and of a 5,000-page PDF must
# peak under 16 MB RSS. Measured on kyso-pdf-tool-nosan (the same reader and
# writer sources built without ASan, whose shadow memory would dominate the
# figure); the RSS is the process's own getrusage() ru_maxrss.
. "$KYSO_HARNESS/lib.sh"
set +e
quiet() { "$@" >/dev/null 2>&1; }
kh_tmpdir
T=$KH_TMP
LIMIT_KB=16384

kh-bigpdf "$T/big50.pdf" --pages 20 --mb 50 >/dev/null || kh_fail "kh-bigpdf 50 MB"
kh-bigpdf "$T/big5000.pdf" --pages 5000 >/dev/null || kh_fail "kh-bigpdf 5000 pages"
kh-bigpdf "$T/big10.pdf" --pages 20 --mb 10 >/dev/null || kh_fail "kh-bigpdf 10 MB"

for f in big10 big50 big5000; do
	kyso-pdf-tool-nosan prepare "$T/$f.pdf" "$T/$f-out.pdf" --page -1 >"$T/$f.slot" 2>&1
	kh_check "$f: prepare succeeds" grep -q '^file_size=' "$T/$f.slot"
	rss=$(sed -n 's/^maxrss_kb=//p' "$T/$f.slot")
	echo "$f: $(stat -c %s "$T/$f.pdf") bytes in, peak RSS ${rss:-?} KB"
	kh_check "$f: peak RSS ${rss:-?} KB <= $LIMIT_KB KB" test "${rss:-999999}" -le $LIMIT_KB
	kh_check "$f: input is an exact prefix of the output" \
		cmp -s -n "$(stat -c %s "$T/$f.pdf")" "$T/$f.pdf" "$T/$f-out.pdf"
	kh_check "$f: output passes qpdf --check" quiet qpdf --check "$T/$f-out.pdf"
	# reading the result back is flat too
	kyso-pdf-tool-nosan info "$T/$f-out.pdf" >"$T/$f.info" 2>&1
	rss=$(sed -n 's/^maxrss_kb=//p' "$T/$f.info")
	kh_check "$f: reading the signed file back: 1 signature, RSS ${rss:-?} KB" \
		test "$(sed -n 's/^signatures=//p' "$T/$f.info")" = 1 -a "${rss:-999999}" -le $LIMIT_KB
done
# flat: the 50 MB file needs no more than 2 MB more than the 10 MB one
r10=$(sed -n 's/^maxrss_kb=//p' "$T/big10.slot")
r50=$(sed -n 's/^maxrss_kb=//p' "$T/big50.slot")
kh_check "RSS flat in file size (10 MB: $r10 KB, 50 MB: $r50 KB)" test $((r50 - r10)) -le 2048
kh_done
