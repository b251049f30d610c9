#!/usr/bin/env bash
# kyso reports: a doctor bundle goes through --send to the collector
# (`kyso reports serve`, plain HTTP on loopback and HTTPS), the summary counts
# it; bad token and oversize uploads are refused; ingest is idempotent by
# report id; show and CSV export.
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
dr_card
export LANGUAGE=en
db=$KH_TMP/reports.db
export KYSO_REPORT_TOKEN=kyso-test-token-0123456789

# ---- collector on plain HTTP (loopback) ----------------------------------------------
port=$(kh_free_port)
kh_bg "$KH_TMP/serve.log" kyso reports --db "$db" serve --listen "127.0.0.1:$port" --store "$KH_TMP/store" --max-size 200000
serve_pid=$KH_LAST_PID
kh_wait_for 20 grep -q "Collecting reports" "$KH_TMP/serve.log"
url=http://127.0.0.1:$port/api/v1/reports

rc=0
kyso doctor --offline --token kyso-rsa --ca "$KH_PKI_ROOT_CERT" --agent-url "https://127.0.0.1:$AGENT_PORT/" \
	--bundle "$KH_TMP/b1.zip" --send "$url" >"$KH_TMP/send.txt" 2>&1 || rc=$?
kh_check "doctor --send: exit 1 (the agent check fails), not 6" test "$rc" -eq 1; kh_on_fail cat "$KH_TMP/send.txt"
kh_check "doctor says the report was sent" grep -q "sent to $url" "$KH_TMP/send.txt"
id1=$(unzip -p "$KH_TMP/b1.zip" report.json | jq -r .id)
kh_check "collector stored the bundle" test -s "$KH_TMP/store/$id1.zip"
kh_check "stored bundle is the one sent" cmp "$KH_TMP/b1.zip" "$KH_TMP/store/$id1.zip"

kyso reports --db "$db" summary --json >"$KH_TMP/s.json"
kh_check "summary counts 1 report" test "$(jq .total "$KH_TMP/s.json")" = 1
kh_check "summary counts the failing agent check" test "$(jq '.by_failing_check.agent' "$KH_TMP/s.json")" = 1
kh_check "summary by token type" test "$(jq '.by_token_type["feitian-epass2003"]' "$KH_TMP/s.json")" = 1
kh_check "summary by kyso version" test "$(jq '.by_version | to_entries[0].value' "$KH_TMP/s.json")" = 1
# no kyso setup --org here: the unit is the certificate's O / OU, and the helpdesk groups by it
unit="UBND Tỉnh Thử Nghiệm / Văn phòng UBND"
kh_check "summary by unit: the certificate's O / OU" test "$(jq --arg u "$unit" '.by_org[$u]' "$KH_TMP/s.json")" = 1
kh_on_fail jq .by_org "$KH_TMP/s.json"
curl -s -H "Authorization: Bearer $KYSO_REPORT_TOKEN" "http://127.0.0.1:$port/" >"$KH_TMP/dash.html"
kh_check "the dashboard's units table counts the unit" \
	grep -qF "<table id=\"org\"><tr><td>$unit</td><td><svg width=\"304\" height=\"16\" role=\"img\"><rect x=\"0\" y=\"2\" width=\"300\" height=\"12\" fill=\"#3367d6\"/></svg></td><td class=\"n count\">1</td>" "$KH_TMP/dash.html"
kh_check "the dashboard's unit filter offers it" grep -qF "<option value=\"$unit\">$unit</option>" "$KH_TMP/dash.html"
uq=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$unit")
curl -s -H "Authorization: Bearer $KYSO_REPORT_TOKEN" "http://127.0.0.1:$port/cause?check=agent&unit=$uq" >"$KH_TMP/dash-unit.html"
kh_check "the reports of a cause in that unit list this report" grep -q "$id1" "$KH_TMP/dash-unit.html"
curl -s -H "Authorization: Bearer $KYSO_REPORT_TOKEN" "http://127.0.0.1:$port/cause?check=agent&unit=other" >"$KH_TMP/dash-other.html"
kh_check "and in another unit they do not" sh -c "! grep -q '$id1' '$KH_TMP/dash-other.html'"
# a re-upload of the known id with other content keeps the stored bundle (first wins)
python3 - "$KH_TMP/b1.zip" "$KH_TMP/b1-other.zip" <<'PY'
import json, sys, zipfile
r = json.loads(zipfile.ZipFile(sys.argv[1]).read("report.json"))
r["summary"]["result"] = "pass"
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("report.json", json.dumps(r))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KYSO_REPORT_TOKEN" --data-binary "@$KH_TMP/b1-other.zip" "$url")
kh_check "re-upload of a known id: 200 (already known)" test "$code" = 200
kh_check "the store folder keeps the first bundle" cmp "$KH_TMP/b1.zip" "$KH_TMP/store/$id1.zip"
kh_check "the database keeps the first report" \
	test "$(kyso reports --db "$db" show "$id1" --json | jq -r .summary.result)" = "$(unzip -p "$KH_TMP/b1.zip" report.json | jq -r .summary.result)"

# a second report without a token (pcscd stopped): two reports, two failing pcsc-service
kh_pcscd_stop
kyso doctor --offline --agent-url "https://127.0.0.1:$AGENT_PORT/" --send "$url" >/dev/null 2>&1 || true
rdir=$HOME/.local/state/kyso/reports
kh_check "--send without --bundle leaves no zip behind once uploaded" \
	bash -c "[[ -z \$(find '$rdir' -name '*.zip' 2>/dev/null) ]]"
kyso reports --db "$db" summary --json >"$KH_TMP/s.json"
kh_check "summary counts 2 reports" test "$(jq .total "$KH_TMP/s.json")" = 2
kh_check "summary: pcsc-service failed once" test "$(jq '.by_failing_check["pcsc-service"]' "$KH_TMP/s.json")" = 1
kh_check "summary: agent failed twice" test "$(jq '.by_failing_check.agent' "$KH_TMP/s.json")" = 2
kh_check "summary: one unknown token type" test "$(jq '.by_token_type.unknown' "$KH_TMP/s.json")" = 1
kyso reports --db "$db" summary --days 1 >"$KH_TMP/s.txt"
kh_check "text summary over a window" grep -q "2 report(s) in the last 1 day(s)" "$KH_TMP/s.txt"

# refused uploads
rc=0
KYSO_REPORT_TOKEN=wrong-token-wrong-token kyso doctor --offline --send "$url" >"$KH_TMP/bad.txt" 2>&1 || rc=$?
kh_check "wrong token: refused, exit 6" test "$rc" -eq 6
kh_check "wrong token: HTTP 401 named" grep -q "401" "$KH_TMP/bad.txt"
kh_check "wrong token: the zip is kept in the reports folder, and the message names it" \
	bash -c "[[ \$(find '$rdir' -name 'kyso-doctor-*.zip' | wc -l) -eq 1 ]] && grep -q 'kept as $rdir/kyso-doctor-' '$KH_TMP/bad.txt'"
kh_on_fail cat "$KH_TMP/bad.txt"
kyso doctor --offline --save >"$KH_TMP/save.txt" 2>&1 || true
saved=$(sed -n 's/^Report saved as \(.*\)\.$/\1/p' "$KH_TMP/save.txt")
kh_check "--save writes the zip into the reports folder and names it" \
	bash -c "[[ '$saved' == '$rdir'/kyso-doctor-*.zip ]] && unzip -l '$saved' | grep -q report.json"
kh_on_fail cat "$KH_TMP/save.txt"
head -c 300000 /dev/urandom >"$KH_TMP/big.zip"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KYSO_REPORT_TOKEN" \
	-H 'Content-Type: application/zip' --data-binary "@$KH_TMP/big.zip" "$url")
kh_check "oversize upload: HTTP 413" test "$code" = 413
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KYSO_REPORT_TOKEN" \
	--data-binary '{"kind":"something else"}' "$url")
kh_check "not a report: HTTP 400" test "$code" = 400
rc=0
kyso doctor --offline --send "http://192.0.2.1:$port/api/v1/reports" >"$KH_TMP/plain.txt" 2>&1 || rc=$?
kh_check "plain http to another host is refused (exit 2)" test "$rc" -eq 2
kyso reports --db "$db" summary --json >"$KH_TMP/s.json"
kh_check "refused uploads were not counted" test "$(jq .total "$KH_TMP/s.json")" = 2
kh_stop "$serve_pid"

# ---- idempotent ingest, show, CSV ------------------------------------------------------
kyso reports --db "$KH_TMP/r2.db" ingest "$KH_TMP/b1.zip" --json >"$KH_TMP/i.json"
kh_check "ingest adds the bundle" test "$(jq .added "$KH_TMP/i.json")" = 1
kyso reports --db "$KH_TMP/r2.db" ingest "$KH_TMP/store" --json >"$KH_TMP/i.json"
kh_check "ingest of the directory: 1 new, 1 already known" \
	test "$(jq -c '[.added, .already_known]' "$KH_TMP/i.json")" = "[1,1]"
kyso reports --db "$KH_TMP/r2.db" show "$id1" --json >"$KH_TMP/show.json"
kh_check "show returns the report" test "$(jq -r .id "$KH_TMP/show.json")" = "$id1"
kyso reports --db "$KH_TMP/r2.db" export --csv >"$KH_TMP/r.csv"
kh_check "CSV has a header and 2 rows" test "$(wc -l <"$KH_TMP/r.csv")" = 3
kh_check "CSV names the failing agent check" grep -qE "\"$id1\".*,\"([a-z-]+ )*agent( [a-z-]+)*\"" "$KH_TMP/r.csv"; kh_on_fail cat "$KH_TMP/r.csv"
rc=0
printf 'not json' >"$KH_TMP/junk.json"
kyso reports --db "$KH_TMP/r2.db" ingest "$KH_TMP/junk.json" >/dev/null 2>&1 || rc=$?
kh_check "junk is rejected (exit 5)" test "$rc" -eq 5

# ---- HTTPS collector ------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KH_TMP/c.key" -out "$KH_TMP/c.crt" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
port=$(kh_free_port)
kh_bg "$KH_TMP/serve2.log" kyso reports --db "$KH_TMP/r3.db" serve --listen "127.0.0.1:$port" \
	--store "$KH_TMP/store3" --cert "$KH_TMP/c.crt" --key "$KH_TMP/c.key"
kh_wait_for 20 grep -q "Collecting reports on https" "$KH_TMP/serve2.log"
rc=0
kyso doctor --offline --send "https://127.0.0.1:$port/api/v1/reports" --cacert "$KH_TMP/c.crt" >"$KH_TMP/s3.txt" 2>&1 || rc=$?
kh_check "HTTPS upload accepted" grep -q "sent to https" "$KH_TMP/s3.txt"; kh_on_fail cat "$KH_TMP/s3.txt"
rc=0
kyso doctor --offline --send "https://127.0.0.1:$port/api/v1/reports" >"$KH_TMP/s4.txt" 2>&1 || rc=$?
kh_check "HTTPS without the collector's CA: refused (exit 6)" test "$rc" -eq 6
kh_check "HTTPS store has 1 report" test "$(kyso reports --db "$KH_TMP/r3.db" summary --json | jq .total)" = 1
kh_done
