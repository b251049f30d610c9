# shellcheck shell=bash
# A private PostgreSQL server for a test (Debian's postgresql package):
# initdb in a temporary folder, a private unix socket directory (no TCP),
# a free port number, password authentication (scram) with the password in
# a PGPASSFILE, stopped by PID at exit. As root (CI) the server runs as the
# `postgres` system user (initdb refuses root); otherwise as the caller.
#   . "$KYSO_HARNESS/postgres/pg.sh"; kh_pg_start
# Sets KH_PG_URL (postgresql://kyso@/kyso?host=SOCKDIR&port=PORT, no password),
# PGPASSFILE (exported), KH_PG_PID, KH_PG_BIN.

kh_pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[[ -x "$d/initdb" ]] || { echo "PostgreSQL server binaries not found (Debian package postgresql)" >&2; return 1; }
	echo "$d"
}

kh_pg_start() {
	KH_PG_BIN=$(kh_pg_bin)
	local root as=()
	root=$(mktemp -d "${TMPDIR:-/tmp}/kyso-pg.XXXXXX")
	kh_on_exit "rm -rf '$root'"
	if [[ $(id -u) -eq 0 ]]; then
		id postgres >/dev/null 2>&1 || { echo "no postgres system user to run the server as" >&2; return 1; }
		chown postgres: "$root"
		as=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
	fi
	local pw
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	printf '%s\n' "$pw" >"$root/pw"
	chmod 0644 "$root/pw"
	"${as[@]}" "$KH_PG_BIN/initdb" -D "$root/data" -U kyso --pwfile="$root/pw" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-locale >"$root/initdb.log" 2>&1 ||
		{ cat "$root/initdb.log" >&2; return 1; }
	rm -f "$root/pw"
	mkdir -p "$root/sock"
	[[ ${#as[@]} -eq 0 ]] || chown postgres: "$root/sock"
	local port
	port=$(kh_free_port)
	kh_bg "$root/server.log" "${as[@]}" "$KH_PG_BIN/postgres" -D "$root/data" -k "$root/sock" -p "$port" \
		-c listen_addresses= -c max_connections=200 -c shared_buffers=32MB
	KH_PG_PID=$KH_LAST_PID
	export PGPASSFILE=$KH_TMP/pgpass
	printf '*:%s:*:kyso:%s\n' "$port" "$pw" >"$PGPASSFILE"
	chmod 0600 "$PGPASSFILE"
	KH_PG_SOCK=$root/sock KH_PG_PORT=$port
	if ! kh_wait_for 30 "$KH_PG_BIN/pg_isready" -q -h "$root/sock" -p "$port"; then
		cat "$root/server.log" >&2
		return 1
	fi
	"$KH_PG_BIN/../bin/psql" -X -q -h "$root/sock" -p "$port" -U kyso -d postgres \
		-c "CREATE DATABASE kyso" >/dev/null
	KH_PG_URL="postgresql://kyso@/kyso?host=$root/sock&port=$port"
	export KH_PG_URL KH_PG_PID KH_PG_SOCK KH_PG_PORT
}

# kh_pg_psql SQL: one query on the test database, unaligned, tuples only.
kh_pg_psql() {
	"$KH_PG_BIN/psql" -X -q -A -t -h "$KH_PG_SOCK" -p "$KH_PG_PORT" -U kyso -d kyso -c "$1"
}
