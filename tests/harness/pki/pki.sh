# shellcheck shell=bash
# Sourceable helper for shell tests:
#   . "$KYSO_HARNESS/lib.sh"; . "$KYSO_HARNESS/pki/pki.sh"
#   kh_pki [DIR]   build (or reuse) the test PKI in DIR (default $KYSO_BUILD/harness/pki)
#                  and export every KH_PKI_* variable from DIR/pki.env.
# The default DIR is shared by all tests and only read by them; a test that needs to change
# the PKI passes its own DIR (e.g. "$KH_TMP/pki").
kh_pki() {
	local dir=${1:-${KYSO_BUILD:?}/harness/pki}
	"${KYSO_HARNESS:?}/bin/kh-pki" "$dir" >/dev/null || return 1
	set -a
	# shellcheck disable=SC1091
	. "$dir/pki.env"
	set +a
}
