#!/bin/bash
# Benchmark: the helpdesk collector (`kyso reports serve`) on SQLite and on
# PostgreSQL (a private server started here), in the same run: KYSO_BENCH_N
# (default 10000) generated bundles from 50 concurrent keep-alive uploaders
# (tests/doctor/reports_load.py) into each store: throughput (bundles/s), p99
# upload latency, the collector's RSS after 20 % and after all uploads and its
# peak (VmHWM); then `kyso reports summary` time over 100,000 more stored
# reports (inserted directly). Each store's result is checked (every bundle
# stored exactly once, the summary counts them all) before its figures count.
# Targets: PostgreSQL >= SQLite; >= 400 bundles/s; summary <= 200 ms over 100k;
# RSS flat (about the same after 20 % and after 100 % of the uploads).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
N=${KYSO_BENCH_N:-10000}
bench_init bench-reports kyso
bench_harness
. "$KYSO_HARNESS/postgres/pg.sh"
export PATH=$BENCH/bin:$PATH LANGUAGE=en HOME=$KH_TMP/home
mkdir -p "$HOME"
export KYSO_REPORT_TOKEN=kyso-bench-token-0123456789
T=$KYSO_SRC/tests/doctor
kh_pg_start
python3 "$T/reports_gen.py" "$N" "$KH_TMP/gen" 3 zip
ls "$KH_TMP"/gen/*.zip >"$KH_TMP/all.txt"
head -n $((N / 5)) "$KH_TMP/all.txt" >"$KH_TMP/part1.txt"
tail -n +$((N / 5 + 1)) "$KH_TMP/all.txt" >"$KH_TMP/part2.txt"

rss() { awk -v k="$2" '$1 == k":" {print int($2 / 1024)}' "/proc/$1/status"; }

declare -A RATE P99 RSS1 RSS2 HWM SUM
for kind in sqlite postgresql; do
	db=$KH_TMP/bench.db
	[[ $kind == postgresql ]] && db=$KH_PG_URL
	kyso reports --db "$db" migrate >/dev/null
	port=$(kh_free_port)
	kh_bg "$KH_TMP/serve-$kind.log" kyso reports --db "$db" serve --listen "127.0.0.1:$port" --threads 8
	pid=$KH_LAST_PID
	kh_wait_for 20 grep -q "Collecting reports" "$KH_TMP/serve-$kind.log"
	url=http://127.0.0.1:$port/api/v1/reports
	# shellcheck disable=SC2046
	python3 "$T/reports_load.py" 50 "$KH_TMP/l1-$kind.json" "$url" $(cat "$KH_TMP/part1.txt")
	RSS1[$kind]=$(rss "$pid" VmRSS)
	# shellcheck disable=SC2046
	python3 "$T/reports_load.py" 50 "$KH_TMP/l2-$kind.json" "$url" $(cat "$KH_TMP/part2.txt")
	RSS2[$kind]=$(rss "$pid" VmRSS)
	HWM[$kind]=$(rss "$pid" VmHWM)
	kh_stop "$pid"
	created=$(($(jq .created "$KH_TMP/l1-$kind.json") + $(jq .created "$KH_TMP/l2-$kind.json")))
	total=$(kyso reports --db "$db" summary --json | jq .total)
	if [[ $created != "$N" || $total != "$N" ]]; then
		echo "$kind: $created created, $total stored of $N: no figures" >&2
		exit 1
	fi
	RATE[$kind]=$(jq -n --slurpfile a "$KH_TMP/l1-$kind.json" --slurpfile b "$KH_TMP/l2-$kind.json" \
		"$N / (\$a[0].seconds + \$b[0].seconds) | floor")
	P99[$kind]=$(jq -n --slurpfile b "$KH_TMP/l2-$kind.json" '$b[0].p99_ms * 10 | round / 10')
done

# ---- summary over 100,000 more stored reports (inserted directly) -------------------------
python3 - "$KH_TMP/bulk" 100000 <<'PY'
import datetime, os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rnd = random.Random(5)
checks = ["pcsc-service", "readers", "token-present", "module-loadable", "cert-validity", "agent", "tsa", "clock-skew"]
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(out + "/reports.csv", "w") as r, open(out + "/problems.csv", "w") as p:
    for i in range(n):
        day = (today - datetime.timedelta(days=rnd.randrange(0, 365))).isoformat()
        rid = "bulk-%08d" % i
        r.write(f"{rid},{day}T10:00:00Z,{day}T10:00:01Z,fail,{rnd.choice(['Windows 11', 'Debian GNU/Linux 12'])},"
                f"0.{rnd.randrange(1, 4)}.0,{rnd.choice(['bit4id', 'vnpt-ca', 'feitian-epass2003'])},bulk,{{}},"
                f"Unit {rnd.randrange(40)},{day}\n")
        for c in rnd.sample(checks, rnd.randrange(0, 3)):
            p.write(f"{rid},{c},{rnd.choice(['fail', 'warn'])},{day}\n")
PY
cols="id, created, received, result, os, kyso_version, token_type, source, json, org, day"
python3 - "$KH_TMP/bench.db" "$KH_TMP/bulk" "$cols" <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executemany(f"INSERT INTO reports ({sys.argv[3]}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               csv.reader(open(sys.argv[2] + "/reports.csv")))
db.executemany("INSERT INTO problems (report_id, check_id, status, day) VALUES (?,?,?,?)",
               csv.reader(open(sys.argv[2] + "/problems.csv")))
db.commit()
db.execute("ANALYZE")
PY
kh_pg_psql "\\copy reports ($cols) from '$KH_TMP/bulk/reports.csv' csv" >/dev/null
kh_pg_psql "\\copy problems (report_id, check_id, status, day) from '$KH_TMP/bulk/problems.csv' csv" >/dev/null
kh_pg_psql "ANALYZE" >/dev/null
for kind in sqlite postgresql; do
	db=$KH_TMP/bench.db
	[[ $kind == postgresql ]] && db=$KH_PG_URL
	total=$(kyso reports --db "$db" summary --json | jq .total)
	[[ $total == $((N + 100000)) ]] || {
		echo "$kind: summary counts $total, not $((N + 100000))" >&2
		exit 1
	}
	best=999999
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		kyso reports --db "$db" summary --json >/dev/null
		t=$((($(date +%s%N) - t0) / 1000000))
		((t < best)) && best=$t
	done
	SUM[$kind]=$best
done

printf '\n%-12s %10s %9s %12s %13s %9s %16s\n' store bundles/s p99_ms rss_20%_MiB rss_100%_MiB peak_MiB summary_110k_ms
for kind in sqlite postgresql; do
	printf '%-12s %10s %9s %12s %13s %9s %16s\n' "$kind" "${RATE[$kind]}" "${P99[$kind]}" "${RSS1[$kind]}" \
		"${RSS2[$kind]}" "${HWM[$kind]}" "${SUM[$kind]}"
done
ratio=$(jq -n "${RATE[postgresql]} / ${RATE[sqlite]} * 100 | round / 100")
echo "PostgreSQL / SQLite throughput: $ratio (target >= 1); targets: >= 400 bundles/s, summary <= 200 ms, RSS flat"
