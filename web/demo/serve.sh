#!/usr/bin/env bash
# Serves the demo page with a live kyso-agent on a SoftHSM2 test token (no hardware):
#   bash web/demo/serve.sh [PORT]     then open http://127.0.0.1:PORT/web/demo/index.html?...
# The page's server (tests/agent/fileserver.py) also hosts files and the VGCA FileUploadHandler.
# The browser must trust the agent's CA (printed path) or you accept its certificate once at
# https://localhost:<port>/v1/status. PIN prompts use $KYSO_PINENTRY or pinentry. Ctrl-C stops all.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export KYSO_SRC=$top KYSO_BUILD=${KYSO_BUILD_DIR:-$top/build} KYSO_HARNESS=$top/tests/harness
export PATH="$KYSO_BUILD/bin:$KYSO_HARNESS/bin:$PATH"
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
PORT=${1:-8080}
kh-softhsm "$KH_TMP/hsm" "$KYSO_BUILD/harness/pki" >/dev/null
set -a
. "$KH_TMP/hsm/softhsm.env"
set +a
ORIGIN=http://127.0.0.1:$PORT
mkdir -p "$KH_TMP/web/files"
AG_WEBROOT=$top/web kh_bg "$KH_TMP/fileserver.log" python3 "$top/tests/agent/fileserver.py" "$KH_TMP/web" "$PORT"
kh_bg "$KH_TMP/agent.log" kyso-agent --state-dir "$KH_TMP/state" --origin "$ORIGIN" \
	--module "$KH_P11_MODULE" --token kyso-rsa --chain "$KH_P11_RSA_CHAIN"
kh_wait_for 30 grep -q '^ready' "$KH_TMP/agent.log"
echo "agent CA (trust it in the browser): $KH_TMP/state/ca.pem   token PIN: $KH_P11_USER_PIN"
echo "open: $ORIGIN/web/demo/index.html"
wait
