#!/usr/bin/env bash
# Self-test of the PDF corpus builder (tests/harness/bin/kh-corpus, kh-bigpdf): builds the corpus
# into $KYSO_BUILD/corpus (cached) and checks that every manifest entry is what it claims to be,
# using qpdf, poppler (pdfsig, pdftotext, pdfinfo, pdffonts) as independent judges.
. "${KYSO_HARNESS:-$(dirname "$0")/..}/lib.sh"
kh_tmpdir

C="$KYSO_BUILD/corpus"
kh_check "kh-corpus builds $C" kh-corpus "$C"
[[ -f $C/manifest.tsv ]] || {
	kh_fail "no manifest"
	kh_done
}

# --- cache: a second run does nothing, a stale .done means a rebuild -------------------
before=$(stat -c %Y.%i "$C/manifest.tsv")
out=$(kh-corpus "$C")
kh_check "second run is a cache hit" grep -q "up to date" <<<"$out"
kh_check "cache hit leaves the corpus untouched" test "$before" = "$(stat -c %Y.%i "$C/manifest.tsv")"
kh_check "--check: up to date" kh-corpus "$C" --check
mkdir -p "$KH_TMP/stale"
echo stale >"$KH_TMP/stale/.done"
rc=0
kh-corpus "$KH_TMP/stale" --check >/dev/null || rc=$?
kh_check "--check: a stale .done means out of date" test "$rc" = 1
kh_check "--check built nothing" test ! -e "$KH_TMP/stale/manifest.tsv"
rm -rf "$KH_TMP/stale"
rc=0
KH_CORPUS_SOURCE_ROOT=$KH_TMP/nothing-installed kh-corpus "$KH_TMP/miss" 2>"$KH_TMP/miss.err" || rc=$?
kh_check "missing documentation package: exit 1" test "$rc" = 1
kh_check "missing documentation package: names the package" grep -q "install Debian package 'libtasn1-doc'" "$KH_TMP/miss.err"
kh_check "missing documentation package: no corpus left behind" \
	test -z "$(find "$KH_TMP" -maxdepth 1 -name 'miss*' ! -name miss.err ! -name miss.lock)"

# --- manifest format ---------------------------------------------------------------------------
M="$C/manifest.tsv"
kh_check "manifest header" test "$(head -n1 "$M")" = $'#file\tkind\texpected\tnote'
bad=$(awk -F'\t' 'NR > 1 && (NF != 4 || $3 !~ /^(sign-ok|sign-refuse:[a-z0-9-]+|needs-password:.*)$/)' "$M")
kh_check "every row: 4 fields and a known expectation" test -z "$bad"
listed=$(tail -n +2 "$M" | cut -f1 | sort)
present=$(cd "$C" && find . -maxdepth 1 -type f ! -name '.*' ! -name manifest.tsv -printf '%f\n' | sort)
kh_check "manifest lists exactly the files present" test "$listed" = "$present"
kh_check "no duplicate names" test -z "$(uniq -d <<<"$listed")"
kh_check "at least 40 entries" test "$(wc -l <<<"$listed")" -ge 40

f() { echo "$C/$1"; }
field() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$M"; }
qcheck() { # qcheck FILE [qpdf args]: prints qpdf --check exit status
	local rc=0
	qpdf --check "${@:2}" "$1" >"$KH_TMP/q.out" 2>"$KH_TMP/q.err" || rc=$?
	echo "$rc"
}
# pdfsig gets a private empty NSS database (never the user's or the system's).
mkdir -p "$KH_TMP/nss"
certutil -N -d "sql:$KH_TMP/nss" --empty-password
valid_sigs() { # valid_sigs FILE [pdfsig options]
	pdfsig -nssdir "sql:$KH_TMP/nss" "${@:2}" "$1" 2>/dev/null | grep -c "Signature Validation: Signature is Valid" || true
}

declare -A QPDF_ALLOWED_WARNING=(
	[real-acrobat-distiller-linearized.pdf]="linearized file contains an uncompressed object|hint table|shared identifier|shared object"
)

# --- every entry by its expectation --------------------------------------------------------------
while IFS=$'\t' read -r name kind expected _; do
	[[ $name == \#* ]] && continue
	case $expected in
	sign-ok)
		if [[ $kind == damaged ]]; then
			continue # each damaged file has its own rule below
		fi
		pw=()
		[[ $kind == encrypted ]] && pw=(--password=)
		rc=$(qcheck "$(f "$name")" "${pw[@]}")
		allowed=${QPDF_ALLOWED_WARNING[$name]:-}
		if [[ -n $allowed && $rc == 3 ]]; then
			# A real file qpdf is picky about: only its known (linearization hint) warnings are accepted.
			kh_check "$name: qpdf --check clean but for: $allowed" \
				test -z "$(grep '^WARNING' "$KH_TMP/q.err" | grep -Ev -- "$allowed")"
		else
			kh_check "$name: qpdf --check clean (sign-ok)" test "$rc" = 0
		fi
		;;
	needs-password:*)
		p=${expected#needs-password:}
		kh_check "$name: qpdf --check clean with password '$p'" test "$(qcheck "$(f "$name")" --password="$p")" = 0
		kh_check "$name: a password is required" qpdf --requires-password "$(f "$name")"
		kh_check "$name: wrong password rejected" test "$(qcheck "$(f "$name")" --password=wrong-pw)" = 2
		;;
	sign-refuse:docmdp-*)
		kh_check "$name: qpdf --check clean (refused for its certification only)" test "$(qcheck "$(f "$name")")" = 0
		;;
	sign-refuse:*)
		kh_check "$name: qpdf --check fails ($expected)" test "$(qcheck "$(f "$name")")" = 2
		;;
	esac
done <"$M"

# --- real documents: several producers, all from the packages listed ----------------------------
producers=$(for x in "$C"/real-*.pdf; do pdfinfo "$x" | sed -n 's/^Producer: *//p' | cut -d' ' -f1-2; done | sort -u | wc -l)
kh_check "real documents from >= 6 producers ($producers)" test "$producers" -ge 6
kh_check "a real LibreOffice document" bash -c "pdfinfo '$(f real-libreoffice-writer.pdf)' | grep -q '^Producer: *LibreOffice'"
kh_check "a real Acrobat Distiller document, linearized" bash -c \
	"pdfinfo '$(f real-acrobat-distiller-linearized.pdf)' | grep -q '^Producer: *Acrobat Distiller' && pdfinfo '$(f real-acrobat-distiller-linearized.pdf)' | grep -q '^Optimized: *yes'"
kh_check "a real PDF 1.2 document" test "$(head -c 8 "$(f real-camlidl-pdf12.pdf)")" = "%PDF-1.2"
for pkg in $(awk '/^# Tools/ { exit } !/^#/ { print }' "$KYSO_SRC/.dev/packages/harness-corpus.txt"); do
	kh_check "real document from package $pkg in manifest" grep -q "Debian package $pkg " "$M"
done

# --- Vietnamese --------------------------------------------------------------------------------
vn=$(pdftotext "$(f vn-pango-noto.pdf)" - 2>/dev/null)
kh_check "Vietnamese: pdftotext gives CỘNG HÒA" grep -q "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" <<<"$vn"
kh_check "Vietnamese: stacked diacritics come back (Nguyễn, Phượng, Ủy)" \
	grep -q "Nguyễn Văn An.*\|Phượng\|Ủy ban" <<<"$vn"
kh_check "Vietnamese: font embedded" bash -c "pdffonts '$(f vn-pango-noto.pdf)' | grep NotoSerif | grep -q ' yes yes yes '"

# --- qpdf transforms -----------------------------------------------------------------------------
has() { grep -aq -- "$2" "$(f "$1")"; }
lines() { grep -ac -- "$2" "$(f "$1")" || true; }
kh_check "xref-stream-objstm: object streams and xref stream" bash -c \
	"grep -aq /ObjStm '$(f xref-stream-objstm.pdf)' && grep -aq '/Type /XRef' '$(f xref-stream-objstm.pdf)'"
kh_check "xref-stream-objstm: no classic table" test "$(lines xref-stream-objstm.pdf '^xref')" = 0
kh_check "xref-classic: classic table, no object streams" bash -c \
	"grep -aq '^xref' '$(f xref-classic.pdf)' && ! grep -aq /ObjStm '$(f xref-classic.pdf)'"
kh_check "linearized: qpdf finds no linearization errors" bash -c \
	"qpdf --check-linearization '$(f linearized.pdf)' | grep -q 'no linearization errors'"
kh_check "qdf: QDF mode file" has qdf.pdf '%QDF-1.0'
for v in 1.2 1.3 1.4 1.5 1.6 1.7 2.0; do
	kh_check "version-$v.pdf has header %PDF-$v" test "$(head -c 8 "$(f "version-$v.pdf")")" = "%PDF-$v"
done

# --- encryption: method and passwords as the manifest says -----------------------------------
# file|R|method (qpdf --show-encryption, AES only)|/Encrypt dictionary pattern|user pw|owner pw
for e in "enc-rc4-40.pdf|2||/Length 40 .*/R 2 .*/V 1 |kyso-user|kyso-owner" \
	"enc-rc4-128.pdf|3||/Length 128 .*/R 3 .*/V 2 |kyso-user|kyso-owner" \
	"enc-aes-128.pdf|4|AESv2|/CFM /AESV2 .*/R 4 .*/V 4 |kyso-user|kyso-owner" \
	"enc-aes-256.pdf|6|AESv3|/CFM /AESV3 .*/R 6 .*/V 5 |kyso-user|kyso-owner" \
	"enc-aes-128-empty-user.pdf|4|AESv2|/CFM /AESV2 .*/R 4 .*/V 4 ||kyso-owner" \
	"enc-aes-256-utf8.pdf|6|AESv3|/CFM /AESV3 .*/R 6 .*/V 5 |mậtkhẩu|chủsởhữu" \
	"enc-aes-256-classic-xref.pdf|6|AESv3|/CFM /AESV3 .*/R 6 .*/V 5 |kyso-user|kyso-owner"; do
	IFS='|' read -r name r method dictre up op <<<"$e"
	enc=$(qpdf --password="$up" --show-object=trailer "$(f "$name")" 2>/dev/null | sed -n 's/.*\/Encrypt \([0-9]*\) 0 R.*/\1/p')
	encdict=$(qpdf --password="$up" --show-object="${enc:-0}" "$(f "$name")" 2>/dev/null || true)
	kh_check "$name: /Encrypt dictionary matches '$dictre'" grep -q -- "$dictre" <<<"$encdict"
	se=$(qpdf --show-encryption --password="$up" "$(f "$name")" 2>&1 || true)
	kh_check "$name: R = $r" grep -qx "R = $r" <<<"$se"
	if [[ -n $method ]]; then
		kh_check "$name: stream encryption method $method" grep -qx "stream encryption method: $method" <<<"$se"
	fi
	kh_check "$name: '$up' is the user password" grep -q "Supplied password is user password" <<<"$se"
	so=$(qpdf --show-encryption --password="$op" "$(f "$name")" 2>&1 || true)
	kh_check "$name: '$op' is the owner password" grep -q "Supplied password is owner password" <<<"$so"
	if [[ -z $up ]]; then
		kh_check "$name: manifest says sign-ok (empty user password)" test "$(field "$name" 3)" = sign-ok
		rc=0
		qpdf --requires-password "$(f "$name")" || rc=$?
		kh_check "$name: opens without a password" test "$rc" = 3
	else
		kh_check "$name: manifest names the user password" test "$(field "$name" 3)" = "needs-password:$up"
	fi
done

# --- hybrid reference files --------------------------------------------------------------------
for h in hybrid-word2016.pdf hybrid-single.pdf; do
	kh_check "$h: classic xref table present" test "$(lines "$h" '^xref')" -ge 1
	kh_check "$h: trailer has /XRefStm" has "$h" '/XRefStm'
	kh_check "$h: xref stream present" has "$h" '/Type /XRef'
	kh_check "$h: object 5 found through the xref stream" bash -c \
		"qpdf --show-object=5 '$(f "$h")' | grep -q /Helvetica"
	kh_check "$h: object 5 is not in the classic table (lost when xref streams are ignored)" bash -c \
		"qpdf --ignore-xref-streams --show-object=5 '$(f "$h")' 2>/dev/null | grep -qx null"
	kh_check "$h: poppler reads the text" bash -c "pdftotext '$(f "$h")' - | grep -q 'Hybrid reference file'"
done
kh_check "hybrid-word2016: empty 'xref 0 0' section as Word writes" \
	bash -c "grep -aq \$'^0 0\r\$' '$(f hybrid-word2016.pdf)'"
kh_check "hybrid-word2016: two sections (%%EOF twice)" test "$(lines hybrid-word2016.pdf '%%EOF')" = 2

# --- incremental revisions -------------------------------------------------------------------
kh_check "revisions-10: 11 %%EOF" test "$(lines revisions-10.pdf '^%%EOF')" = 11
kh_check "revisions-10: last revision wins" bash -c "pdfinfo '$(f revisions-10.pdf)' | grep -q 'Revision 10 of 10'"
kh_check "revisions-10: the base is a byte-exact prefix" \
	cmp -n "$(stat -c %s "$(f xref-classic.pdf)")" "$(f xref-classic.pdf)" "$(f revisions-10.pdf)"
kh_check "revisions-10: 10 trailers with /Prev" test "$(lines revisions-10.pdf '^<< /Size .* /Prev [0-9]* /ID')" = 10
kh_check "revisions-10: a freed object (generation 1 free entry)" has revisions-10.pdf '0000000000 00001 f'
kh_check "revisions-xrefstm-3: 4 %%EOF" test "$(lines revisions-xrefstm-3.pdf '^%%EOF')" = 4
kh_check "revisions-xrefstm-3: last revision wins" \
	bash -c "pdfinfo '$(f revisions-xrefstm-3.pdf)' | grep -q 'Xref-stream revision 3 of 3'"
kh_check "revisions-xrefstm-3: no classic table" test "$(lines revisions-xrefstm-3.pdf '^xref')" = 0

# --- signed and certified ----------------------------------------------------------------------
kh_check "signed-once: 1 valid signature (pdfsig)" test "$(valid_sigs "$(f signed-once.pdf)")" = 1
kh_check "signed-twice: 2 valid signatures (pdfsig)" test "$(valid_sigs "$(f signed-twice.pdf)")" = 2
kh_check "signed-real-pdf12: 1 valid signature (pdfsig)" test "$(valid_sigs "$(f signed-real-pdf12.pdf)")" = 1
kh_check "signed-enc-aes-256: 1 valid signature (pdfsig -upw)" \
	test "$(valid_sigs "$(f signed-enc-aes-256.pdf)" -upw kyso-user)" = 1
kh_check "signed-enc-aes-256: AES-256 encrypted" \
	bash -c "qpdf --show-encryption --password=kyso-user '$(f signed-enc-aes-256.pdf)' | grep -qx 'stream encryption method: AESv3'"
kh_check "signed-twice: signed-once is its byte-exact prefix" \
	cmp -n "$(stat -c %s "$(f signed-once.pdf)")" "$(f signed-once.pdf)" "$(f signed-twice.pdf)"
kh_check "certified: 1 valid signature (pdfsig)" test "$(valid_sigs "$(f certified-docmdp-p1.pdf)")" = 1
cert=$(f certified-docmdp-p1.pdf)
perms=$(qpdf --show-object="$(qpdf --show-object=trailer "$cert" | sed -n 's/.*\/Root \([0-9]*\) 0 R.*/\1/p')" "$cert")
sigobj=$(sed -n 's/.*\/Perms << \/DocMDP \([0-9]*\) 0 R.*/\1/p' <<<"$perms")
kh_check "certified: catalog /Perms /DocMDP points at a signature" test -n "$sigobj"
sigdict=$(qpdf --show-object="${sigobj:-0}" "$cert" 2>/dev/null || true)
kh_check "certified: DocMDP transform" grep -q "/TransformMethod /DocMDP" <<<"$sigdict"
kh_check "certified: /P 1 (no changes allowed)" grep -q "/P 1 " <<<"$sigdict"
# Independent check of the CMS over the ByteRange with openssl.
kh_check "certified: openssl cms -verify accepts the ByteRange content" /usr/bin/python3 - "$cert" "$KH_TMP" <<'PY'
import re, subprocess, sys
data = open(sys.argv[1], "rb").read()
m = re.search(rb"/ByteRange \[0 (\d+) (\d+) (\d+)\]", data)
a, b, c = (int(x) for x in m.groups())
raw = bytes.fromhex(data[a + 1:b - 1].decode())
# DER length of the SignedData: the rest of /Contents is zero padding.
n = 2 + raw[1] if raw[1] < 0x80 else 2 + (raw[1] & 0x7F) + int.from_bytes(raw[2:2 + (raw[1] & 0x7F)], "big")
sig = raw[:n]
open(sys.argv[2] + "/content", "wb").write(data[:a] + data[b:b + c])
open(sys.argv[2] + "/sig.der", "wb").write(sig)
r = subprocess.run(["openssl", "cms", "-verify", "-binary", "-noverify", "-inform", "DER", "-in",
		    sys.argv[2] + "/sig.der", "-content", sys.argv[2] + "/content", "-out", "/dev/null"],
		   capture_output=True)
sys.exit(r.returncode)
PY

# --- form with an empty signature field: mutool can sign into it --------------------------------
kh_check "form: mutool sees an unsigned signature field" \
	bash -c "mutool sign '$(f form-empty-sigfield.pdf)' | grep -q 'Signature is not signed'"
kh_check "form: text field HoTen holds its value" bash -c \
	"qpdf --show-object=7 '$(f form-empty-sigfield.pdf)' | grep '/T (HoTen)' | grep -q '/V (Nguyen Van An)'"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KH_TMP/k.pem" -out "$KH_TMP/c.pem" -days 2 \
	-subj "/CN=corpus self-test" 2>/dev/null
openssl pkcs12 -export -inkey "$KH_TMP/k.pem" -in "$KH_TMP/c.pem" -out "$KH_TMP/s.p12" -passout pass:x
sign_field() { # sign_field IN OUT: mutool signs the first unsigned field
	local n
	n=$(mutool sign "$1" | sed -n 's/^ *\([0-9]*\): Signature is not signed.*/\1/p' | head -n1)
	[[ -n $n ]] && mutool sign -s "$KH_TMP/s.p12" -P x -o "$2" "$1" "$n" >/dev/null
}
kh_check "form: mutool signs the empty field" sign_field "$(f form-empty-sigfield.pdf)" "$KH_TMP/form-signed.pdf"
kh_check "form: that signature is valid for pdfsig" test "$(valid_sigs "$KH_TMP/form-signed.pdf")" = 1

# --- damaged variants: the damage is there, and qpdf sees what the manifest claims -------------
base=$(f real-libtasn1-pdftex.pdf)
jh=$(f damaged-junk-header.pdf)
kh_check "junk-header: does not start with %PDF-" test "$(head -c 5 "$jh")" != "%PDF-"
off=$(grep -abo -m1 '%PDF-' "$jh" | cut -d: -f1)
kh_check "junk-header: header found at offset > 0 ($off)" test "${off:-0}" -gt 0
kh_check "junk-header: qpdf recovers without warnings" test "$(qcheck "$jh")" = 0
tail_after() { echo $(($(stat -c %s "$1") - $(grep -abo '%%EOF' "$1" | tail -n1 | cut -d: -f1) - 5)); }
kh_check "trailing-garbage: > 500 bytes after the last %%EOF" test "$(tail_after "$(f damaged-trailing-garbage.pdf)")" -gt 500
kh_check "trailing-garbage: qpdf clean" test "$(qcheck "$(f damaged-trailing-garbage.pdf)")" = 0
kh_check "trailing-garbage-4k: > 4000 bytes after the last %%EOF" \
	test "$(tail_after "$(f damaged-trailing-garbage-4k.pdf)")" -gt 4000
kh_check "trailing-garbage-4k: the original is a byte-exact prefix" \
	cmp -n "$(stat -c %s "$base")" "$base" "$(f damaged-trailing-garbage-4k.pdf)"
kh_check "trailing-garbage-4k: poppler still reads it" \
	bash -c "pdftotext '$(f damaged-trailing-garbage-4k.pdf)' - | grep -q Libtasn1"
kh_check "truncated: half of xref-stream-objstm.pdf" \
	test "$(stat -c %s "$(f damaged-truncated.pdf)")" = $(($(stat -c %s "$(f xref-stream-objstm.pdf)") / 2))
for d in damaged-length-short.pdf damaged-length-long.pdf; do
	kh_check "$d: same size as xref-classic.pdf" test "$(stat -c %s "$(f $d)")" = "$(stat -c %s "$(f xref-classic.pdf)")"
	rc=$(qcheck "$(f $d)")
	kh_check "$d: qpdf recovers the stream length with warnings" \
		bash -c "test $rc = 3 && grep -q 'recovered stream length' '$KH_TMP/q.err'"
done
rc=$(qcheck "$(f damaged-xref-shift.pdf)")
kh_check "xref-shift: qpdf reconstructs the xref table" \
	bash -c "test $rc = 3 && grep -q 'reconstruct cross-reference table' '$KH_TMP/q.err'"
rc=$(qcheck "$(f real-doulos-cairo-broken-xref.pdf)")
kh_check "real-doulos-cairo-broken-xref: qpdf reconstructs the xref table" \
	bash -c "test $rc = 3 && grep -q 'reconstruct cross-reference table' '$KH_TMP/q.err'"
kh_check "xref-shift: the undamaged original is clean" test "$(qcheck "$(f real-camlidl-pdf12.pdf)")" = 0
kh_check "empty.pdf is empty" test ! -s "$(f empty.pdf)"
kh_check "not-a-pdf: no %PDF- anywhere" bash -c "! grep -aq '%PDF-' '$(f not-a-pdf.pdf)' '$(f not-a-pdf-binary.pdf)'"

# --- kh-bigpdf -----------------------------------------------------------------------------------
kh_check "big-300p-3mb: 300 pages" bash -c "pdfinfo '$(f big-300p-3mb.pdf)' | grep -qE '^Pages: +300$'"
kh_check "big-300p-3mb: >= 3 MiB" test "$(stat -c %s "$(f big-300p-3mb.pdf)")" -ge $((3 << 20))
t0=$(date +%s%N)
kh_check "kh-bigpdf 20 pages / 8 MiB" kh-bigpdf "$KH_TMP/b.pdf" --pages 20 --mb 8
ms=$((($(date +%s%N) - t0) / 1000000))
kh_check "kh-bigpdf output passes qpdf --check" test "$(qcheck "$KH_TMP/b.pdf")" = 0
kh_check "kh-bigpdf reaches 8 MiB" test "$(stat -c %s "$KH_TMP/b.pdf")" -ge $((8 << 20))
kh_check "kh-bigpdf images are incompressible (gzip saves < 1%)" \
	test "$(gzip -1 -c "$KH_TMP/b.pdf" | wc -c)" -gt $(($(stat -c %s "$KH_TMP/b.pdf") * 99 / 100))
echo "# kh-bigpdf 8 MiB in ${ms} ms"
kh_check "kh-bigpdf 5000 text pages" kh-bigpdf "$KH_TMP/p.pdf" --pages 5000
kh_check "5000-page file: 5000 pages, qpdf clean" \
	bash -c "pdfinfo '$KH_TMP/p.pdf' | grep -qE '^Pages: +5000$' && qpdf --check '$KH_TMP/p.pdf' >/dev/null"
kh_check "kh-bigpdf --sigfield" kh-bigpdf "$KH_TMP/s.pdf" --pages 70 --mb 1 --sigfield
kh_check "kh-bigpdf --sigfield: qpdf clean" test "$(qcheck "$KH_TMP/s.pdf")" = 0
kh_check "kh-bigpdf --sigfield: mutool signs the field" sign_field "$KH_TMP/s.pdf" "$KH_TMP/s-signed.pdf"
kh_check "kh-bigpdf --sigfield: signature valid for pdfsig" test "$(valid_sigs "$KH_TMP/s-signed.pdf")" = 1
kh_check "kh-bigpdf rejects --pages 0" bash -c "! kh-bigpdf '$KH_TMP/z.pdf' --pages 0 2>/dev/null"
rm -f "$KH_TMP"/*.pdf

kh_done
