# shellcheck shell=bash
# Sourceable helpers for shell tests (the TSA is a child of the test, stopped at exit):
#   . "$KYSO_HARNESS/lib.sh"; kh_tmpdir; . "$KYSO_HARNESS/tsa/tsa.sh"
#   kh_tsa_start DIR [PKIDIR] [--user U --pass P] [SERVER OPTIONS...]
#       builds/reuses PKIDIR (default "$KYSO_BUILD/harness/pki"), starts kh-tsa-server.py on a
#       free 127.0.0.1 port with kh_bg, waits until it listens, writes DIR/tsa.env and exports
#       KH_TSA_URL, KH_TSA_PORT, KH_TSA_PID, KH_TSA_USER, KH_TSA_PASS, KH_TSA_CHAIN, ...
#       SERVER OPTIONS: --fail-mode MODE [SECONDS], --fail-count N, --policy OID, --digests LIST
#   kh_tsa_stop     stop the last TSA started with kh_tsa_start (else it stops at exit)
#   kh_tsa_query DATAFILE OUT.tsq [openssl ts -query options]  (default -sha256 -cert)
#   kh_tsa_post QUERY.tsq OUT.tsr [curl options]  POST to $KH_TSA_URL (with basic auth if set);
#       prints the HTTP status code
kh_tsa_start() {
	local dir=$1
	shift
	local pki=${KYSO_BUILD:?}/harness/pki user="" pass="" policy=2.999.1.3.1 rest=()
	if [[ $# -gt 0 && $1 != --* ]]; then
		pki=$1
		shift
	fi
	while [[ $# -gt 0 ]]; do
		case $1 in
		--user) user=$2; shift 2 ;;
		--pass) pass=$2; shift 2 ;;
		--policy) policy=$2; rest+=("$1" "$2"); shift 2 ;;
		*) rest+=("$1"); shift ;;
		esac
	done
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	pki=$(realpath -m "$pki")
	"${KYSO_HARNESS:?}/bin/kh-pki" "$pki" >/dev/null || return 1
	rm -f "$dir/tsa.port" "$dir/tsa.env"
	local auth=()
	[[ -n $user ]] && auth=(--user "$user" --password-env KH_TSA_PASSWORD)
	local py=/usr/bin/python3
	[[ -x $py ]] || py=python3
	kh_bg "$dir/tsa.log" env KH_TSA_PASSWORD="$pass" "${KH_PYTHON:-$py}" \
		"$KYSO_HARNESS/tsa/kh-tsa-server.py" --pki-dir "$pki" --port 0 \
		--port-file "$dir/tsa.port" --state-dir "$dir/state" "${auth[@]}" "${rest[@]}"
	local pid=$KH_LAST_PID
	for _ in $(seq 1 100); do
		[[ -s $dir/tsa.port ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -s $dir/tsa.port ]]; then
		echo "kh_tsa_start: server did not start; log:" >&2
		cat "$dir/tsa.log" >&2
		return 1
	fi
	"$KYSO_HARNESS/bin/kh-tsa" _write-env "$dir" "$pki" "$pid" "$user" "$pass" "$policy" || return 1
	set -a
	# shellcheck disable=SC1091
	. "$dir/tsa.env"
	set +a
}

kh_tsa_stop() {
	[[ -n ${KH_TSA_PID:-} ]] && kh_stop "$KH_TSA_PID"
}

kh_tsa_query() {
	local data=$1 out=$2
	shift 2
	[[ $# -gt 0 ]] || set -- -sha256 -cert
	openssl ts -query -data "$data" "$@" -out "$out" 2>/dev/null
}

kh_tsa_post() {
	local q=$1 out=$2
	shift 2
	local auth=()
	[[ -n ${KH_TSA_USER:-} ]] && auth=(-u "$KH_TSA_USER:$KH_TSA_PASS")
	curl -sS -o "$out" -w '%{http_code}' "${auth[@]}" \
		-H 'Content-Type: application/timestamp-query' --data-binary "@$q" "$@" "${KH_TSA_URL:?}"
}
