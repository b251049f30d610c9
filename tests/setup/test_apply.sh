#!/usr/bin/env bash
# kyso setup end to end on a staging root: dry run changes nothing, apply
# registers the module (p11-kit, NSS), signs the sample (pdfsig checks it),
# a second run changes nothing, uninstall restores the root byte for byte.
. "$KYSO_SRC/tests/setup/common.sh"
st_env
st_fixture
st_card

st_manifest >"$KH_TMP/m0"

# ---- dry run ------------------------------------------------------------------
st_setup --dry-run --json
kh_check "dry run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "dry run plan is for the ePass2003" \
	test "$(jq -r .plan.token_type "$KH_TMP/out")" = feitian-epass2003
kh_check "dry run: opensc and libccid to install, pcscd in place" \
	test "$(jq -r '[.plan.actions[] | select(.kind=="package") | .target+"="+.status] | join(" ")' "$KH_TMP/out")" \
	= "pcscd=in-place libccid=todo opensc=todo"
kh_check "dry run: vendor module from the bundle, hash checked" \
	test "$(jq -r '.plan.actions[] | select(.kind=="bundle-file") | .status' "$KH_TMP/out")" = todo
kh_check "dry run: the three NSS databases planned (Chromium, Firefox, system)" \
	test "$(jq '[.plan.actions[] | select(.kind=="nss" and .status=="todo")] | length' "$KH_TMP/out")" = 3
st_setup --dry-run
kh_check "dry run text names the module" grep -q "kyso-faultp11.so" "$KH_TMP/out"
st_manifest >"$KH_TMP/m1"
kh_check "dry run changed nothing" diff -u "$KH_TMP/m0" "$KH_TMP/m1"
kh_check "dry run installed nothing" test ! -s "$FAKE_APT_LOG" -o -z "$(grep -v '^status' "$FAKE_APT_LOG")"

# ---- apply --------------------------------------------------------------------
st_setup --origin https://vanban.example.gov.vn --json
kh_check "setup exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "--json: stdout is one JSON document, the report" test "$(jq -r .kind "$KH_TMP/out")" = kyso-install-report
rep=$ROOT/var/lib/kyso/setup/install-report.json
kh_check "install report written" test -s "$rep"
kh_check "report is schema 1" test "$(jq .schema "$rep")" = 1
kh_check "report result ok" test "$(jq -r .result "$rep")" = ok
kh_check "report names the token label" test "$(jq -r .token.label "$rep")" = kyso-rsa
kh_check "packages installed through the package manager" \
	test "$(tr '\n' ' ' <"$FAKE_APT_STATE")" = "pcscd libccid opensc "
mod=$ROOT/usr/lib/kyso/vendor/kyso-faultp11.so
kh_check "vendor module copied, same bytes" cmp "$mod" "$FAULTP11"
p11=$ROOT/etc/pkcs11/modules/kyso-feitian-epass2003.module
kh_check "p11-kit module file" grep -qx "module: $mod" "$p11"
# p11-kit sees it, with only the staging root's module files (private mount namespace)
empty=$KH_TMP/empty && mkdir -p "$empty"
p11list=$(unshare -m --propagation private sh -c \
	"mount --bind '$ROOT/etc/pkcs11/modules' /usr/share/p11-kit/modules && p11-kit list-modules" 2>&1)
echo "$p11list" >"$KH_TMP/p11kit.txt"
kh_check "p11-kit list-modules shows the kyso module" grep -q "^kyso-feitian-epass2003: $mod" "$KH_TMP/p11kit.txt"
kh_check "p11-kit list-modules shows the token" grep -q "token: kyso-rsa" "$KH_TMP/p11kit.txt"
for db in "$HOME/.pki/nssdb" "$HOME/.mozilla/firefox/k1y2s3o4.default-release" "$ROOT/etc/pki/nssdb"; do
	kh_check "modutil -list shows the module in $(basename "$db")" \
		sh -c "modutil -dbdir 'sql:$db' -list kyso-feitian-epass2003 | grep -q 'Library file: $mod'"
done
cfg=$ROOT/etc/kyso/config.json
kh_check "config records the module for kyso sign and the agent" \
	test "$(jq -r .pkcs11_module "$cfg")" = "$mod"
kh_check "config records the origin" test "$(jq -r '.origins[0]' "$cfg")" = https://vanban.example.gov.vn
unit=$ROOT/etc/systemd/user/kyso-agent.service
kh_check "agent unit installed" grep -q "^ExecStart=.*/kyso-agent\( \|$\)" "$unit"
kh_check "agent unit enabled" test "$(readlink "$ROOT/etc/systemd/user/default.target.wants/kyso-agent.service")" = "$unit"
if command -v systemd-analyze >/dev/null; then
	kh_check "agent unit passes systemd-analyze verify" \
		sh -c "systemd-analyze verify --user '$unit' 2>&1 | grep -v 'Failed to\|not running' | (! grep -q .)"
fi
kh_check "agent answered --version" test "$(jq .agent.answers_version "$rep")" = true

# ---- the agent's local CA, trusted where browsers look -------------------------
state=$HOME/.local/state/kyso/agent
kh_check "local CA created in the agent's state directory" test -s "$state/ca.pem"
kh_check "no local CA key on disk (made in memory, used once, never written)" test ! -e "$state/ca-key.pem"
openssl x509 -in "$state/ca.pem" -noout -text >"$KH_TMP/ca.txt"
kh_check "local CA name-constrained to localhost, 127.0.0.1, ::1" \
	sh -c "grep -A4 'Name Constraints' '$KH_TMP/ca.txt' | grep -q 'DNS:localhost' &&
	       grep -A4 'Name Constraints' '$KH_TMP/ca.txt' | grep -q 'IP:127.0.0.1/255.255.255.255' &&
	       grep -A4 'Name Constraints' '$KH_TMP/ca.txt' | grep -q 'IP:0:0:0:0:0:0:0:1/'"
fp() { openssl x509 -noout -fingerprint -sha256 "$@" 2>/dev/null | cut -d= -f2; }
cafp=$(fp -in "$state/ca.pem")
sysca=$ROOT/usr/local/share/ca-certificates/kyso-local-ca.crt
kh_check "system store: the CA file" test "$(fp -in "$sysca")" = "$cafp"
kh_check "system store: update-ca-certificates ran (CA in the bundle)" \
	grep -q "^update-ca-certificates $ROOT\$" "$FAKE_APT_LOG"
kh_check "system store: bundle has the CA" \
	sh -c "openssl crl2pkcs7 -nocrl -certfile '$ROOT/etc/ssl/certs/ca-certificates.crt' |
	       openssl pkcs7 -print_certs | grep -q 'kyso local CA'"
for db in "$HOME/.pki/nssdb" "$HOME/.mozilla/firefox/k1y2s3o4.default-release"; do
	kh_check "certutil -L: kyso-local-ca with trust C,, in $(basename "$db")" \
		sh -c "certutil -L -d 'sql:$db' | grep -Eq '^kyso-local-ca +C,, *\$'"
	kh_check "the NSS entry in $(basename "$db") is the agent's CA" \
		test "$(certutil -L -d "sql:$db" -n kyso-local-ca -a | fp)" = "$cafp"
done
kh_check "the system NSS database (no browser reads it) does not get the CA" \
	sh -c "! certutil -L -d 'sql:$ROOT/etc/pki/nssdb' | grep -q kyso-local-ca"

# ---- the agent runs now and answers on each protocol ---------------------------
pid=$(st_agent_pid)
kh_check "agent started in the background (staging root: no user systemd), PID kept" \
	test "$(readlink "/proc/$pid/exe" 2>/dev/null | grep -c kyso-agent)" = 1
kh_check "report: agent answers" test "$(jq .agent.answers "$rep")" = true; kh_on_fail jq .agent "$rep"
for proto in kyso-api vnpt-ca-plugin vgca-sign-service; do
	kh_check "report: $proto answers" \
		test "$(jq --arg p "$proto" '.agent.protocols[] | select(.name==$p) | .answers' "$rep")" = true
done
kh_check "report: the trust anchor is the CA in the system store" \
	test "$(jq -r .agent.trust_anchor "$rep")" = "$sysca"
kh_check "agent listens on the private ports (KYSO_AGENT_PORTS)" \
	grep -q "^ExecStart=.*/kyso-agent --kyso-port $ST_KYSO_PORT --vnpt-ports $ST_VNPT_PORT --vgca-port $ST_VGCA_PORT\$" "$unit"
curl -sS --cacert "$ROOT/etc/ssl/certs/ca-certificates.crt" "https://localhost:$ST_KYSO_PORT/v1/status" \
	>"$KH_TMP/status.json" 2>&1 || true
kh_check "curl with the system bundle trusts the agent (GET /v1/status)" \
	test "$(jq -r .service "$KH_TMP/status.json" 2>/dev/null)" = kyso-agent; kh_on_fail cat "$KH_TMP/status.json"
kh_check "without the local CA curl does not trust it" \
	sh -c "! curl -sS --cacert '$KH_PKI_ROOT_CERT' 'https://localhost:$ST_KYSO_PORT/v1/status' >/dev/null 2>&1"
pdf=$ROOT/var/lib/kyso/setup/selftest-signed.pdf
kh_check "self-test verified by kyso" test "$(jq -r .selftest.status "$rep")" = verified
kh_check "self-test PDF kept next to the report" test "$(jq -r .selftest.file "$rep")" = "$pdf"
nss=$KH_TMP/pdfsig-nss && mkdir -p "$nss"
certutil -N -d "sql:$nss" --empty-password
certutil -A -d "sql:$nss" -n root -t "C,C,C" -i "$KH_PKI_ROOT_CERT"
pdfsig -nssdir "sql:$nss" "$pdf" >"$KH_TMP/pdfsig.txt" 2>&1 || true
kh_check "pdfsig: signature valid" grep -q "Signature Validation: Signature is Valid" "$KH_TMP/pdfsig.txt"
kh_check "pdfsig: signer is the Vietnamese test signer" grep -q "Nguyễn Văn An" "$KH_TMP/pdfsig.txt"
# kyso sign uses the registered module without --module (config under the root)
KYSO_SYSCONFDIR=$ROOT/etc/kyso kyso sign "$KYSO_SRC/data/samples/sample-vi.pdf" -o "$KH_TMP/again.pdf" \
	--token kyso-rsa --pin-env KH_P11_USER_PIN >"$KH_TMP/sign.txt" 2>&1 || true
kh_check "kyso sign finds the registered module" test -s "$KH_TMP/again.pdf"; kh_on_fail cat "$KH_TMP/sign.txt"

# ---- second run: nothing to do -------------------------------------------------
st_manifest >"$KH_TMP/m2"
: >"$FAKE_APT_LOG"
st_setup --origin https://vanban.example.gov.vn
kh_check "second run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "second run says nothing to do" grep -q "already in place" "$KH_TMP/out"
st_manifest >"$KH_TMP/m3"
kh_check "second run changed nothing" diff -u "$KH_TMP/m2" "$KH_TMP/m3"
kh_check "second run installed nothing" sh -c "! grep -v '^status' '$FAKE_APT_LOG'"
kh_check "second run: the same agent still runs" test "$(st_agent_pid)" = "$pid"

# ---- a new origin: config changes, the agent is restarted to read it --------------
st_setup --origin https://vanban.example.gov.vn --origin https://congvan.example.gov.vn --json
kh_check "new origin: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "new origin: agent restarted (new PID)" test "$(st_agent_pid)" != "$pid"
kh_check "new origin: the old agent is gone" sh -c "! readlink /proc/$pid/exe | grep -q kyso-agent"
kh_check "new origin: plan said restart" \
	test "$(jq -r '.actions[] | select(.kind=="agent-start") | .status' "$KH_TMP/out")" = "done"
kh_check "new origin: the restarted agent answers" test "$(jq .agent.answers "$rep")" = true
pid=$(st_agent_pid)

# ---- --fetch-origin: planned, written to config.json, in the report; the uninstall below
# restores the config (journaled like every change) ------------------------------------
st_setup --dry-run --origin https://vanban.example.gov.vn --fetch-origin https://api.example.gov.vn
kh_check "fetch origin: dry run exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "fetch origin: the dry-run plan names it" grep -q "https://api.example.gov.vn" "$KH_TMP/out"
kh_check "fetch origin: the dry run wrote nothing" sh -c "! grep -q api.example '$cfg'"
st_setup --origin https://vanban.example.gov.vn --fetch-origin https://api.example.gov.vn \
	--fetch-origin https://files.example.gov.vn --json
kh_check "fetch origin: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "fetch origin: config.json agent_fetch_origins" \
	test "$(jq -c .agent_fetch_origins "$cfg")" = '["https://api.example.gov.vn","https://files.example.gov.vn"]'
kh_check "fetch origin: the origins are kept" \
	test "$(jq -c .origins "$cfg")" = '["https://vanban.example.gov.vn","https://congvan.example.gov.vn"]'
kh_check "fetch origin: the install report lists it" \
	test "$(jq -r '.agent_fetch_origins[1]' "$KH_TMP/out")" = https://files.example.gov.vn
kh_check "fetch origin: the agent was restarted to read it" test "$(st_agent_pid)" != "$pid"
st_setup --fetch-origin ftp://x
kh_check "fetch origin: not a web origin is a usage error (2)" test "$ST_RC" -eq 2
pid=$(st_agent_pid)

# ---- repair: a removed registration comes back --------------------------------
rm "$p11" "$sysca"
certutil -D -d "sql:$HOME/.pki/nssdb" -n kyso-local-ca
kh_stop "$pid"
st_setup --repair
kh_check "repair exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "repair wrote the p11-kit file again" grep -qx "module: $mod" "$p11"
kh_check "repair put the CA back in the system store" test "$(fp -in "$sysca")" = "$cafp"
kh_check "repair put the CA back in Chromium's NSS database" \
	sh -c "certutil -L -d 'sql:$HOME/.pki/nssdb' | grep -Eq '^kyso-local-ca +C,, *\$'"
pid=$(st_agent_pid)
kh_check "repair started the stopped agent again" \
	test "$(readlink "/proc/$pid/exe" 2>/dev/null | grep -c kyso-agent)" = 1
kh_check "repair: the summary says the agent answers" \
	grep -q "https://localhost:$ST_KYSO_PORT/v1/ answers" "$KH_TMP/out"; kh_on_fail st_show

# ---- uninstall ----------------------------------------------------------------
st_setup --uninstall --json
kh_check "uninstall exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
st_manifest >"$KH_TMP/m4"
kh_check "uninstall restores the staging root and HOME exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m4"
kh_check "uninstall stopped the agent" sh -c "! readlink /proc/$pid/exe | grep -q kyso-agent"
st_setup --uninstall
kh_check "second uninstall: nothing to do" grep -q "Nothing to uninstall" "$KH_TMP/out"

# ---- per-user registration -----------------------------------------------------
st_setup --user --no-selftest --redact-key short-key
kh_check "--redact-key shorter than 16 characters: usage error (exit 2)" test "$ST_RC" -eq 2
rkey="Sở Tài chính – khóa 2026"
st_setup --user --no-selftest --org "Sở Tài chính" --redact-key "$rkey"
kh_check "--user: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "--org: the unit is kept in config.json" test "$(jq -r .org "$HOME/.config/kyso/config.json")" = "Sở Tài chính"
kh_check "--redact-key: the organisation's key is kept in config.json (redact_key)" \
	test "$(jq -r .redact_key "$HOME/.config/kyso/config.json")" = "$rkey"
kh_check "--redact-key: the key is not printed" sh -c "! grep -qF -- \"\$0\" '$KH_TMP/out' '$KH_TMP/err'" "$rkey"
kh_check "--user: p11-kit module file in ~/.config/pkcs11/modules" \
	grep -qx "module: $mod" "$HOME/.config/pkcs11/modules/kyso-feitian-epass2003.module"
kh_check "--user: config in ~/.config/kyso" test "$(jq -r .pkcs11_module "$HOME/.config/kyso/config.json")" = "$mod"
kh_check "--user: agent unit in ~/.config/systemd/user" test -f "$HOME/.config/systemd/user/kyso-agent.service"
kh_check "--user: journal in ~/.local/state/kyso/setup" test -f "$HOME/.local/state/kyso/setup/journal.json"
kh_check "--user: nothing under the root's /etc" test ! -e "$ROOT/etc/pkcs11"
kh_check "--user: the system NSS database left alone" \
	sh -c "! modutil -dbdir 'sql:$ROOT/etc/pki/nssdb' -list | grep -q kyso-"
kh_check "--user: the system trust store left alone" test ! -e "$sysca"
kh_check "--user: the CA trusted in Chromium's NSS database" \
	sh -c "certutil -L -d 'sql:$HOME/.pki/nssdb' | grep -Eq '^kyso-local-ca +C,, *\$'"
upid=$(st_agent_pid)
kh_check "--user: agent started, PID in ~/.local/state/kyso/setup" \
	sh -c "test -s '$HOME/.local/state/kyso/setup/agent.pid' && readlink /proc/$upid/exe | grep -q kyso-agent"
st_setup --user --uninstall
st_manifest >"$KH_TMP/m5"
kh_check "--user uninstall restores exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m5"
kh_check "--user uninstall stopped the agent" sh -c "! readlink /proc/$upid/exe | grep -q kyso-agent"
kh_done
