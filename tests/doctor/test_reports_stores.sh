#!/usr/bin/env bash
# kyso reports on both stores: the same 500 generated bundles ingested into
# SQLite and into a real PostgreSQL server (started here) give the same
# summary (and the one computed independently from the files), the same CSV
# export, the same dashboard pages; migrations, prune; a re-uploaded known id
# keeps its first bundle; a zip entry without a name is refused, not a crash;
# a saturated collector answers 429 with Retry-After; the dashboard wants the
# token (bearer or the login form's cookie).
. "$KYSO_SRC/tests/doctor/reports_common.sh"
SQ=$KH_TMP/r.db
PG=$KH_PG_URL
python3 "$T/reports_gen.py" 500 "$KH_TMP/gen" 7 zip

# ---- migrations and ingest -------------------------------------------------------------
rc=0; PGPASSFILE=/dev/null kyso reports --db "$PG" migrate >/dev/null 2>&1 || rc=$?
kh_check "a password-protected PostgreSQL URL without the password is refused (exit 6)" test "$rc" = 6
# a store made by the previous kyso (schema of version 1, no version table) is migrated
python3 - "$KH_TMP/old.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""CREATE TABLE reports (id TEXT PRIMARY KEY, created TEXT NOT NULL, received TEXT NOT NULL,
 result TEXT, os TEXT, kyso_version TEXT, token_type TEXT, source TEXT, json TEXT NOT NULL);
CREATE TABLE problems (report_id TEXT NOT NULL REFERENCES reports(id), check_id TEXT NOT NULL,
 status TEXT NOT NULL, PRIMARY KEY (report_id, check_id));""")
db.execute("INSERT INTO reports VALUES ('old-report-0001', '2026-01-02T03:04:05Z', '2026-01-02T03:04:06Z', 'fail', 'Windows 10', '0.1.0', 'bit4id', 'x', '{}')")
db.execute("INSERT INTO problems VALUES ('old-report-0001', 'agent', 'fail')")
db.commit()
PY
kyso reports --db "sqlite:$KH_TMP/old.db" migrate --json >"$KH_TMP/m.json"
kh_check "an old store migrates to schema version 3" test "$(jq .schema_version "$KH_TMP/m.json")" = 3
kh_check "its reports keep their day and problems" test "$(kyso reports --db "$KH_TMP/old.db" summary --json | jq -c '[.total, .by_day["2026-01-02"], .by_failing_check.agent]')" = "[1,1,1]"
for db in "$SQ" "$PG"; do
	kyso reports --db "$db" migrate --json >"$KH_TMP/m.json"
	kh_check "migrate ($db): schema version 3" test "$(jq .schema_version "$KH_TMP/m.json")" = 3
	kyso reports --db "$db" ingest "$KH_TMP/gen" --json >"$KH_TMP/i.json"
	kh_check "ingest 500 bundles ($(jq -r .store "$KH_TMP/m.json"))" test "$(jq -c '[.added,.already_known,.rejected]' "$KH_TMP/i.json")" = "[500,0,0]"
	kyso reports --db "$db" ingest "$KH_TMP/gen" --json >"$KH_TMP/i.json"
	kh_check "ingest again: all already known ($(jq -r .store "$KH_TMP/m.json"))" test "$(jq -c '[.added,.already_known]' "$KH_TMP/i.json")" = "[0,500]"
done
kh_check "PostgreSQL: 500 reports, 500 bundles" test "$(kh_pg_psql 'select count(*) from reports; select count(*) from bundles' | tr '\n' ' ')" = "500 500 "

# ---- summary: same on both stores, and as computed from the files ------------------------
sel='{total, by_failing_check, by_warning_check, by_token_type, by_org, by_day, new_since_yesterday}'
for args in "" "--days 7" "--token-type bit4id"; do
	days=0; [[ $args == --days* ]] && days=7
	tok=; [[ $args == --token-type* ]] && tok=bit4id
	python3 "$T/reports_expect.py" "$KH_TMP/gen" "$days" $tok | jq -c . >"$KH_TMP/want.json"
	# shellcheck disable=SC2086
	kyso reports --db "$SQ" summary --json $args | jq -c "$sel" >"$KH_TMP/sq.json"
	# shellcheck disable=SC2086
	kyso reports --db "$PG" summary --json $args | jq -c "$sel" >"$KH_TMP/pg.json"
	kh_check "summary ${args:-(all)}: SQLite = PostgreSQL" cmp -s "$KH_TMP/sq.json" "$KH_TMP/pg.json"
	kh_check "summary ${args:-(all)}: as counted from the files" cmp -s "$KH_TMP/sq.json" "$KH_TMP/want.json"
	kh_on_fail diff <(jq . "$KH_TMP/sq.json") <(jq . "$KH_TMP/want.json")
done
kyso reports --db "$SQ" summary --days 7 >"$KH_TMP/s.txt"
kh_check "text summary shows units and days" bash -c "grep -q 'Units:' '$KH_TMP/s.txt' && grep -q 'Reports per day:' '$KH_TMP/s.txt'"

# ---- CSV export (without the received time) -------------------------------------------------
kyso reports --db "$SQ" export --csv | cut -d, -f1,2,4- >"$KH_TMP/sq.csv"
kyso reports --db "$PG" export --csv | cut -d, -f1,2,4- >"$KH_TMP/pg.csv"
kh_check "CSV: 500 rows and a header" test "$(wc -l <"$KH_TMP/sq.csv")" = 501
kh_check "CSV: SQLite = PostgreSQL" cmp -s "$KH_TMP/sq.csv" "$KH_TMP/pg.csv"

# ---- two collectors, one per store: the same dashboard -----------------------------------
declare -A URL
for kind in sq pg; do
	db=$SQ; [[ $kind == pg ]] && db=$PG
	port=$(kh_free_port)
	kh_bg "$KH_TMP/serve-$kind.log" kyso reports --db "$db" serve --listen "127.0.0.1:$port" --store "$KH_TMP/files-$kind"
	kh_wait_for 20 grep -q "Collecting reports" "$KH_TMP/serve-$kind.log"
	URL[$kind]=http://127.0.0.1:$port
done
auth=(-H "Authorization: Bearer $KYSO_REPORT_TOKEN")
check=$(jq -r '.by_failing_check | keys_unsorted[0]' "$KH_TMP/sq.json")
for page in "/" "/?days=7&token=bit4id" "/cause?check=$check&days=30" "/api/v1/summary?days=0"; do
	curl -sf "${auth[@]}" "${URL[sq]}$page" >"$KH_TMP/p-sq.html"
	curl -sf "${auth[@]}" "${URL[pg]}$page" >"$KH_TMP/p-pg.html"
	kh_check "dashboard $page: the same page from both stores" cmp -s "$KH_TMP/p-sq.html" "$KH_TMP/p-pg.html"
done
kh_check "dashboard: the total is shown" grep -q "id=\"total\">500<" <(curl -s "${auth[@]}" "${URL[pg]}/?days=0")
kh_check "dashboard: a bar per failing check, an SVG trend chart" \
	bash -c "curl -s ${auth[*]@Q} '${URL[pg]}/' | grep -q '<svg id=\"trend-chart\"' && [[ \$(curl -s ${auth[*]@Q} '${URL[pg]}/' | grep -o '<a href=\"/cause?check=' | wc -l) -eq $(jq '.by_failing_check|length' "$KH_TMP/sq.json") ]]"
kh_check "dashboard: no external assets and no script" bash -c "! curl -s ${auth[*]@Q} '${URL[pg]}/' | grep -Eq '<script|src=\"http|href=\"http'"
code=$(curl -s -o "$KH_TMP/anon.html" -w '%{http_code}' "${URL[pg]}/")
kh_check "dashboard without the token: the login form, no counts" bash -c "[[ $code == 200 ]] && grep -q 'name=\"token\"' '$KH_TMP/anon.html' && ! grep -q 'id=\"total\"' '$KH_TMP/anon.html'"
kh_check "report page without the token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "${URL[pg]}/cause?check=$check")" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "token=wrong-token-wrong" "${URL[pg]}/login")
kh_check "login with a wrong token: 401" test "$code" = 401
curl -s -D "$KH_TMP/h.txt" -o /dev/null --data-urlencode "token=$KYSO_REPORT_TOKEN" "${URL[pg]}/login"
cookie=$(sed -n 's/^Set-Cookie: \(kyso_session=[0-9a-f]*\);.*/\1/p' "$KH_TMP/h.txt" | tr -d '\r')
kh_check "login: a session cookie (HttpOnly) and a redirect to /" bash -c "grep -q '^HTTP/1.1 303' '$KH_TMP/h.txt' && grep -qi 'HttpOnly' '$KH_TMP/h.txt' && [[ -n '$cookie' ]]"
kh_check "the cookie opens the dashboard" grep -q 'id="total"' <(curl -s -b "$cookie" "${URL[pg]}/")
kh_check "the cookie does not hold the token" bash -c "[[ '$cookie' != *'$KYSO_REPORT_TOKEN'* ]]"
id=$(basename "$(ls "$KH_TMP/gen"/*.zip | head -1)" .zip)
curl -s "${auth[@]}" "${URL[pg]}/report/$id" >"$KH_TMP/rep.html"
kh_check "one report opened as the doctor's page" bash -c "grep -q '$id' '$KH_TMP/rep.html' && grep -q '<html' '$KH_TMP/rep.html'"

port=$(kh_free_port)
kh_bg "$KH_TMP/serve-vi.log" env -u LANGUAGE LANG=C.UTF-8 kyso reports --db "$SQ" serve --listen "127.0.0.1:$port"
kh_wait_for 20 grep -q "127.0.0.1:$port" "$KH_TMP/serve-vi.log"
curl -s "${auth[@]}" "http://127.0.0.1:$port/" >"$KH_TMP/vi.html"
kh_check "the dashboard speaks Vietnamese by default" \
	bash -c "grep -q '<html lang=\"vi\"' '$KH_TMP/vi.html' && grep -q 'Mục kiểm tra bị lỗi' '$KH_TMP/vi.html' && grep -q 'Báo cáo theo ngày' '$KH_TMP/vi.html'"
kh_check "and English with LANGUAGE=en" \
	bash -c "curl -s ${auth[*]@Q} '${URL[pg]}/' | grep -q '<h2>Failing checks</h2>'"
kh_check "a trend line per failing check" test "$(grep -o '<svg class="spark"' "$KH_TMP/vi.html" | wc -l)" = "$(jq '.by_failing_check|length' "$KH_TMP/sq.json")"

# ---- uploads: known id keeps its bundle; an entry without a name; 429 -----------------------
f=$KH_TMP/gen/$id.zip
curl -sf "${auth[@]}" --data-binary "@$f" "${URL[pg]}/api/v1/reports" >/dev/null
before=$(kh_pg_psql "select md5(data) from bundles where report_id = '$id'")
python3 - "$f" "$KH_TMP/other.zip" <<'PY'
import json, sys, zipfile
r = json.loads(zipfile.ZipFile(sys.argv[1]).read("report.json"))
r["summary"]["result"] = "pass"
r["checks"] = []
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("report.json", json.dumps(r))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --data-binary "@$KH_TMP/other.zip" "${URL[pg]}/api/v1/reports")
kh_check "re-upload of a known id with other content: 200 (already known)" test "$code" = 200
kh_check "the stored bundle is still the first one" test "$(kh_pg_psql "select md5(data) from bundles where report_id = '$id'")" = "$before"
kh_check "the stored report is still the first one" test "$(kh_pg_psql "select result from reports where id = '$id'")" = "$(unzip -p "$f" report.json | jq -r .summary.result)"
curl -sf "${auth[@]}" --data-binary "@$f" "${URL[sq]}/api/v1/reports" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --data-binary "@$KH_TMP/other.zip" "${URL[sq]}/api/v1/reports")
kh_check "sq: re-upload of a known id with other content: 200 (already known)" test "$code" = 200
kh_check "sq: the stored bundle is still the first one" \
	test "$(sqlite3 "${SQ#sqlite:}" "select hex(data) from bundles where report_id = '$id'" | xxd -r -p | md5sum | cut -d' ' -f1)" = "$(md5sum <"$f" | cut -d' ' -f1)"
kh_check "sq: the stored report is still the first one" test "$(sqlite3 "${SQ#sqlite:}" "select result from reports where id = '$id'")" = "$(unzip -p "$f" report.json | jq -r .summary.result)"
python3 - "$KH_TMP/noname.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(zipfile.ZipInfo(""), b"{}")
PY
for kind in sq pg; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --data-binary "@$KH_TMP/noname.zip" "${URL[$kind]}/api/v1/reports")
	kh_check "$kind: a zip entry without a name: 400" test "$code" = 400
	kh_check "$kind: the collector is still up" test "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "${URL[$kind]}/api/v1/summary")" = 200
done
port=$(kh_free_port)
kh_bg "$KH_TMP/serve-busy.log" kyso reports --db "$KH_TMP/busy.db" serve --listen "127.0.0.1:$port" --max-inflight 1
kh_wait_for 20 grep -q "Collecting reports" "$KH_TMP/serve-busy.log"
python3 - "$port" "$KYSO_REPORT_TOKEN" "$f" >"$KH_TMP/busy.txt" <<'PY'
import socket, sys, time, http.client
port, tok, f = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(f, "rb").read()
s = socket.create_connection(("127.0.0.1", port))       # one upload in progress: half its body sent
s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode() +
          b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body[: len(body) // 2])
time.sleep(0.5)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("POST", "/api/v1/reports", body, {"Authorization": "Bearer " + tok})
r = c.getresponse(); r.read()
print(r.status, r.getheader("Retry-After"))
s.sendall(body[len(body) // 2:])                           # the first one completes
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
kh_check "saturated collector: 429 with Retry-After" grep -qx "429 2" "$KH_TMP/busy.txt"
kh_check "the upload in progress is accepted" grep -q "HTTP/1.1 201" "$KH_TMP/busy.txt"; kh_on_fail cat "$KH_TMP/busy.txt"

# ---- retention -----------------------------------------------------------------------------
old=$(python3 - "$KH_TMP/gen" <<'PY'
import datetime, glob, json, sys, zipfile
cut = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=10)).isoformat()
print(sum(1 for p in glob.glob(sys.argv[1] + "/*.zip") if json.loads(zipfile.ZipFile(p).read("report.json"))["created"][:10] < cut))
PY
)
for db in "$SQ" "$PG"; do
	kh_check "prune --older-than 10d removes the $old older reports ($db)" test "$(kyso reports --db "$db" prune --older-than 10d --json | jq .removed)" = "$old"
	kh_check "prune: the rest stays" test "$(kyso reports --db "$db" summary --json | jq .total)" = $((500 - old))
done
kh_check "prune: no bundle or problem of a pruned report stays" test "$(kh_pg_psql "select count(*) from bundles b left join reports r on r.id = b.report_id where r.id is null")" = 0
rc=0; kyso reports --db "$SQ" prune --older-than soon >/dev/null 2>&1 || rc=$?
kh_check "prune without a valid age: usage error (2)" test "$rc" = 2
kh_done
