#!/usr/bin/env bash
# Signs every file of the PDF corpus that can be signed (RSA token, SoftHSM2), then checks
# each result with other tools: pdfsig (every signature valid, ours trusted), qpdf --check
# (no worse than the input), openssl cms -verify on the ByteRange content (independent
# extraction), kyso verify (all signatures, earlier ones included). Files the corpus marks
# sign-refuse must be refused with exit 5, nothing written, input unchanged.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup

CORPUS=$KYSO_BUILD/corpus
kh-corpus "$CORPUS" >/dev/null
OUT=$KH_TMP/out
mkdir -p "$OUT"
# the corpus' own throwaway signer (earlier pdfsig signatures) is trusted for kyso verify
ANCHORS=(--ca "$KH_PKI_ROOT_CERT" --ca "$CORPUS/.pki/cert.pem")
certutil -A -d "sql:$SG_NSS" -n corpus-signer -t "CT,C,C" -i "$CORPUS/.pki/cert.pem"

signed=0
total=0
refused=0
while IFS=$'\t' read -r file kind expected note; do
	[[ -z $file || $file == \#* ]] && continue
	in=$CORPUS/$file
	out=$OUT/$file
	before=$(sg_sha "$in")
	case $expected in
	sign-ok | needs-password:*)
		total=$((total + 1))
		pw=()
		pdfsig_pw=()
		qpdf_pw=()
		if [[ $expected == needs-password:* ]]; then
			p=${expected#needs-password:}
			pw=(--password "$p")
			pdfsig_pw=(-upw "$p")
			qpdf_pw=("--password=$p")
		fi
		ok=1
		nbefore=$(sg_pdfsig_count "${pdfsig_pw[@]}" "$in")
		if ! sg_sign "${pw[@]}" "$in" -o "$out" >"$OUT/$file.log" 2>&1; then
			echo "  sign failed: $(tail -n 2 "$OUT/$file.log")" >&2
			ok=0
		fi
		if [[ $ok == 1 ]]; then
			# one pdfsig run on the output for all its checks
			ps=$(pdfsig -nssdir "sql:$SG_NSS" "${pdfsig_pw[@]}" "$out" 2>/dev/null || true)
			nafter=$(grep -c "Signature Validation:" <<<"$ps" || true)
			nvalid=$(grep -c "Signature Validation: Signature is Valid." <<<"$ps" || true)
			if [[ $nafter -ne $((nbefore + 1)) || $nvalid -ne $nafter ]]; then
				echo "  pdfsig: $nbefore signatures before, $nafter after, $nvalid valid" >&2
				ok=0
			fi
			if ! tail -n 3 <<<"$ps" | grep -q "Certificate is Trusted"; then
				echo "  pdfsig: our certificate not trusted" >&2
				ok=0
			fi
			lin=$(sg_qpdf_level "$in" "${qpdf_pw[@]}")
			lout=$(sg_qpdf_level "$out" "${qpdf_pw[@]}")
			if [[ $lout -gt $lin ]]; then
				echo "  qpdf --check: $lin before, $lout after" >&2
				ok=0
			fi
			if ! sg_openssl_ok "$out" "$KH_PKI_CHAIN"; then
				echo "  openssl cms -verify refused the ByteRange content" >&2
				ok=0
			fi
			if ! kyso verify "${pw[@]}" "${ANCHORS[@]}" "$out" >"$OUT/$file.verify" 2>&1; then
				echo "  kyso verify: $(grep -E '!|=>' "$OUT/$file.verify" | head -n 4)" >&2
				ok=0
			fi
		fi
		[[ $(sg_sha "$in") == "$before" ]] || {
			echo "  input modified" >&2
			ok=0
		}
		if [[ $ok == 1 ]]; then
			signed=$((signed + 1))
			kh_pass "sign+check $file ($kind)"
		else
			kh_fail "sign+check $file ($kind, $expected)"
		fi
		;;
	sign-refuse:*)
		rc=0
		sg_sign --json "$in" -o "$out" >"$OUT/$file.json" 2>/dev/null || rc=$?
		id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["id"])' \
			"$OUT/$file.json" 2>/dev/null || echo none)
		if [[ $rc -eq 5 && ! -e $out && $(sg_sha "$in") == "$before" ]]; then
			refused=$((refused + 1))
			kh_pass "refuse $file (${expected#sign-refuse:}: exit 5, $id, nothing written)"
		else
			kh_fail "refuse $file: exit $rc ($id), output exists: $([[ -e $out ]] && echo yes || echo no)"
		fi
		;;
	esac
done <"$CORPUS/manifest.tsv"
leftovers=$(find "$OUT" -name '.*.tmp-*' | wc -l)
kh_check "no temporary files left ($leftovers)" test "$leftovers" -eq 0
echo "corpus: $signed/$total signable files signed and valid in pdfsig, qpdf, openssl cms, kyso verify; $refused refused as expected"
kh_check "every signable corpus file passes ($signed/$total)" test "$signed" -eq "$total" -a "$total" -gt 30
kh_done
