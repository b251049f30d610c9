#!/usr/bin/env bash
# The collector at helpdesk scale, on a real PostgreSQL server started here:
# two collectors on one database, 20 concurrent uploaders sending every report
# to both: each stored exactly once; a collector killed (SIGKILL) during
# uploads loses nothing it acknowledged and keeps no half report (PostgreSQL
# and SQLite); `kyso doctor --send` to a collector that is down keeps the
# bundle in the outbox and `--send-pending` delivers it once it is back; the
# dashboard in headless Chromium (login, counts, charts, a cause, a report).
. "$KYSO_SRC/tests/doctor/reports_common.sh"
python3 "$T/reports_gen.py" 500 "$KH_TMP/gen" 11 zip

# serve_on DB LOG: a collector on a free port; sets SERVE_URL and SERVE_PID.
serve_on() {
	local port
	port=$(kh_free_port)
	kh_bg "$2" kyso reports --db "$1" serve --listen "127.0.0.1:$port" --threads 4
	SERVE_PID=$KH_LAST_PID
	kh_wait_for 20 grep -q "Collecting reports" "$2"
	SERVE_URL=http://127.0.0.1:$port/api/v1/reports
}

# ---- two collectors, one database, 20 uploaders, every report sent to both ------------------
serve_on "$KH_PG_URL" "$KH_TMP/a.log"; A=$SERVE_URL
serve_on "$KH_PG_URL" "$KH_TMP/b.log"; B=$SERVE_URL
python3 "$T/reports_load.py" 10 "$KH_TMP/l1.json" "$A,$B" "$KH_TMP"/gen/*.zip &
l1=$!
python3 "$T/reports_load.py" 10 "$KH_TMP/l2.json" "$B,$A" "$KH_TMP"/gen/*.zip &
l2=$!
wait $l1 $l2
created=$(( $(jq .created "$KH_TMP/l1.json") + $(jq .created "$KH_TMP/l2.json") ))
known=$(( $(jq .known "$KH_TMP/l1.json") + $(jq .known "$KH_TMP/l2.json") ))
kh_check "1000 uploads: every one answered" test "$(jq -s '[.[].failed|length]|add' "$KH_TMP/l1.json" "$KH_TMP/l2.json")" = 0
kh_check "each report created exactly once (201 x 500), the other upload known (200 x 500)" test "$created/$known" = 500/500
kh_on_fail echo "created $created known $known"
kh_check "the database holds 500 reports and 500 bundles" test "$(kh_pg_psql 'select count(*) from reports; select count(*) from bundles' | tr '\n' ' ')" = "500 500 "
want_problems=$(python3 - "$KH_TMP/gen" <<'PY'
import glob, json, sys, zipfile
print(sum(1 for p in glob.glob(sys.argv[1] + "/*.zip")
          for c in json.loads(zipfile.ZipFile(p).read("report.json"))["checks"] if c["status"] in ("fail", "warn")))
PY
)
kh_check "and every problem row once ($want_problems)" test "$(kh_pg_psql 'select count(*) from problems')" = "$want_problems"

# ---- killed during uploads: nothing acknowledged lost, no half report --------------------
kh_pg_psql "CREATE DATABASE kill_test" >/dev/null
KDB=${KH_PG_URL/\/kyso\?/\/kill_test?}
for db in "$KDB" "$KH_TMP/kill.db"; do
	name=postgresql; [[ $db == *.db ]] && name=sqlite
	serve_on "$db" "$KH_TMP/k-$name.log"
	python3 "$T/reports_load.py" 20 "$KH_TMP/k1.json" "$SERVE_URL" "$KH_TMP"/gen/*.zip &
	lp=$!
	kh_wait_for 30 bash -c "[[ \$(kyso reports --db '$db' summary --json 2>/dev/null | jq .total) -ge 40 ]]"
	kill -KILL "$SERVE_PID"
	wait $lp
	acked=$(jq '.acked|length' "$KH_TMP/k1.json")
	kyso reports --db "$db" export --csv | tail -n +2 | cut -d, -f1 | tr -d '"' | sort >"$KH_TMP/stored.txt"
	jq -r '.acked|keys[]' "$KH_TMP/k1.json" | sort >"$KH_TMP/acked.txt"
	kh_check "$name: killed mid-way ($acked acknowledged, $(jq '.failed|length' "$KH_TMP/k1.json") not)" \
		test "$acked" -gt 0 -a "$acked" -lt 500
	kh_check "$name: every acknowledged report is stored" test -z "$(comm -23 "$KH_TMP/acked.txt" "$KH_TMP/stored.txt")"
	python3 - "$KH_TMP/gen" "$KH_TMP/stored.txt" >"$KH_TMP/want-problems.txt" <<'PY'
import json, sys, zipfile
ids = set(open(sys.argv[2]).read().split())
print(sum(1 for i in ids for c in json.loads(zipfile.ZipFile(f"{sys.argv[1]}/{i}.zip").read("report.json"))["checks"]
          if c["status"] in ("fail", "warn")))
PY
	kyso reports --db "$db" export --csv | tail -n +2 >"$KH_TMP/rows.csv"
	got=$(python3 -c "
import csv,sys
print(sum(len((r[7]+' '+r[8]).split()) for r in csv.reader(open('$KH_TMP/rows.csv'))))")
	kh_check "$name: no half report (each stored report has all its problems)" test "$got" = "$(cat "$KH_TMP/want-problems.txt")"
	serve_on "$db" "$KH_TMP/k2-$name.log"
	python3 "$T/reports_load.py" 20 "$KH_TMP/k2.json" "$SERVE_URL" "$KH_TMP"/gen/*.zip
	kh_check "$name: after a restart the rest comes in, each report once" \
		test "$(jq .created "$KH_TMP/k2.json")" = $((500 - $(wc -l <"$KH_TMP/stored.txt")))
	kh_check "$name: 500 reports in the end" test "$(kyso reports --db "$db" summary --json | jq .total)" = 500
	kh_stop "$SERVE_PID"
done
kh_check "postgresql: as many bundles as reports after the kill" test "$(kh_pg_psql 'select count(*) from bundles' | head -1)" = 500

# ---- the outbox: collector down, then back ------------------------------------------------
port=$(kh_free_port)
down=http://127.0.0.1:$port/api/v1/reports
mkdir -p "$HOME/.config/kyso"
echo '{"schema": 1, "org": "Sở Tài chính"}' >"$HOME/.config/kyso/config.json" # as kyso setup --org writes it
rc=0
kyso doctor --offline --no-usb --send "$down" >"$KH_TMP/send.txt" 2>&1 || rc=$?
box=$HOME/.local/state/kyso/outbox
kh_check "doctor --send to a collector that is down: exit 6" test "$rc" = 6
kh_check "the bundle waits in the outbox, with the collector's address" \
	bash -c "ls '$box'/*.zip >/dev/null && grep -qx '$down' '$box'/*.zip.url && grep -q 'outbox' '$KH_TMP/send.txt'"
kh_check "it was tried more than once (backoff)" test "$(grep -c 'trying again' "$KH_TMP/send.txt")" -ge 2
kh_on_fail cat "$KH_TMP/send.txt"
oid=$(unzip -p "$box"/*.zip report.json | jq -r .id)
rc=0; kyso doctor --send-pending >/dev/null 2>&1 || rc=$?
kh_check "--send-pending while still down: exit 6, the bundle stays" bash -c "[[ $rc == 6 ]] && ls '$box'/*.zip >/dev/null"
kh_bg "$KH_TMP/back.log" kyso reports --db "$KH_PG_URL" serve --listen "127.0.0.1:$port"
kh_wait_for 20 grep -q "Collecting reports" "$KH_TMP/back.log"
kh_check "the outbox keeps the address and token private (mode 600)" test "$(stat -c %a "$box"/*.zip.url)" = 600
# kyso-agent (started without the token in its environment) runs --send-pending once a day
kh_bg "$KH_TMP/agent.log" env -u KYSO_REPORT_TOKEN kyso-agent --state-dir "$KH_TMP/agent-state" \
	--origin https://vanban.example.gov.vn --kyso-port "$(kh_free_port)" --vnpt-ports "$(kh_free_port)" \
	--vgca-port "$(kh_free_port)"
agent_pid=$KH_LAST_PID
kh_check "the agent delivers the outbox (kyso doctor --send-pending)" kh_wait_for 60 test ! -e "$box"
kh_on_fail cat "$KH_TMP/agent.log" "$HOME/.local/state/kyso/outbox.log"
kh_check "and remembers the day it did (outbox-sent.stamp)" test -e "$HOME/.local/state/kyso/outbox-sent.stamp"
kh_stop "$agent_pid"
kh_check "the report is in the store, with the unit of config.json" \
	test "$(kh_pg_psql "select org from reports where id = '$oid'")" = "Sở Tài chính"

# ---- the dashboard in headless Chromium -----------------------------------------------------
dash=http://127.0.0.1:$port/
kyso reports --db "$KH_PG_URL" summary --json --days 30 >"$KH_TMP/sum.json"
jq --arg id "$(basename "$(ls "$KH_TMP"/gen/*.zip | head -1)" .zip)" \
	'{total, causes: .by_failing_check, report_id: $id}' "$KH_TMP/sum.json" >"$KH_TMP/expect.json"
kh_check "dashboard in Chromium" node "$T/reports_dashboard.mjs" "$dash" "$KYSO_REPORT_TOKEN" "$KH_TMP/expect.json" "$KH_TMP"
cp "$KH_TMP/dashboard.png" "$KYSO_BUILD/reports-dashboard-screenshot.png" 2>/dev/null || true
kh_done
