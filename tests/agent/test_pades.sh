#!/usr/bin/env bash
# agent.pades (issue 17): the agent configured by config.json to sign B-LT ("agent_pades":
# "B-LT") and B-LTA ("B-LTA", "agent_tsa_url") gives the page, for a plain VNPT signPdf, a
# PDF whose signature validates offline from its own /DSS (certificate status from the DSS),
# and for B-LTA also a document time stamp over it; without the setting the same call gives
# B-B (no DSS: offline, the status cannot be had, INDETERMINATE/TRY_LATER).
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/agent/common.sh"
. "$KYSO_HARNESS/pki/ltv.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"
export PYTHONDONTWRITEBYTECODE=1
ag_setup
kh_pki_ltv "$KH_TMP/ltv"
kh_tsa_start "$KH_TMP/tsa" >/dev/null
export SG_PIN=$KH_LTV_PIN SOFTHSM2_CONF=$KH_LTV_SOFTHSM2_CONF
W=$KH_TMP/w
mkdir -p "$W"
CA=(--no-system-ca --ca "$KH_LTV_ROOT_CERT" --ca "$KH_TSA_ROOT")
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# run LEVEL: an agent with that "agent_pades" (none: no key), one signPdf, W/LEVEL.pdf
run() {
	local level=$1 port
	if [[ $level == none ]]; then
		echo '{}' >"$W/config-$level.json"
	else
		printf '{"agent_pades": "%s", "agent_tsa_url": "%s"}\n' "$level" "$KH_TSA_URL" >"$W/config-$level.json"
	fi
	AG_KYSO=$(kh_free_port) AG_VNPT=$(kh_free_port) AG_VGCA=$(kh_free_port)
	export AG_KYSO AG_VNPT AG_VGCA
	KYSO_CONFIG=$W/config-$level.json kh_bg "$KH_TMP/agent-$level.log" kyso-agent --state-dir "$KH_TMP/state" \
		--origin "$AG_ORIGIN" --pinentry "$KH_TMP/pinentry" --module "$KH_LTV_MODULE" --token kyso-ltv \
		--key-id 01 --chain "$KH_LTV_CHAIN" --kyso-port "$AG_KYSO" --vnpt-ports "$AG_VNPT" --vgca-port "$AG_VGCA"
	local pid=$KH_LAST_PID
	kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent-$level.log" || { cat "$KH_TMP/agent-$level.log" >&2; return 1; }
	PYTHONPATH=$KYSO_SRC/tests/agent python3 - "$W/$level.pdf" <<'PY' || { kill "$pid"; return 1; }
import base64, json, sys
from checks import vnpt_json, pdf_b64, expect
r = vnpt_json(2, [pdf_b64(), json.dumps({"FileName": "cong-van.pdf"})], cb="onSigned")
expect(r["code"] == 0, "SignPDF: %r" % r)
open(sys.argv[1], "wb").write(base64.b64decode(r["data"]))
PY
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

for level in none B-LT B-LTA; do
	kh_check "signPdf through an agent set to $level" run "$level"
	kh_on_fail tail -n 20 "$KH_TMP/agent-$level.log"
done

rc=0
kyso verify --json --offline "${CA[@]}" "$W/none.pdf" >"$W/none.json" 2>/dev/null || rc=$?
kh_check "no setting: B-B, offline the status cannot be had (exit 7, TRY_LATER), no DSS" test \
	"$rc $(jq_py "$W/none.json" 'd["signatures"][0]["sub_indication"], len(d["signatures"])')" == "7 ('TRY_LATER', 1)"
kh_check "no setting: the file has no /DSS" bash -c "! grep -aq '/DSS' '$W/none.pdf'"

rc=0
kyso verify --json --offline "${CA[@]}" "$W/B-LT.pdf" >"$W/lt.json" 2>/dev/null || rc=$?
kh_check "B-LT: TOTAL-PASSED offline, certificate status from the document's DSS, one signature" test \
	"$rc $(jq_py "$W/lt.json" 'd["signatures"][0]["indication"], d["signatures"][0]["parts"]["certificate_status"]["from"], len(d["signatures"])')" == \
	"0 ('TOTAL-PASSED', 'dss', 1)"

rc=0
kyso verify --json --offline "${CA[@]}" "$W/B-LTA.pdf" >"$W/lta.json" 2>/dev/null || rc=$?
kh_check "B-LTA: the signature and a document time stamp, both TOTAL-PASSED offline" test \
	"$rc $(jq_py "$W/lta.json" '[(s["type"], s["indication"]) for s in d["signatures"]], d["signatures"][0]["parts"]["certificate_status"]["from"]')" == \
	"0 ([('signature', 'TOTAL-PASSED'), ('doc-timestamp', 'TOTAL-PASSED')], 'dss')"
kh_check "B-LTA: pdfsig finds the CMS signature valid" bash -c \
	"pdfsig '$W/B-LTA.pdf' 2>/dev/null | awk '/^Signature #1/{s=1} /^Signature #2/{s=2} s==1 && /Signature is Valid/{v=1} END{exit !v}'"
kh_check "B-LTA: qpdf --check clean" test "$(sg_qpdf_level "$W/B-LTA.pdf")" = 0
kh_done
