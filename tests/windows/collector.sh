# kh_collector_start DB CONFIG_DIR: the helpdesk's collector (the Linux
# `kyso reports serve`) on a free loopback port, and CONFIG_DIR/config.json
# naming it (report_url, report_token) as IT would configure it. Sets
# COLLECTOR_PID and COLLECTOR_TOKEN; stopped at exit (kh_bg) or by its PID.
kh_collector_start() {
	local db=$1 dir=$2 port
	COLLECTOR_TOKEN=kyso-test-collector-0123456789
	port=$(kh_free_port)
	kh_bg "$KH_TMP/collector.log" env KYSO_REPORT_TOKEN=$COLLECTOR_TOKEN kyso reports --db "$db" \
		serve --listen "127.0.0.1:$port"
	COLLECTOR_PID=$KH_LAST_PID
	kh_wait_for 30 grep -q "127.0.0.1:$port/api/v1/reports" "$KH_TMP/collector.log" || true
	mkdir -p "$dir"
	printf '{"report_url": "http://127.0.0.1:%s/api/v1/reports", "report_token": "%s"}\n' "$port" \
		"$COLLECTOR_TOKEN" >"$dir/config.json"
	COLLECTOR_PORT=$port
}
