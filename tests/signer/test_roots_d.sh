#!/usr/bin/env bash
# IT staff's own document anchors (issue 17): a root copied into roots.d under the system
# configuration folder (/etc/kyso/roots.d; here a private copy through KYSO_SYSCONFDIR, the
# same lookup) makes a signature under it trusted, with root category "local"; without it,
# or with --no-system-ca, the same signature is INDETERMINATE (exit 7), never TOTAL-PASSED.
# A file in roots.d that is not a certificate is ignored with the others still read.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup

W=$KH_TMP/w
mkdir -p "$W"
export KYSO_SYSCONFDIR=$KH_TMP/etc/kyso
unset KYSO_ROOTS_D
cp "$KYSO_BUILD/corpus/generated-simple.pdf" "$W/in.pdf"
sg_sign "$W/in.pdf" -o "$W/signed.pdf" --chain "$KH_PKI_CHAIN" --name "Trần Thị Bình" >/dev/null
kh_check "the test document is signed (pdfsig: valid)" sg_pdfsig_all_valid "$W/signed.pdf"

field() { # FILE EXPR on the first signature s / the document d
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["signatures"][0]; print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- no roots.d: the harness root is nobody's anchor ------------------------------------------
rc=0
kyso verify --json "$W/signed.pdf" >"$W/none.json" || rc=$?
kh_check "without roots.d: exit 7 (indeterminate), not 0" test $rc -eq 7
kh_check "without roots.d: INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND" test \
	"$(field "$W/none.json" 'd["indication"] + "/" + s["parts"]["signer_trusted"].get("sub_indication", "")')" == \
	"INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"

# ---- the root in roots.d -----------------------------------------------------------------------
mkdir -p "$KYSO_SYSCONFDIR/roots.d"
cp "$KH_PKI_ROOT_CERT" "$KYSO_SYSCONFDIR/roots.d/don-vi-root.pem"
printf 'not a certificate\n' >"$KYSO_SYSCONFDIR/roots.d/README.txt"
rc=0
kyso verify --json "$W/signed.pdf" >"$W/local.json" || rc=$?
kh_check "root in roots.d: exit 0" test $rc -eq 0
kh_check "root in roots.d: TOTAL-PASSED, root category local" test \
	"$(field "$W/local.json" 'd["indication"] + "/" + str(s.get("root_category"))')" == "TOTAL-PASSED/local"
kh_check "root in roots.d: the Vietnamese text names the organisation's anchor" bash -c \
	"kyso verify '$W/signed.pdf' | grep -q 'roots.d'"

# ---- --no-system-ca leaves roots.d out -----------------------------------------------------------
rc=0
kyso verify --json --no-system-ca "$W/signed.pdf" >"$W/nosys.json" || rc=$?
kh_check "--no-system-ca: roots.d not used (exit 7)" test $rc -eq 7
kh_check "the signed file is unchanged by verify" sg_pdfsig_all_valid "$W/signed.pdf"
kh_done
