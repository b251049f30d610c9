#!/usr/bin/env bash
# kyso doctor on a correctly set-up virtual token: first with no agent
# running (the agent check is then the single failure), revocation skipped
# (the test PKI names no CRL) and, without --sign, the test signature
# skipped. Then --sign makes a real signature, and with the real kyso-agent
# configured as kyso setup does (all three protocols) every check is green (exit 0).
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
export LANGUAGE=en
dr_card
kh_tsa_start "$KH_TMP/tsa" "$KH_PKI_DIR"
# kyso setup's agent and browser configuration (private ports, staging root for system paths)
ORIGIN=https://vanban.example.gov.vn
STATE=$HOME/.local/state/kyso/agent
VP=$(kh_free_port)
GP=$(kh_free_port)
dr_agent_setup true true "$AGENT_PORT" "$VP" "$GP" "$STATE" "[\"$ORIGIN\"]"
dr_browser_fixture "$STATE" "$ORIGIN"

r=$KH_TMP/green.json
dr_run "$r" --token kyso-rsa --tsa "$KH_TSA_URL"
kh_check "doctor exits 1 (one failure: the agent)" test "$DR_RC" -eq 1; kh_on_fail dr_show "$r"
kh_check "report is schema 1" test "$(jq .schema "$r")" = 1
kh_check "checks in the DESIGN.md order" test "$(jq -r '[.checks[].id] | join(" ")' "$r")" = \
	"system pcsc-service readers token-present usb-device catalog-match driver-module module-registered token-state cert-present cert-key-pair cert-validity cert-chain cert-revocation clock-skew tsa agent browsers test-signature"
for id in system pcsc-service readers token-present usb-device catalog-match driver-module \
	module-registered token-state cert-present cert-key-pair cert-validity cert-chain clock-skew tsa \
	browsers; do
	dr_expect "$r" "$id" pass
done
dr_expect "$r" cert-revocation skip "" "CRL"
dr_expect "$r" test-signature skip "" "--sign"
dr_expect "$r" agent fail "kyso-agent" "$AGENT_PORT"
kh_check "only the agent fails" test "$(jq -r '.summary.problems | join(" ")' "$r")" = agent
kh_check "token type is the ePass2003 from the catalog" test "$(jq -r .token.type "$r")" = feitian-epass2003
kh_check "module is the faultp11 proxy" test "$(jq -r .token.module "$r")" = "$FAULTP11"
kh_check "every check has a duration" test "$(jq '[.checks[] | select(.duration_ms >= 0)] | length' "$r")" = 19
kh_check "TSA was really asked" grep -q "granted 1" <(curl -s "${KH_TSA_URL}stats")

# --sign: one real signature, PIN from the environment, asked once
export DR_PIN=123456
dr_run "$r" --token kyso-rsa --offline --sign --pin-env DR_PIN
dr_expect "$r" test-signature pass "" "verified"

# the real kyso-agent, configured as kyso setup wrote it above (unit + config.json, private
# ports): all three protocols answer over TLS verified against its local CA, every check green
kh_bg "$KH_TMP/agent.log" env KYSO_CONFIG="$HOME/.config/kyso/config.json" kyso-agent \
	--state-dir "$STATE" --kyso-port "$AGENT_PORT" --vnpt-ports "$VP" --vgca-port "$GP" --no-ipv6
kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent.log"
DR_AGENT_ARGS=()
dr_run "$r" --token kyso-rsa --offline
dr_expect "$r" agent pass "" "3"
kh_check "agent: kyso API, VNPT-CA Plugin and VGCA all pass" test "$(jq -r '[.checks[] | select(.id=="agent") | .data.protocols[].status] | join(" ")' "$r")" = "pass pass pass"
kh_check "all green: doctor exits 0" test "$DR_RC" -eq 0; kh_on_fail dr_show "$r"

# text output: Vietnamese by default, English with --lang en
LANGUAGE=vi kyso doctor --offline --token kyso-rsa --ca "$KH_PKI_ROOT_CERT" >"$KH_TMP/vi.txt" 2>&1 || true
kh_check "Vietnamese text report" grep -q "Dịch vụ PC/SC" "$KH_TMP/vi.txt"
kyso --lang en doctor --offline --token kyso-rsa --ca "$KH_PKI_ROOT_CERT" >"$KH_TMP/en.txt" 2>&1 || true
kh_check "English text report" grep -q "PC/SC service" "$KH_TMP/en.txt"
kh_check "text report: one line per agent protocol" test "$(grep -cE '^ +\[ OK \] (kyso API|VNPT-CA Plugin|VGCA Sign Service):' "$KH_TMP/en.txt")" = 3; kh_on_fail cat "$KH_TMP/en.txt"
kh_check "text is not coloured when not a terminal" sh -c "! grep -q $'\033' '$KH_TMP/en.txt'"
kh_done
