# Shared shell helpers for harness pieces and shell tests. Source it:
#   . "$KYSO_HARNESS/lib.sh"
# Gives: kh_tmpdir (private dir removed at exit), kh_bg (start a child, remember
# its PID, stop it at exit), kh_free_port, kh_wait_for, kh_fail/kh_pass/kh_check.
set -euo pipefail

: "${KYSO_HARNESS:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
: "${KYSO_SRC:=$(cd "$KYSO_HARNESS/../.." && pwd)}"
: "${KYSO_BUILD:=$KYSO_SRC/build}"
export KYSO_HARNESS KYSO_SRC KYSO_BUILD

KH_PIDS=()
KH_CLEANUPS=()
KH_FAILS=0
KH_PASSES=0

kh_cleanup() {
	local rc=$?
	local i
	for ((i = ${#KH_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${KH_CLEANUPS[$i]}" || true
	done
	for pid in "${KH_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${KH_PIDS[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [[ -n "${KH_TMP:-}" && -d "$KH_TMP" && -z "${KH_KEEP:-}" ]]; then
		rm -rf "$KH_TMP"
	fi
	exit "$rc"
}
trap kh_cleanup EXIT
trap 'exit 130' INT TERM

# kh_tmpdir: sets KH_TMP to a fresh private directory (removed at exit unless KH_KEEP=1).
kh_tmpdir() {
	KH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kyso-test.XXXXXX")
	export KH_TMP
}

# kh_on_exit CMD: run CMD at exit (LIFO), before children are stopped.
kh_on_exit() { KH_CLEANUPS+=("$1"); }

# kh_bg LOGFILE CMD...: start CMD in the background, stopped at exit. Sets KH_LAST_PID.
kh_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	KH_LAST_PID=$!
	KH_PIDS+=("$KH_LAST_PID")
}

# kh_stop PID: SIGTERM and wait up to 5 s, then SIGKILL.
kh_stop() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# kh_free_port: prints a TCP port free on 127.0.0.1 and 0.0.0.0 (with its +1 neighbour free too).
kh_free_port() {
	python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
PY
}

# kh_wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
kh_wait_for() {
	local secs=$1
	shift
	local n=$((secs * 10))
	for _ in $(seq 1 "$n"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "timeout after ${secs}s waiting for: $*" >&2
	return 1
}

KH_LAST_FAILED=0
kh_pass() { KH_PASSES=$((KH_PASSES + 1)); KH_LAST_FAILED=0; echo "ok - $*"; }
kh_fail() { KH_FAILS=$((KH_FAILS + 1)); KH_LAST_FAILED=1; echo "FAIL - $*" >&2; }
# kh_check DESCRIPTION CMD...: record pass/fail of CMD. Always returns 0 so
# scripts under `set -e` go on; use kh_on_fail to print context.
kh_check() {
	local d=$1
	shift
	if "$@"; then kh_pass "$d"; else kh_fail "$d"; fi
}
# kh_on_fail CMD...: run CMD (e.g. print the program's output) only when the
# last kh_check/kh_pass/kh_fail recorded a failure.
kh_on_fail() {
	if [[ $KH_LAST_FAILED -ne 0 ]]; then "$@" || true; fi
}
# kh_done: print the summary line and exit non-zero if anything failed.
kh_done() {
	echo "$KH_PASSES passed, $KH_FAILS failed"
	[[ $KH_FAILS -eq 0 ]]
}
