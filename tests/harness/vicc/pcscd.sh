# Shell helpers for a private pcscd with virtual cards. Source after lib.sh:
#   . "$KYSO_HARNESS/lib.sh"; . "$KYSO_HARNESS/vicc/pcscd.sh"
#   kh_tmpdir; kh_pcscd_start; kh_vicc_insert 3B9F...96
# Everything started here is a kh_bg child, so it is stopped at test exit.
# Needs kyso-vicc and kh-pcsc-probe (build/bin) and kh-pcscd (tests/harness/bin) in PATH.

KH_VICC_PIDS=()

# kh_pcscd_start [--no-reader] [--name NAME] [--port N]: start a private pcscd
# under $KH_TMP/pcscd, wait until ready and export PCSCLITE_CSOCK_NAME,
# KH_PCSCD_DIR, KH_PCSCD_PID, KH_VPCD_PORT (reader i listens on KH_VPCD_PORT+i),
# KH_VPCD_READER.
kh_pcscd_start() {
	local dir=${KH_TMP:?call kh_tmpdir first}/pcscd
	local env
	mkdir -p "$dir"
	rm -f "$dir/pid" # a pid file from an earlier start would fool kh-pcscd wait
	kh_bg "$dir/pcscd.log" kh-pcscd run "$dir" "$@"
	env=$(kh-pcscd wait "$dir" 15) || return 1
	eval "$env"
	if [[ $KH_PCSCD_PID != "$KH_LAST_PID" ]]; then
		echo "kh_pcscd_start: pid file says $KH_PCSCD_PID, started $KH_LAST_PID" >&2
		return 1
	fi
}

# kh_pcscd_stop: stop the private pcscd (SIGTERM, wait) before the test ends.
kh_pcscd_stop() {
	kh_stop "${KH_PCSCD_PID:?no private pcscd}"
}

# kh_vicc_insert ATR [READER_INDEX] [kyso-vicc options...]: start a virtual card
# in reader READER_INDEX (default 0) and wait until PC/SC sees it. An earlier
# card in that reader is stopped first. APDUs go to $KH_PCSCD_DIR/vicc<N>.apdu.
kh_vicc_insert() {
	local atr=$1 idx=${2:-0}
	shift $(($# >= 2 ? 2 : 1))
	: "${KH_VPCD_PORT:?kh_pcscd_start first (with a reader)}"
	if [[ -n ${KH_VICC_PIDS[$idx]:-} ]]; then
		kh_vicc_stop "$idx" || return 1
	fi
	kh_bg "$KH_PCSCD_DIR/vicc$idx.log" kyso-vicc --port $((KH_VPCD_PORT + idx)) --atr "$atr" \
		--apdu-log "$KH_PCSCD_DIR/vicc$idx.apdu" "$@"
	KH_VICC_PIDS[$idx]=$KH_LAST_PID
	kh-pcsc-probe wait "$idx" present 10 >/dev/null || {
		echo "kh_vicc_insert: no card in reader $idx; see $KH_PCSCD_DIR/vicc$idx.log" >&2
		return 1
	}
}

_kh_vicc_pid() {
	local pid=${KH_VICC_PIDS[${1:-0}]:-}
	[[ -n $pid ]] || {
		echo "kh_vicc: no virtual card started in reader ${1:-0}" >&2
		return 1
	}
	echo "$pid"
}

# kh_vicc_remove [READER_INDEX]: pull the card out (SIGUSR1); waits for an empty reader.
kh_vicc_remove() {
	local pid
	pid=$(_kh_vicc_pid "${1:-0}") || return 1
	kill -USR1 "$pid" && kh-pcsc-probe wait "${1:-0}" empty 10 >/dev/null
}

# kh_vicc_reinsert [READER_INDEX]: put the same card back (SIGUSR2); waits for it.
kh_vicc_reinsert() {
	local pid
	pid=$(_kh_vicc_pid "${1:-0}") || return 1
	kill -USR2 "$pid" && kh-pcsc-probe wait "${1:-0}" present 10 >/dev/null
}

# kh_vicc_stop [READER_INDEX]: end the card process (SIGTERM); waits for an empty reader.
kh_vicc_stop() {
	local idx=${1:-0} pid
	pid=$(_kh_vicc_pid "$idx") || return 1
	kh_stop "$pid"
	KH_VICC_PIDS[$idx]=""
	kh-pcsc-probe wait "$idx" empty 10 >/dev/null
}
