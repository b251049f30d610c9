#!/usr/bin/env bash
# Fault matrix, environment side: each failure is produced for real and the
# expected check fails with its remedy (Vietnamese by default), later checks
# that depend on it are skipped with the reason.
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
unset LANGUAGE
r=$KH_TMP/r.json

# ---- pcscd not running (its socket path is set, nobody listens) -------------------
dr_card
kh_pcscd_stop
dr_run "$r" --offline
dr_expect "$r" pcsc-service fail "sudo systemctl start pcscd" "chưa chạy"
dr_expect "$r" readers skip "" "PC/SC"
dr_expect "$r" driver-module skip
kh_check "exit 1 when a check fails" test "$DR_RC" -eq 1

# ---- no reader -------------------------------------------------------------------------
kh_pcscd_start --no-reader
dr_run "$r" --offline
dr_expect "$r" pcsc-service pass
dr_expect "$r" readers fail "libccid" ""
dr_expect "$r" token-present skip
kh_pcscd_stop

# ---- unknown token ---------------------------------------------------------------------
kh_pcscd_start
kh_vicc_insert 3B8F8001804F0CA0000003060300030000000068 0
dr_run "$r" --offline
dr_expect "$r" token-present pass
dr_expect "$r" catalog-match fail "helpdesk|hỗ trợ" "3B8F8001804F0CA0000003060300030000000068"
dr_expect "$r" driver-module skip
kh_vicc_stop 0

# ---- driver module missing -----------------------------------------------------------------
kh_vicc_insert "$EPASS_ATR" 0
rm "$HOME/.config/pkcs11/modules/kyso-feitian-epass2003.module"
dr_catalog '["libkyso-not-installed-pkcs11.so"]'
dr_run "$r" --offline
dr_expect "$r" catalog-match pass
dr_expect "$r" driver-module fail "kyso setup" "libkyso-not-installed-pkcs11.so"
dr_expect "$r" module-registered skip
dr_expect "$r" token-state skip

# ---- module registered (p11-kit, NSS) but not loadable ------------------------------------
broken=$KH_TMP/lib/libkyso-broken-pkcs11.so
mkdir -p "$KH_TMP/lib"
printf 'this is not a shared library\n' >"$broken"
dr_catalog '["libkyso-broken-pkcs11.so"]' "[\"$broken\"]"
dr_register "$broken"
dr_run "$r" --offline
dr_expect "$r" driver-module fail "kyso setup --repair" "ELF|thư viện"
kh_check "load status is not-elf" test "$(jq -r '.checks[] | select(.id=="driver-module") | .data.load_status' "$r")" = not-elf
# registered with p11-kit (modutil refuses to add a non-library to NSS: warn)
kh_check "module-registered ran and found the p11-kit file" test "$(jq -r '.checks[] | select(.id=="module-registered") | .data.p11kit | length' "$r")" = 1
dr_expect "$r" token-state skip

# a library with a dependency that is not installed
dr_catalog '["libkyso-broken-pkcs11.so"]' "[\"$KH_TMP/lib/libkyso-needs-dep.so\"]"
echo 'int g(void); int f(void){return g();}' >"$KH_TMP/dep.c"
echo 'int g(void){return 1;}' >"$KH_TMP/g.c"
gcc -shared -fPIC -o "$KH_TMP/lib/libkyso-gone.so" "$KH_TMP/g.c"
gcc -shared -fPIC -o "$KH_TMP/lib/libkyso-needs-dep.so" "$KH_TMP/dep.c" -L"$KH_TMP/lib" -lkyso-gone
rm "$KH_TMP/lib/libkyso-gone.so"
dr_run "$r" --offline
dr_expect "$r" driver-module fail "apt-file" "libkyso-gone"

# ---- back to a good set-up: TSA unreachable, clock skew --------------------------------------
dr_good_catalog
dr_register "$FAULTP11"
dead=$(kh_free_port)
dr_run "$r" --token kyso-rsa --tsa "http://127.0.0.1:$dead/"
dr_expect "$r" driver-module pass
dr_expect "$r" tsa fail "Internet|mạng" "127.0.0.1:$dead"
dr_expect "$r" clock-skew skip "" "TSA"

kh_tsa_start "$KH_TMP/tsa" "$KH_PKI_DIR"
dr_run "$r" --token kyso-rsa --tsa "$KH_TSA_URL"
dr_expect "$r" clock-skew pass
dr_expect "$r" tsa pass
kh_check "clock reference is the time stamp's genTime" test "$(jq -r '.checks[] | select(.id=="clock-skew") | .data.reference_kind' "$r")" = genTime
# clock skew: the TSA's clock (the external reference: its signed genTime, and its HTTP Date)
# is shifted with faketime on the server, so the clock this machine shows is off by that much
# against it. (kyso itself is built with ASan, which deadlocks under libfaketime's preload:
# the shift is on the reference side, which is what the check compares with.)
# ft_tsa SHIFT: a TSA under libfaketime (preloaded straight into the server: the faketime
# wrapper forks, and its child would outlive kh_stop); sets FT_URL. Run in this shell, not
# in $(...), so that the exit trap stops it.
FT_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n 1)
ft_tsa() {
	local pf=$KH_TMP/tsa-ft$RANDOM.port
	kh_bg "$KH_TMP/tsa-ft.log" env LD_PRELOAD="$FT_LIB" FAKETIME="$1" \
		python3 "$KYSO_HARNESS/tsa/kh-tsa-server.py" --pki-dir "$KH_PKI_DIR" --port 0 --port-file "$pf"
	kh_wait_for 20 test -s "$pf"
	FT_URL=http://127.0.0.1:$(cat "$pf")/
}
kh_check "libfaketime is installed" test -f "$FT_LIB"
# the TSA 12 minutes behind: this machine is 12 minutes ahead -> fail
ft_tsa -12m
dr_run "$r" --token kyso-rsa --tsa "$FT_URL"
dr_expect "$r" clock-skew fail "timedatectl" "12 phút"
kh_check "skew measured as about +720 s" test "$(jq '.checks[] | select(.id=="clock-skew") | .data.skew_seconds | (. > 700 and . < 740)' "$r")" = true
kh_check "against the TSA's genTime" test "$(jq -r '.checks[] | select(.id=="clock-skew") | .data.reference_kind' "$r")" = genTime
kh_check "the HTTP Date agrees" test "$(jq '.checks[] | select(.id=="clock-skew") | .data.http_date_skew_seconds | (. > 700 and . < 740)' "$r")" = true
dr_expect "$r" tsa pass
# the TSA 3 minutes ahead: this machine is 3 minutes behind -> warning
ft_tsa +3m
dr_run "$r" --token kyso-rsa --tsa "$FT_URL"
dr_expect "$r" clock-skew warn "timedatectl" "3 phút"
kh_check "skew measured as about -180 s" test "$(jq '.checks[] | select(.id=="clock-skew") | .data.skew_seconds | (. < -160 and . > -200)' "$r")" = true

# ---- agent not running (the real state of this machine's test port) ---------------------
dr_expect "$r" agent fail "kyso-agent" "$AGENT_PORT"
kh_done
