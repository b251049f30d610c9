# Shared setup for the signer tests. Source after lib.sh:
#   . "$KYSO_HARNESS/lib.sh"; . "$KYSO_SRC/tests/signer/common.sh"; sg_setup
# Gives: a private SoftHSM2 copy ($SG_HSM, tokens kyso-rsa/kyso-ec, PIN in $SG_PIN env var),
# the test PKI (KH_PKI_*), an NSS db trusting the test root for pdfsig ($SG_NSS), and helpers.

# sg_setup: PKI (shared, read-only), private SoftHSM tokens, NSS db.
sg_setup() {
	kh_tmpdir
	local pki=${KYSO_BUILD:?}/harness/pki
	kh-pki "$pki" >/dev/null
	set -a
	# shellcheck disable=SC1091
	. "$pki/pki.env"
	set +a
	SG_HSM=$KH_TMP/hsm
	kh-softhsm "$SG_HSM" "$pki" >/dev/null
	set -a
	# shellcheck disable=SC1091
	. "$SG_HSM/softhsm.env"
	set +a
	export SG_PIN=$KH_P11_USER_PIN
	export SG_NSS=$KH_TMP/nss
	mkdir -p "$SG_NSS"
	certutil -N -d "sql:$SG_NSS" --empty-password
	certutil -A -d "sql:$SG_NSS" -n kyso-test-root -t "CT,C,C" -i "$KH_PKI_ROOT_CERT"
	# the signer certificates as known (not trusted) certificates: poppler 22 reports "Unknown
	# issue with Certificate" for the 2nd signature of a certificate it only saw inside the CMS
	# (its own `pdfsig -add-signature` files too); trust still comes from the root only
	certutil -A -d "sql:$SG_NSS" -n kyso-signer-rsa -t ",," -i "$KH_PKI_SIGNER_RSA_CERT"
	certutil -A -d "sql:$SG_NSS" -n kyso-signer-ec -t ",," -i "$KH_PKI_SIGNER_EC_CERT"
	SG_FAULT=$KYSO_BUILD/lib/kyso-faultp11.so
}

# sg_sign ARGS...: kyso sign with the RSA token by default.
sg_sign() {
	kyso sign --module "$KH_P11_MODULE" --token kyso-rsa --pin-env SG_PIN "$@"
}

# sg_extract PDF OUTDIR: the last signature's ByteRange content (OUTDIR/content) and CMS
# DER (OUTDIR/sig.der), read from the file bytes by a parser independent of kyso's.
sg_extract() {
	python3 - "$1" "$2" <<'PY'
import re, sys, os
data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
m = None
for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data):
    pass
if m is None:
    sys.exit("no /ByteRange")
a, b, c, d = (int(x) for x in m.groups())
if a != 0 or c + d > len(data) or data[b:b+1] != b"<" or data[c-1:c] != b">":
    sys.exit("bad /ByteRange %r" % ((a, b, c, d),))
der = bytes.fromhex(data[b+1:c-1].decode())
# DER length from the header (the rest is zero padding)
if der[0] != 0x30:
    sys.exit("not DER")
if der[1] < 0x80:
    n = 2 + der[1]
else:
    k = der[1] & 0x7f
    n = 2 + k + int.from_bytes(der[2:2+k], "big")
open(os.path.join(out, "sig.der"), "wb").write(der[:n])
open(os.path.join(out, "content"), "wb").write(data[a:a+b] + data[c:c+d])
PY
}

# sg_openssl_ok PDF CAFILE: openssl cms -verify accepts the last signature.
sg_openssl_ok() {
	local d
	d=$(mktemp -d "$KH_TMP/x.XXXXXX")
	sg_extract "$1" "$d" &&
		openssl cms -verify -binary -inform DER -in "$d/sig.der" -content "$d/content" \
			-CAfile "$2" -purpose any -out /dev/null 2>"$d/err"
}

# sg_pdfsig_all_valid PDF [pdfsig options]: every signature "Signature is Valid." and at
# least one signature.
sg_pdfsig_all_valid() {
	local f=$1 out
	shift
	out=$(pdfsig -nssdir "sql:$SG_NSS" "$@" "$f" 2>&1) || true
	local n v
	n=$(grep -c "Signature Validation:" <<<"$out" || true)
	v=$(grep -c "Signature Validation: Signature is Valid." <<<"$out" || true)
	if [[ $n -gt 0 && $n -eq $v ]]; then
		return 0
	fi
	echo "$out" >&2
	return 1
}

# sg_pdfsig_count PDF: number of signatures pdfsig sees
sg_pdfsig_count() {
	pdfsig -nssdir "sql:$SG_NSS" "$@" 2>/dev/null | grep -c "Signature Validation:" || true
}

# sg_sha FILE
sg_sha() { sha256sum "$1" | cut -d' ' -f1; }

# sg_qpdf_level PDF [qpdf options]: 0 clean, 1 warnings, 2 errors
sg_qpdf_level() {
	local f=$1 rc=0
	shift
	qpdf "$@" --check "$f" >/dev/null 2>&1 || rc=$?
	case $rc in
	0) echo 0 ;;
	3) echo 1 ;;
	*) echo 2 ;;
	esac
}

# for `bash -c` checks
export -f sg_extract sg_openssl_ok sg_pdfsig_all_valid sg_pdfsig_count sg_sha sg_qpdf_level
