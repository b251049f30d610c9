#!/usr/bin/env bash
# kyso-agent uses the signer only through its public header (signer/kyso_signer.h): no
# source of agent includes one of the signer's internal headers, and the public
# header declares what the agent calls (opaque visible-signature builder, signer accessors).
set -u
. "$KYSO_HARNESS/lib.sh"
internal=()
for h in "$KYSO_SRC"/signer/*.h; do
	b=$(basename "$h")
	[[ $b == kyso_signer.h ]] || internal+=("$b")
done
kh_check "the signer has internal headers to avoid (${#internal[@]})" test "${#internal[@]}" -gt 0
used=$(cd "$KYSO_SRC/agent" && for b in "${internal[@]}"; do
	grep -l "^#include [\"<]$b[\">]" -- *.c *.h 2>/dev/null | sed "s/\$/: $b/" || true
done)
kh_check "no internal signer header in agent" test -z "$used"
kh_on_fail echo "$used"
for f in kyso_visible_new kyso_visible_opts kyso_signer_login_pin kyso_signer_sign_digest \
	kyso_signer_cert_der; do
	kh_check "kyso_signer.h declares $f" grep -q "\b$f(" "$KYSO_SRC/signer/include/kyso_signer.h"
	kh_check "the agent calls $f" grep -q "\b$f(" "$KYSO_SRC"/agent/*.c
done
kh_done
