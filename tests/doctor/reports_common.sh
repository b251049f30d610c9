# shellcheck shell=bash
# Shared set-up of the collector tests (test_reports_stores.sh, test_reports_pg.sh):
# a private HOME, kyso on PATH, English output, the collector token, and a
# private PostgreSQL server (tests/harness/postgres/pg.sh). T: this folder.
. "$KYSO_SRC/tests/harness/lib.sh"
. "$KYSO_HARNESS/postgres/pg.sh"
kh_tmpdir
export PATH=$KYSO_BUILD/bin:$PATH LANGUAGE=en HOME=$KH_TMP/home
mkdir -p "$HOME"
export KYSO_REPORT_TOKEN=kyso-test-token-0123456789
T=$KYSO_SRC/tests/doctor
kh_pg_start
