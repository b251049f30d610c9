# Sourced by the bench-*.sh scripts (after `set -euo pipefail`).
#   bench_init NAME [TARGET...]  the non-sanitized Release build in $BENCH (build-bench/,
#                                 made here if missing; only TARGETs when given)
#   bench_harness                the harness programs on PATH, tests/harness/lib.sh, a
#                                 private $KH_TMP
#   bench_token                  a SoftHSM2 token with the harness PKI in $KH_TMP/hsm and
#                                 $KH_TMP/pki, their variables exported, BENCH_PIN its user PIN
#   bench_nss                    an NSS db $NSS with the signer's PKCS#12 (for pdfsig), NICK
#                                 its nickname
# Sets top, KYSO_SRC, KYSO_HARNESS, KYSO_BUILD (the test build, for harness programs), BENCH.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KYSO_SRC=$top KYSO_HARNESS=$top/tests/harness
export KYSO_BUILD=${KYSO_BUILD_DIR:-$top/build}
BENCH=${KYSO_BENCH_DIR:-$top/build-bench}

bench_init() {
	local name=$1
	shift
	local targets=()
	for t in "$@"; do targets+=(--target "$t"); done
	if [[ ! -f $BENCH/build.ninja ]]; then
		# clang, as ./dev builds
		CC=${CC:-clang} cmake -S "$top" -B "$BENCH" -G Ninja -DCMAKE_BUILD_TYPE=Release \
			-DKYSO_TESTS=OFF -DKYSO_WERROR=ON >/dev/null
	fi
	if ! cmake --build "$BENCH" -j "${KYSO_JOBS:-2}" "${targets[@]}" >"$BENCH/$name-build.log" 2>&1; then
		grep -E "error|FAILED" "$BENCH/$name-build.log" | head -20 >&2
		echo "$name: the Release build in $BENCH failed (log: $BENCH/$name-build.log)" >&2
		exit 1
	fi
}

bench_harness() {
	export PATH=$KYSO_HARNESS/bin:$PATH
	. "$KYSO_HARNESS/lib.sh"
	kh_tmpdir
}

bench_token() {
	kh-softhsm "$KH_TMP/hsm" "$KH_TMP/pki" >/dev/null
	set -a
	. "$KH_TMP/pki/pki.env"
	. "$KH_TMP/hsm/softhsm.env"
	set +a
	export BENCH_PIN=$KH_P11_USER_PIN
}

# $KH_TMP/pinentry-remember: a fake pinentry that chooses "Sign, remember
# PIN" (the third button, SETNOTOK) when offered and answers $BENCH_PIN.
bench_pinentry_remember() {
	cat >"$KH_TMP/pinentry-remember" <<'PE'
#!/usr/bin/env bash
exec 2>/dev/null
echo "OK Pleased to meet you"
third=0
while IFS= read -r line; do
	case $line in
	SETNOTOK*) third=1; echo OK ;;
	CONFIRM*) if ((third)); then echo "ERR 83886194 Not confirmed"; else echo OK; fi ;;
	GETPIN) printf 'D %s\nOK\n' "$BENCH_PIN" ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PE
	chmod +x "$KH_TMP/pinentry-remember"
}

bench_nss() {
	NSS=$KH_TMP/nss
	mkdir -p "$NSS"
	certutil -N -d "sql:$NSS" --empty-password
	pk12util -i "$KH_PKI_SIGNER_RSA_P12" -d "sql:$NSS" -W 1234 >/dev/null
	NICK=$(certutil -L -d "sql:$NSS" | sed -n 's/ *u,u,u$//p' | head -n 1)
}
