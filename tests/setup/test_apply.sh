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

# ---- repair: a removed registration comes back --------------------------------
rm "$p11"
st_setup --repair
kh_check "repair exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "repair wrote the p11-kit file again" grep -qx "module: $mod" "$p11"

# ---- uninstall ----------------------------------------------------------------
st_setup --uninstall --json
kh_check "uninstall exits 0" test "$ST_RC" -eq 0; kh_on_fail st_show
st_manifest >"$KH_TMP/m4"
kh_check "uninstall restores the staging root and HOME exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m4"
st_setup --uninstall
kh_check "second uninstall: nothing to do" grep -q "Nothing to uninstall" "$KH_TMP/out"

# ---- per-user registration -----------------------------------------------------
st_setup --user --no-selftest
kh_check "--user: exit 0" test "$ST_RC" -eq 0; kh_on_fail st_show
kh_check "--user: p11-kit module file in ~/.config/pkcs11/modules" \
	grep -qx "module: $mod" "$HOME/.config/pkcs11/modules/kyso-feitian-epass2003.module"
kh_check "--user: config in ~/.config/kyso" test "$(jq -r .pkcs11_module "$HOME/.config/kyso/config.json")" = "$mod"
kh_check "--user: agent unit in ~/.config/systemd/user" test -f "$HOME/.config/systemd/user/kyso-agent.service"
kh_check "--user: journal in ~/.local/state/kyso/setup" test -f "$HOME/.local/state/kyso/setup/journal.json"
kh_check "--user: nothing under the root's /etc" test ! -e "$ROOT/etc/pkcs11"
kh_check "--user: the system NSS database left alone" \
	sh -c "! modutil -dbdir 'sql:$ROOT/etc/pki/nssdb' -list | grep -q kyso-"
st_setup --user --uninstall
st_manifest >"$KH_TMP/m5"
kh_check "--user uninstall restores exactly" diff -u "$KH_TMP/m0" "$KH_TMP/m5"
kh_done
