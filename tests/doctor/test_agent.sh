#!/usr/bin/env bash
# The agent check speaks each protocol for real, over TLS verified against the agent's local
# CA: kyso API (GET /v1/status), VNPT-CA Plugin (wss, checkPlugin + getVersion frames), VGCA
# Sign Service (wss /GetCertInfo). The ports, state directory and config come from the
# kyso-agent unit and config.json that `kyso setup` writes (written here the same way, with
# private ports). The real kyso-agent is started by the test:
#   all three protocols green; one protocol's listener off -> that part fails with its remedy;
#   a CA that did not issue the agent's certificate -> untrusted; no web origin configured ->
#   refused with the `kyso setup --origin` remedy; a protocol left to the CA's own plugin ->
#   warning only; agent not running -> fail.
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
unset LANGUAGE
DR_AGENT_ARGS=()
r=$KH_TMP/r.json
origin=https://vanban.example.gov.vn
state=$KH_TMP/agent-state
KP=$(kh_free_port)
VP=$(kh_free_port)
GP=$(kh_free_port)
write_setup() { dr_agent_setup "$1" "$2" "$KP" "$VP" "$GP" "$state" "${3:-[\"$origin\"]}"; }

# agent_start [kyso-agent options]: the real agent (reads the same config.json)
agent_start() {
	AGENT_LOG=$KH_TMP/agent.$RANDOM.log
	kh_bg "$AGENT_LOG" env KYSO_CONFIG="$HOME/.config/kyso/config.json" \
		kyso-agent -v --state-dir "$state" --no-ipv6 --kyso-port "$KP" "$@"
	AGENT_PID=$KH_LAST_PID
	kh_wait_for 30 grep -q '^ready' "$AGENT_LOG"; kh_on_fail cat "$AGENT_LOG"
}

sub() { jq -r --arg p "$2" --arg f "$3" '.checks[] | select(.id=="agent") | .data.protocols[] | select(.id==$p) | .[$f]' "$1"; }
# sub_expect FILE PROTOCOL STATUS [REGEX in detail+remedy]
sub_expect() {
	kh_check "$2 is $3" test "$(sub "$1" "$2" status)" = "$3"; kh_on_fail dr_show "$1"
	if [[ -n ${4:-} ]]; then
		kh_check "$2 says: $4" grep -qE -- "$4" <(sub "$1" "$2" detail; sub "$1" "$2" remedy)
		kh_on_fail dr_show "$1"
	fi
}
doctor() { dr_run "$r" --offline --no-usb "$@"; }

# ---- all green: the real agent, every protocol --------------------------------------------
write_setup true true
agent_start --vnpt-ports "$VP" --vgca-port "$GP"
doctor
dr_expect "$r" agent pass "" "3"
sub_expect "$r" kyso-api pass "kyso-agent"
sub_expect "$r" vnpt-plugin pass "1\.0\.4\.3"
sub_expect "$r" vgca-sign-service pass "GetCertInfo"
kh_check "ports came from the kyso-agent unit" grep -q "kyso-agent.service" <(jq -r '.checks[] | select(.id=="agent") | .data.config_source' "$r")
kh_check "the agent's CA is the one in its state directory" test "$(jq -r '.checks[] | select(.id=="agent") | .data.ca' "$r")" = "$state/ca.pem"
kh_check "VNPT url is wss://localhost:$VP/plugin" test "$(sub "$r" vnpt-plugin url)" = "wss://localhost:$VP/plugin"
# the agent really got the frames (its own log, -v)
kh_check "agent saw the VNPT frames" grep -q "vnpt request" "$AGENT_LOG"; kh_on_fail cat "$AGENT_LOG"
kh_check "agent saw the VGCA request" grep -q "vgca request" "$AGENT_LOG"
kh_check "with the configured origin" grep -q "from $origin" "$AGENT_LOG"
# the allow-lists (origins, fetch origins) are shown in JSON, text and HTML
cfgf=$HOME/.config/kyso/config.json
jq '.agent_fetch_origins = ["https://api.example.gov.vn"]' "$cfgf" >"$cfgf.new" && mv "$cfgf.new" "$cfgf"
doctor
kh_check "agent check data lists the origins" \
	test "$(jq -c '.checks[] | select(.id=="agent") | .data.origins' "$r")" = "[\"$origin\"]"
kh_check "agent check data lists the fetch origins" \
	test "$(jq -c '.checks[] | select(.id=="agent") | .data.fetch_origins' "$r")" = '["https://api.example.gov.vn"]'
kyso doctor --lang en --offline --no-usb --ca "$KH_PKI_ROOT_CERT" --timeout 3 --html "$KH_TMP/d.html" >"$KH_TMP/d.txt" 2>&1 || true
kh_check "doctor text names origins and fetch origins" \
	grep -q "Web systems allowed: $origin; servers the agent may download from and upload to (VGCA): https://api.example.gov.vn" "$KH_TMP/d.txt"
kh_on_fail cat "$KH_TMP/d.txt"
kh_check "doctor HTML names the fetch origin" grep -q "https://api.example.gov.vn" "$KH_TMP/d.html"

# ---- TLS is verified: a CA that did not issue the agent's certificate ---------------------
doctor --agent-ca "$KH_PKI_ROOT_CERT"
dr_expect "$r" agent fail "kyso setup --repair"
for p in kyso-api vnpt-plugin vgca-sign-service; do
	sub_expect "$r" "$p" fail "TLS|chứng chỉ"
done

# ---- no web system configured: the agent refuses the pages' protocols ---------------------
write_setup true true '[]'
doctor
sub_expect "$r" kyso-api pass
sub_expect "$r" vnpt-plugin fail "kyso setup --origin"
sub_expect "$r" vgca-sign-service fail "kyso setup --origin"
write_setup true true
kh_stop "$AGENT_PID"

# ---- one protocol's listener off (VGCA): only that part fails, with its remedy -----------
agent_start --vnpt-ports "$VP" --vgca-port 0
doctor
dr_expect "$r" agent fail "restart kyso-agent" "VGCA Sign Service"
sub_expect "$r" kyso-api pass
sub_expect "$r" vnpt-plugin pass
sub_expect "$r" vgca-sign-service fail "restart kyso-agent"
kh_check "the VGCA remedy restarts, not starts, the agent" bash -c '! grep -q "systemctl --user start" <<<"$1"' _ "$(sub "$r" vgca-sign-service remedy)"
kh_stop "$AGENT_PID"

# ---- VGCA left to the CA's own service (kyso setup found it there): a warning -------------
write_setup true false
agent_start --vnpt-ports "$VP" --vgca-port 0
doctor
sub_expect "$r" vgca-sign-service warn ""
kh_check "VGCA is checked on its own port 8987" grep -q ":8987/" <(sub "$r" vgca-sign-service url)
kh_check "VGCA marked as the vendor's" test "$(sub "$r" vgca-sign-service vendor)" = true
sub_expect "$r" vnpt-plugin pass
kh_stop "$AGENT_PID"
write_setup true true

# ---- agent not running: every part fails, the remedy starts the agent ---------------------
doctor
dr_expect "$r" agent fail "systemctl --user start kyso-agent" "$KP"
for p in kyso-api vnpt-plugin vgca-sign-service; do
	sub_expect "$r" "$p" fail
done
kh_check "exit 1" test "$DR_RC" -eq 1

# ---- text writer: one line per protocol ----------------------------------------------------
kyso --lang en doctor --offline --no-usb >"$KH_TMP/t.txt" 2>&1 || true
kh_check "text report lists the VNPT-CA Plugin line" grep -q "VNPT-CA Plugin" "$KH_TMP/t.txt"; kh_on_fail cat "$KH_TMP/t.txt"
kh_check "text report lists the VGCA line" grep -q "VGCA Sign Service" "$KH_TMP/t.txt"
kh_done
