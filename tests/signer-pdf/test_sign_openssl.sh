#!/bin/bash
# End-to-end check of the PDF writer without the token: for every corpus file
# that can be signed, kyso-pdf-tool prepares the incremental update, the
# ByteRange content is signed with `openssl cms`, the DER is filled in, and
# then: pdfsig reports every signature valid (earlier ones too), qpdf --check
# is no worse than on the input, the input is an exact prefix of the output,
# and our own reader sees one more signature covering the whole file.
# Files that must be refused are refused with the right error and no output.
. "$KYSO_HARNESS/lib.sh"
set +e # every step is checked explicitly
quiet() { "$@" >/dev/null 2>&1; }
kh_tmpdir

CORPUS=${KYSO_PDF_CORPUS:-$KYSO_BUILD/corpus}
[[ -f $CORPUS/manifest.tsv ]] || kh-corpus "$CORPUS" >/dev/null
TOOL=kyso-pdf-tool
T=$KH_TMP

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 30 \
	-subj "/CN=Kyso PDF writer test" 2>/dev/null

# sign_file IN OUT PW [prepare options...]: prepare, sign the ranges, fill.
sign_file() {
	local in=$1 out=$2 pw=$3
	shift 3
	local popt=()
	[[ -n $pw ]] && popt=(-p "$pw")
	"$TOOL" prepare "$in" "$out" "${popt[@]}" "$@" >"$T/slot" 2>"$T/err" || return 1
	local off len br
	off=$(sed -n 's/^contents_offset=//p' "$T/slot")
	len=$(sed -n 's/^hex_len=//p' "$T/slot")
	br=$(sed -n 's/^byte_range=//p' "$T/slot")
	set -- $br
	# the slot must be consistent: ranges around the <hex> and up to the end
	[[ $1 -eq 0 && $(($2 + 1)) -eq $off && $3 -eq $((off + len + 1)) ]] || return 2
	[[ $(($3 + $4)) -eq $(stat -c %s "$out") ]] || return 3
	{ head -c "$2" "$out"; tail -c +"$(($3 + 1))" "$out" | head -c "$4"; } >"$T/data"
	# the digest returned by prepare is the digest of exactly these bytes
	local want
	want=$(sed -n 's/^digest=//p' "$T/slot")
	[[ $(openssl dgst -sha256 -r "$T/data" | cut -d' ' -f1 | tr a-f A-F) == "$want" ]] || return 4
	openssl cms -sign -binary -in "$T/data" -signer "$T/cert.pem" -inkey "$T/key.pem" \
		-outform DER -out "$T/sig.der" 2>/dev/null || return 5
	"$TOOL" fill "$out" "$off" "$len" "$T/sig.der" >/dev/null || return 6
}

pdfsig_all_valid() { # FILE EXPECTED_COUNT PW
	local pw=()
	[[ -n $3 ]] && pw=(-upw "$3")
	pdfsig "${pw[@]}" "$1" >"$T/pdfsig" 2>&1
	local valid total
	valid=$(grep -c "Signature Validation: Signature is Valid" "$T/pdfsig")
	total=$(grep -c "^Signature #" "$T/pdfsig")
	[[ $valid -eq $2 && $total -eq $2 ]]
}

qpdf_rc() { # FILE PW
	local pw=()
	[[ -n $2 ]] && pw=(--password="$2")
	qpdf "${pw[@]}" --check "$1" >/dev/null 2>&1
	echo $?
}

signed=0
while IFS=$'\t' read -r f kind exp note; do
	[[ $f == \#* || -z $f ]] && continue
	in=$CORPUS/$f
	out=$T/out-$f
	pw=""
	case $exp in
	needs-password:*) pw=${exp#needs-password:} ;;
	esac
	case $exp in
	sign-ok | needs-password:*)
		"$TOOL" info "$in" ${pw:+-p "$pw"} >"$T/info-in" 2>/dev/null
		before=$(sed -n 's/^signatures=//p' "$T/info-in")
		if ! sign_file "$in" "$out" "$pw" --reason "Kiểm tra $f"; then
			kh_fail "$f: prepare/sign/fill ($(cat "$T/err"))"
			continue
		fi
		kh_check "$f: original bytes are an exact prefix" \
			cmp -s -n "$(stat -c %s "$in")" "$in" "$out"
		kh_check "$f: pdfsig: all $((before + 1)) signatures valid" \
			pdfsig_all_valid "$out" $((before + 1)) "$pw"
		qin=$(qpdf_rc "$in" "$pw")
		qout=$(qpdf_rc "$out" "$pw")
		# 0 = clean, 3 = warnings, 2 = errors: the output may not be worse
		rank() { case $1 in 0) echo 0 ;; 3) echo 1 ;; *) echo 2 ;; esac; }
		kh_check "$f: qpdf --check no worse than input ($qin -> $qout)" \
			test "$(rank "$qout")" -le "$(rank "$qin")"
		"$TOOL" info "$out" ${pw:+-p "$pw"} >"$T/info" 2>&1
		n=$(sed -n 's/^signatures=//p' "$T/info")
		last=$((n - 1))
		end=$(sed -n "s/^sig.$last.covered_end=//p" "$T/info")
		kh_check "$f: reader sees $((before + 1)) signatures, the new one covers the file" \
			test "$n" = $((before + 1)) -a "$end" = "$(stat -c %s "$out")"
		# what the update changed: signature/form objects only (a rebuilt xref
		# has no revision history to compare: that file is reported, not counted)
		if grep -q '^repaired=1' "$T/info-in"; then
			echo "note - $f: xref rebuilt, revision comparison not applicable"
		else
			"$TOOL" changes "$out" "$(stat -c %s "$in")" ${pw:+-p "$pw"} >"$T/ch" 2>&1
			kh_check "$f: changes after the original are signature/form objects only" \
				bash -c "grep -q ' signature new' '$T/ch' && ! grep -q ' other' '$T/ch'"
		fi
		signed=$((signed + 1))
		;;
	sign-refuse:*)
		reason=${exp#sign-refuse:}
		want=bad-pdf
		[[ $reason == docmdp-p1 ]] && want=bad-input
		"$TOOL" prepare "$in" "$out" >/dev/null 2>"$T/err"
		rc=$?
		kh_check "$f: refused ($reason) with exit 5 and error $want" \
			grep -q "^error=$want exit=5" "$T/err"
		kh_check "$f: refused with exit code 5" test $rc -eq 5
		kh_check "$f: no output written" test ! -e "$out"
		;;
	esac
	if [[ -n $pw ]]; then
		"$TOOL" prepare "$in" "$out.nopw" >/dev/null 2>"$T/err"
		kh_check "$f: without password: bad-password" grep -q "^error=bad-password exit=5" "$T/err"
		"$TOOL" prepare "$in" "$out.badpw" -p "not-$pw" >/dev/null 2>"$T/err"
		kh_check "$f: wrong password: bad-password" grep -q "^error=bad-password exit=5" "$T/err"
	fi
	rm -f "$out"
done <"$CORPUS/manifest.tsv"

# Several signatures in sequence on one file (classic and xref-stream files).
for base in xref-classic.pdf xref-stream-objstm.pdf hybrid-word2016.pdf; do
	cur=$CORPUS/$base
	ok=1
	for i in 1 2 3; do
		sign_file "$cur" "$T/seq-$i-$base" "" --field "Ký số $i" || ok=0
		cur=$T/seq-$i-$base
	done
	kh_check "$base: three signatures in sequence all valid in pdfsig" \
		test $ok -eq 1 -a "$(pdfsig "$cur" 2>&1 | grep -c 'Signature is Valid')" -eq 3
	kh_check "$base: qpdf --check clean after three signatures" quiet qpdf --check "$cur"
done

# A pre-made empty signature field is signed into; the other fields survive.
if sign_file "$CORPUS/form-empty-sigfield.pdf" "$T/form.pdf" ""; then
	kh_check "form: signed into the empty field ChuKy1 (pdfsig)" \
		bash -c "pdfsig '$T/form.pdf' | grep -q 'Signature Field Name: ChuKy1'"
	kh_check "form: one valid signature" pdfsig_all_valid "$T/form.pdf" 1 ""
	kh_check "form: text field HoTen and its value kept" \
		bash -c "'$TOOL' dump '$T/form.pdf' 7 | grep -q '/T (HoTen).*/V (Nguyen Van An)'"
	kh_check "form: /Fields still lists both fields" \
		bash -c "'$TOOL' dump '$T/form.pdf' 1 | grep -q '/Fields \[7 0 R 8 0 R\]'"
else
	kh_fail "form: prepare/sign"
fi

# A visible appearance (the issue 6 hook) on the last page of a multi-page file.
sign_file "$CORPUS/real-libtasn1-pdftex.pdf" "$T/visible.pdf" "" --visible --page -1 &&
	kh_check "visible appearance: pdfsig valid" pdfsig_all_valid "$T/visible.pdf" 1 "" &&
	kh_check "visible appearance: qpdf --check clean" quiet qpdf --check "$T/visible.pdf" ||
	kh_fail "visible appearance: prepare/sign"

# Encrypted output: new strings are encrypted, /Contents is not.
sign_file "$CORPUS/enc-aes-256.pdf" "$T/enc.pdf" kyso-user --reason "Bí mật" || kh_fail "enc sign"
kh_check "encrypted: /Reason readable through the reader (decrypted)" \
	bash -c "'$TOOL' info '$T/enc.pdf' -p kyso-user | grep -q '^sig.0.reason=Bí mật'"
kh_check "encrypted: /Reason not stored in clear" \
	bash -c "! grep -a -q 'FEFF0042' '$T/enc.pdf'"

echo "signed $signed corpus files"
kh_check "at least 35 corpus files signed" test $signed -ge 35
kh_done
