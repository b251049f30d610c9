#!/bin/bash
# kh-pcscd start/stop as a command; two private pcscds side by side; cleanup of
# pcscd and cards when a test using pcscd.sh fails.
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir

before=$(host_run_pcscd)
a=$KH_TMP/a b=$KH_TMP/b
out_a=$(kh-pcscd start "$a") || true
out_b=$(kh-pcscd start "$b" --name "Kyso B") || true
kh_on_exit "kh-pcscd stop '$a' 2>/dev/null; kh-pcscd stop '$b' 2>/dev/null"
echo "$out_a"
kh_check "start prints PCSCLITE_CSOCK_NAME" grep -qx "export PCSCLITE_CSOCK_NAME=$a/run/pcscd.comm" <<<"$out_a"
kh_check "start prints the pid" grep -q "^export KH_PCSCD_PID=[0-9]" <<<"$out_a"
kh_check "start writes DIR/env" grep -q "KH_VPCD_PORT=[0-9]" "$a/env"
pid_a=$(eval "$out_a"; echo "$KH_PCSCD_PID")
pid_b=$(eval "$out_b"; echo "$KH_PCSCD_PID")
kh_check "pid is pcscd's own" test "$(cat /proc/"$pid_a"/comm 2>/dev/null)" = pcscd
kh_check "two instances, two pids" test "$pid_a" != "$pid_b"

port_a=$(eval "$out_a"; echo "$KH_VPCD_PORT")
kh_bg "$KH_TMP/vicc-a.log" kyso-vicc --port "$port_a" --atr "$EPASS_ATR"
kh_check "card visible in instance a" \
	bash -c "eval '$out_a'; kh-pcsc-probe wait 0 present 10"
kh_check "instance b has its own readers, no card" \
	bash -c "eval '$out_b'; kh-pcsc-probe list | grep -q '\"reader\":\"Kyso B 00 00\",\"card\":false'"

kh-pcscd stop "$a"
kh_check "stop ends pcscd a" gone "$pid_a"
kh_check "stop removed socket a" test ! -e "$a/run/pcscd.comm"
kh_check "instance b still up" kill -0 "$pid_b"
kh-pcscd stop "$b"
kh_check "stop ends pcscd b" gone "$pid_b"
kh_check "host /run/pcscd unchanged" test "$(host_run_pcscd)" = "$before"

# A failing test still stops its pcscd and cards and removes its files.
cat >"$KH_TMP/failing.sh" <<'X'
. "$KYSO_HARNESS/vicc/test_common.sh"
kh_tmpdir
kh_pcscd_start
kh_vicc_insert "$EPASS_ATR" 0
echo "$KH_PCSCD_PID ${KH_VICC_PIDS[0]} $KH_TMP" >"$1"
false
X
bash "$KH_TMP/failing.sh" "$KH_TMP/pids" && rc=0 || rc=$?
kh_check "the failing script failed" test "$rc" -ne 0
read -r fp fv ft <"$KH_TMP/pids" || true
kh_check "its pcscd was started" test -n "${fp:-}"
kh_check "its pcscd is stopped" gone "${fp:-0}"
kh_check "its card is stopped" gone "${fv:-0}"
kh_check "its temp dir is removed" test ! -e "${ft:-/nonexistent-but-checked}/pcscd"
kh_done
