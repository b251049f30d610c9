# shellcheck shell=bash
# Shared set-up of the `kyso doctor` tests: a private HOME and system config
# dir, SoftHSM2 tokens (test PKI) behind the fault-injecting PKCS#11 module,
# a catalog override that makes the virtual ePass2003 use that module, a
# private pcscd with the virtual card, and a local TSA.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
. "$KYSO_HARNESS/vicc/pcscd.sh"
. "$KYSO_HARNESS/softhsm/softhsm.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"

EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
FAULTP11=$KYSO_BUILD/lib/kyso-faultp11.so

# dr_env: fixture variables and files (once per test script).
dr_env() {
	kh_softhsm
	export KYSO_FAULT_TARGET=$KH_P11_MODULE
	export HOME=$KH_TMP/home KYSO_SYSCONFDIR=$KH_TMP/etc
	unset XDG_CONFIG_HOME XDG_STATE_HOME KYSO_DOCTOR_CA KYSO_FAULT KYSO_FAULT_FILE NO_COLOR
	mkdir -p "$HOME" "$KYSO_SYSCONFDIR/tokens.d"
	dr_good_catalog
	dr_register "$FAULTP11"
	AGENT_PORT=$(kh_free_port)
	DR_AGENT_ARGS=(--agent-url "https://127.0.0.1:$AGENT_PORT/")
}

# dr_catalog MODULES_JSON [PATHS_JSON]: the ePass2003 entry with this driver block.
dr_catalog() {
	python3 - "$KYSO_SRC/data/tokens.json" "$KYSO_SYSCONFDIR/tokens.d/test.json" "$1" "${2:-[]}" <<'PY'
import json, sys
src, dst, mods, paths = sys.argv[1:5]
cat = json.load(open(src, encoding="utf-8"))
e = next(t for t in cat["tokens"] if t["id"] == "feitian-epass2003")
e["driver"]["linux"] = {"modules": json.loads(mods), "paths": json.loads(paths),
                        "packages": ["pcscd", "libccid", "opensc"]}
json.dump({"schema": 1, "tokens": [e]}, open(dst, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}

# dr_good_catalog: the ePass2003 driver is the faultp11 proxy (by path and by name).
dr_good_catalog() { dr_catalog '["kyso-faultp11.so"]' "[\"$FAULTP11\"]"; }

# dr_register MODULE: p11-kit user module file and a Chromium-style NSS db, as kyso setup makes them.
dr_register() {
	mkdir -p "$HOME/.config/pkcs11/modules" "$HOME/.pki/nssdb"
	printf 'module: %s\n' "$1" >"$HOME/.config/pkcs11/modules/kyso-feitian-epass2003.module"
	[[ -f $HOME/.pki/nssdb/cert9.db ]] || certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
	modutil -dbdir "sql:$HOME/.pki/nssdb" -add kyso-feitian-epass2003 -libfile "$1" -force \
		>/dev/null 2>&1 || true
}

# dr_agent_setup VNPT_PLUGIN VGCA_SIGN_SERVICE KYSO_PORT VNPT_PORT VGCA_PORT STATE_DIR ORIGINS_JSON:
# config.json and the kyso-agent unit as kyso setup writes them (installer/registry.c), with
# private ports
dr_agent_setup() {
	local v=$1 g=$2 kp=$3 vp=$4 gp=$5 state=$6 origins=$7 extra=""
	mkdir -p "$HOME/.config/kyso" "$HOME/.config/systemd/user"
	jq -n --argjson v "$v" --argjson g "$g" --argjson o "$origins" \
		'{origins: $o, agent: {vnpt_plugin: $v, vgca_sign_service: $g}}' \
		>"$HOME/.config/kyso/config.json"
	if [[ $v == true ]]; then extra+=" --vnpt-ports $vp"; else extra+=' --vnpt-ports ""'; fi
	if [[ $g == true ]]; then extra+=" --vgca-port $gp"; else extra+=' --vgca-port 0'; fi
	cat >"$HOME/.config/systemd/user/kyso-agent.service" <<EOF
# Written by kyso setup; removed by "kyso setup --uninstall".
[Unit]
Description=kyso signing agent (web signing component)

[Service]
Environment=KYSO_CONFIG=$HOME/.config/kyso/config.json
ExecStart=$KYSO_BUILD/bin/kyso-agent --state-dir "$state" --kyso-port $kp$extra
Restart=on-failure
EOF
}

# dr_browser_fixture STATE_DIR ORIGIN: what kyso setup does for the browsers, in private places:
# the agent's local CA (created in STATE_DIR) trusted for TLS in the Chromium NSS db of $HOME,
# and under KYSO_ROOT (the doctor's staging root for system paths) a Chromium with a managed
# policy that pre-approves ORIGIN for local network access.
dr_browser_fixture() {
	local state=$1 origin=$2
	mkdir -p "$(dirname "$state")"
	kyso-agent --state-dir "$state" --export-ca "$KH_TMP/agent-ca.pem" >/dev/null
	certutil -A -d "sql:$HOME/.pki/nssdb" -n "kyso-agent local CA" -t C,, -i "$KH_TMP/agent-ca.pem"
	export KYSO_ROOT=$KH_TMP/root
	mkdir -p "$KYSO_ROOT/usr/bin" "$KYSO_ROOT/etc/chromium/policies/managed"
	printf '#!/bin/sh\nexit 0\n' >"$KYSO_ROOT/usr/bin/chromium"
	chmod +x "$KYSO_ROOT/usr/bin/chromium"
	jq -n --arg o "$origin" '{LocalNetworkAccessAllowedForUrls: [$o]}' \
		>"$KYSO_ROOT/etc/chromium/policies/managed/kyso-local-network.json"
}

# dr_card: private pcscd with the virtual ePass2003 in reader 0.
dr_card() {
	kh_pcscd_start
	kh_vicc_insert "$EPASS_ATR" 0
}

# dr_token LABEL PKI_PREFIX [CA_DER]: a SoftHSM2 token holding that test-PKI signer's key and
# certificate (and an intermediate CA certificate, as real tokens carry theirs).
dr_token() {
	local label=$1 p=$2 ca=${3:-} key cert
	key=KH_PKI_${p}_KEY_DER
	cert=KH_PKI_${p}_CERT_DER
	softhsm2-util --init-token --free --label "$label" --pin 123456 --so-pin 12345678 >/dev/null
	pkcs11-tool --module "$KH_P11_MODULE" --token-label "$label" --login --pin 123456 \
		--write-object "${!key}" --type privkey --id 01 --label "$label" >/dev/null 2>&1
	pkcs11-tool --module "$KH_P11_MODULE" --token-label "$label" --login --pin 123456 \
		--write-object "${!cert}" --type cert --id 01 --label "$label" >/dev/null 2>&1
	if [[ -n $ca ]]; then
		pkcs11-tool --module "$KH_P11_MODULE" --token-label "$label" --login --pin 123456 \
			--write-object "$ca" --type cert --id 02 --label CA >/dev/null 2>&1
	fi
}

# dr_run OUT [kyso doctor options]: JSON report in OUT, exit status in DR_RC. The agent
# options are DR_AGENT_ARGS (default: only the kyso API on a port where nothing listens).
dr_run() {
	local out=$1
	shift
	DR_RC=0
	kyso doctor --json --ca "$KH_PKI_ROOT_CERT" "${DR_AGENT_ARGS[@]}" \
		--timeout 3 "$@" >"$out" 2>"$out.err" || DR_RC=$?
}

# dr_status FILE CHECK_ID: that check's status.
dr_status() { jq -r --arg id "$2" '.checks[] | select(.id == $id) | .status' "$1"; }
dr_field() { jq -r --arg id "$2" --arg f "$3" '.checks[] | select(.id == $id) | .[$f]' "$1"; }
# dr_show FILE: print the report for a failure's context.
dr_show() { jq -r '.checks[] | "\(.status) \(.id): \(.detail) -> \(.remedy)"' "$1" >&2; cat "$1.err" >&2; }

# dr_match FILE CHECK FIELD REGEX: that field of that check matches REGEX.
dr_match() { dr_field "$1" "$2" "$3" | grep -qE -- "$4"; }

# dr_expect FILE CHECK STATUS [REMEDY_REGEX [DETAIL_REGEX]]
dr_expect() {
	local f=$1 id=$2 st=$3 rem=${4:-} det=${5:-}
	kh_check "$id is $st" test "$(dr_status "$f" "$id")" = "$st"; kh_on_fail dr_show "$f"
	if [[ -n $rem ]]; then
		kh_check "$id remedy: $rem" dr_match "$f" "$id" remedy "$rem"
	fi
	if [[ -n $det ]]; then
		kh_check "$id detail: $det" dr_match "$f" "$id" detail "$det"
	fi
}
