#!/usr/bin/env bash
# The kyso command line: dispatch, help, exit codes, --json, languages.
. "$KYSO_HARNESS/lib.sh"

rc_of() { set +e; "$@" >/dev/null 2>&1; local r=$?; set -e; echo "$r"; }
is_json() { python3 -c 'import json,sys; json.load(sys.stdin)'; }

kh_check "kyso --help exits 0" test "$(rc_of kyso --help)" -eq 0
kh_check "no command is a usage error (2)" test "$(rc_of kyso)" -eq 2
kh_check "unknown command is a usage error (2)" test "$(rc_of kyso frobnicate)" -eq 2
kh_check "--lang fr is a usage error (2)" test "$(rc_of kyso --lang fr --help)" -eq 2
kh_check "bad option to version is a usage error" test "$(rc_of kyso version --bogus)" -eq 2
kh_check "Vietnamese is the default UI language" \
	bash -c 'env -u LANGUAGE kyso --help | grep -q "Cách dùng: kyso"'
kh_check "--lang en gives English" bash -c 'kyso --lang en --help | grep -q "^Usage: kyso"'
kh_check "LANGUAGE=en gives English" bash -c 'LANGUAGE=en kyso --help | grep -q "^Usage: kyso"'
kh_check "--lang works after the subcommand" \
	bash -c 'kyso version --help --lang en | grep -q "^Usage: kyso version"'
for c in detect setup sign verify doctor reports version; do
	kh_check "kyso $c --help exits 0" test "$(rc_of kyso "$c" --help)" -eq 0
done
kh_check "version --json is one JSON document" bash -c 'kyso version --json | python3 -c "
import json,sys; d=json.load(sys.stdin); assert d[\"kyso\"]; assert d[\"language\"] in (\"vi\",\"en\")"'
kh_check "version text names kyso" bash -c 'kyso version | grep -q "^kyso [0-9]"'
kh_check "kyso-agent --version" bash -c 'kyso-agent --version | grep -q "^kyso-agent [0-9]"'
kh_check "kyso-agent --help says what it does" bash -c 'kyso-agent --lang en --help | grep -q "VNPT-CA Plugin"'
kh_check "kyso-agent with an unknown option is a usage error" test "$(rc_of kyso-agent --bogus)" -eq 2
# Subcommands run as their own programs (libexec/kyso/kyso-<name>); global
# options reach them.
kh_check "subcommand programs are installed next to kyso" \
	test -x "$KYSO_BUILD/libexec/kyso/kyso-detect" -a -x "$KYSO_BUILD/libexec/kyso/kyso-sign"
kh_check "--lang en reaches the subcommand program" \
	bash -c 'kyso --lang en sign --help | grep -q "^Usage: kyso sign"'
kh_check "Vietnamese reaches the subcommand program by default" \
	bash -c 'env -u LANGUAGE kyso detect --help | grep -q "Cách dùng: kyso detect"'
kh_check "the subcommand program finds the catalog and translations" \
	bash -c 'env -u KYSO_DATADIR -u KYSO_LOCALEDIR kyso detect --help >/dev/null'
kh_check "a missing subcommand program is an environment error (3)" bash -c '
	d=$(mktemp -d); mkdir -p "$d/bin"; cp "$(command -v kyso)" "$d/bin/";
	set +e; "$d/bin/kyso" detect >/dev/null 2>&1; r=$?; rm -rf "$d"; test $r -eq 3'
kh_check "kyso detect does not load libcurl or SQLite" bash -c '
	! ldd "$KYSO_BUILD/libexec/kyso/kyso-detect" | grep -Eq "libcurl|libsqlite3|libarchive"'
kh_done
