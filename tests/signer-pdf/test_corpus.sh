#!/bin/bash
# The PDF reader on the foundation corpus: every file opens (with its
# password) or is refused with the right error; structure facts are right
# (sections, revisions, repair, junk before the header, signatures and which
# revision each covers, what later revisions changed).
. "$KYSO_HARNESS/lib.sh"
set +e
kh_tmpdir
T=$KH_TMP
CORPUS=${KYSO_PDF_CORPUS:-$KYSO_BUILD/corpus}
[[ -f $CORPUS/manifest.tsv ]] || kh-corpus "$CORPUS" >/dev/null
TOOL=kyso-pdf-tool

val() { sed -n "s/^$1=//p" "$2" | head -1; }

opened=0
while IFS=$'\t' read -r f kind exp note; do
	[[ $f == \#* || -z $f ]] && continue
	pw=()
	[[ $exp == needs-password:* ]] && pw=(-p "${exp#needs-password:}")
	"$TOOL" info "$CORPUS/$f" "${pw[@]}" >"$T/$f.info" 2>"$T/$f.err"
	rc=$?
	case $exp in
	sign-ok | needs-password:* | sign-refuse:docmdp-p1)
		pages=$(val pages "$T/$f.info")
		kh_check "$f: opens, $pages pages" test $rc -eq 0 -a "${pages:-0}" -gt 0
		opened=$((opened + 1))
		;;
	sign-refuse:*)
		kh_check "$f: refused: bad-pdf, exit 5" \
			test $rc -eq 5 -a "$(cut -d' ' -f1 "$T/$f.err")" = "error=bad-pdf"
		;;
	esac
done <"$CORPUS/manifest.tsv"
echo "opened $opened corpus files"

i() { cat "$T/$1.info"; }
kh_check "revisions-10: 11 xref sections, 11 revisions" \
	test "$(val sections "$T/revisions-10.pdf.info")/$(val revisions "$T/revisions-10.pdf.info")" = 11/11
kh_check "revisions-xrefstm-3: 4 xref sections, 4 revisions" \
	test "$(val sections "$T/revisions-xrefstm-3.pdf.info")/$(val revisions "$T/revisions-xrefstm-3.pdf.info")" = 4/4
kh_check "linearized: 2 xref sections" test "$(val sections "$T/linearized.pdf.info")" = 2
kh_check "hybrid-word2016: 2 sections, 1 page" \
	test "$(val sections "$T/hybrid-word2016.pdf.info")/$(val pages "$T/hybrid-word2016.pdf.info")" = 2/1
kh_check "damaged-xref-shift: xref rebuilt with a warning" \
	bash -c "grep -q '^repaired=1' '$T/damaged-xref-shift.pdf.info' && grep -q '^warning=.*rebuilt' '$T/damaged-xref-shift.pdf.info'"
kh_check "xref-classic: not repaired, no warning" \
	bash -c "grep -q '^repaired=0' '$T/xref-classic.pdf.info' && ! grep -q '^warning=' '$T/xref-classic.pdf.info'"
kh_check "damaged-junk-header: header offset > 0" test "$(val header_offset "$T/damaged-junk-header.pdf.info")" -gt 0
kh_check "certified-docmdp-p1: DocMDP P=1 reported" test "$(val docmdp "$T/certified-docmdp-p1.pdf.info")" = 1
kh_check "xref-classic: not certified" test "$(val docmdp "$T/xref-classic.pdf.info")" = 0
kh_check "enc-aes-256: reported encrypted" test "$(val encrypted "$T/enc-aes-256.pdf.info")" = 1
for v in 2 3 4 5 6 7; do
	kh_check "version-1.$v.pdf: header version 1$v" test "$(val version "$T/version-1.$v.pdf.info")" = 1$v
done
kh_check "version-2.0.pdf: header version 20" test "$(val version "$T/version-2.0.pdf.info")" = 20

# signatures and the revisions they cover
st=$T/signed-twice.pdf.info
kh_check "signed-twice: 2 signatures" test "$(val signatures "$st")" = 2
kh_check "signed-twice: signature 1 covers revision 1, signature 2 revision 2" \
	test "$(val sig.0.revision "$st")/$(val sig.1.revision "$st")" = 1/2
kh_check "signed-twice: signature 2 covers the whole file" \
	test "$(val sig.1.covered_end "$st")" = "$(stat -c %s "$CORPUS/signed-twice.pdf")"
kh_check "signed-twice: /Contents found at byte_range[1]" \
	test "$(val sig.0.contents_offset "$st")" = "$(val sig.0.byterange "$st" | cut -d' ' -f2)"
kh_check "signed-once: subfilter adbe.pkcs7.detached" \
	test "$(val sig.0.subfilter "$T/signed-once.pdf.info")" = adbe.pkcs7.detached

# what changed after the first signature of signed-twice: only signature/form objects
"$TOOL" changes "$CORPUS/signed-twice.pdf" "$(val sig.0.covered_end "$st")" >"$T/ch1" 2>&1
kh_check "signed-twice: changes after signature 1 include a new signature" grep -q ' signature new' "$T/ch1"
kh_check "signed-twice: changes after signature 1 are signature/form only" \
	bash -c "grep '^change=' '$T/ch1' | grep -qv -E ' (signature|form-field|acroform|page-annots|catalog-form|appearance|xref)( new)?$' && exit 1 || exit 0"
# revisions-10 rewrites the Info dictionary: "other" content changed
r0=$(val revision.0 "$T/revisions-10.pdf.info")
"$TOOL" changes "$CORPUS/revisions-10.pdf" "$r0" >"$T/ch2" 2>&1
kh_check "revisions-10: changes after revision 1 are 'other'" grep -q ' other' "$T/ch2"
# the author's permissions: no form filling/annotating for the user password
qpdf --encrypt kyso-user kyso-owner 256 --annotate=n --form=n -- \
	"$CORPUS/xref-classic.pdf" "$T/noperm.pdf" 2>/dev/null
"$TOOL" prepare "$T/noperm.pdf" "$T/noperm-user.pdf" -p kyso-user >/dev/null 2>"$T/noperm.err"
kh_check "signing forbidden by /P with the user password: bad-input, exit 5" \
	grep -q '^error=bad-input exit=5: .*security settings' "$T/noperm.err"
kh_check "signing forbidden by /P: no output" test ! -e "$T/noperm-user.pdf"
kh_check "the owner password may sign it" \
	"$TOOL" prepare "$T/noperm.pdf" "$T/noperm-owner.pdf" -p kyso-owner
qpdf --encrypt kyso-user kyso-owner 256 --annotate=n -- \
	"$CORPUS/xref-classic.pdf" "$T/formonly.pdf" 2>/dev/null
kh_check "form filling allowed (bit 9): the user password may sign" \
	"$TOOL" prepare "$T/formonly.pdf" "$T/formonly-user.pdf" -p kyso-user
kh_check "at least 40 corpus files opened" test $opened -ge 40
kh_done
