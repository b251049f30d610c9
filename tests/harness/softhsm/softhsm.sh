# shellcheck shell=bash
# Sourceable helper for shell tests:
#   . "$KYSO_HARNESS/lib.sh"; kh_tmpdir; . "$KYSO_HARNESS/softhsm/softhsm.sh"
#   kh_softhsm [OUTDIR [PKIDIR]]
#       build the three SoftHSM2 test tokens in OUTDIR (default "$KH_TMP/softhsm", private to the
#       test because tests may change tokens) from the PKI in PKIDIR (default the shared
#       "$KYSO_BUILD/harness/pki"), and export SOFTHSM2_CONF, KH_P11_* and KH_PKI_*.
kh_softhsm() {
	local out=${1:-${KH_TMP:?call kh_tmpdir first}/softhsm}
	local pki=${2:-${KYSO_BUILD:?}/harness/pki}
	"${KYSO_HARNESS:?}/bin/kh-softhsm" "$out" "$pki" >/dev/null || return 1
	set -a
	# shellcheck disable=SC1091
	. "$pki/pki.env"
	# shellcheck disable=SC1091
	. "$out/softhsm.env"
	set +a
}
