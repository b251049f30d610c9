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
kh_check "kyso-agent without arguments is a usage error" test "$(rc_of kyso-agent)" -eq 2
kh_done
