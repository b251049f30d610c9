#!/usr/bin/env bash
# Updates through a signed apt repository (installer/deb/make-repo.sh, as
# ./dev repo DIR makes it): apt installs kyso from it into a private root
# (apt -o Dir=..., dpkg --root with chrootless scripts; the root's dpkg
# database starts as the host's so Depends are met), a newer version (its
# catalog changed) is published, apt upgrades: the configuration and the
# setup journal are kept and the postinst re-runs kyso setup --repair because
# setup had run; then purge. A repository signed by another key is refused.
. "$KYSO_HARNESS/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/deb_lib.sh"
kh_tmpdir
[[ -d ${KH_TMP:-} ]] || exit 1
v1=$(dpkg-parsechangelog -l "$KYSO_SRC/debian/changelog" -S Version)
v2=$v1+upgrade1
deb1=$(deb_build "$KH_TMP/v1")
deb2=$(KYSO_DEB_EDIT='echo >>data/tokens.json' deb_build "$KH_TMP/v2" "$v2")
kh_check "two versions built ($v1, $v2)" sh -c "[ -f '$deb1' ] && [ -f '$deb2' ]"
REPO=$KH_TMP/repo
bash "$KYSO_SRC/installer/deb/make-repo.sh" "$REPO" "$deb1" >/dev/null 2>"$KH_TMP/repo.log" || cat "$KH_TMP/repo.log"
kh_check "repository signed: InRelease verifies with the published key" \
	sh -c "gpgv --keyring '$REPO/kyso-archive.asc' '$REPO/InRelease' 2>/dev/null || \
	       { gpg --dearmor <'$REPO/kyso-archive.asc' >'$KH_TMP/k.gpg' && gpgv --keyring '$KH_TMP/k.gpg' '$REPO/InRelease'; }"

R=$KH_TMP/root
deb_root "$R"
cp /var/lib/dpkg/status "$R/var/lib/dpkg/status"
mkdir -p "$R/etc/apt/sources.list.d" "$R/etc/apt/preferences.d" "$R/etc/apt/apt.conf.d" \
	"$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/var/log/apt"
echo "deb [signed-by=$REPO/kyso-archive.asc] file:$REPO ./" >"$R/etc/apt/sources.list"
aptr() {
	DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dir="$R" -o Dir::State::status="$R/var/lib/dpkg/status" \
		-o Dir::Etc::TrustedParts="$R/etc/apt/trusted.gpg.d" -o APT::Sandbox::User=root \
		-o Debug::NoLocking=1 -o DPkg::Options::=--root="$R" -o DPkg::Options::=--force-script-chrootless \
		-o DPkg::Options::=--force-not-root -o DPkg::Options::=--log=/dev/null \
		-o DPkg::Run-Directory=/ "$@"
}
aptr update >"$KH_TMP/update1.log" 2>&1 || cat "$KH_TMP/update1.log"
aptr install kyso >"$KH_TMP/install.log" 2>&1 || cat "$KH_TMP/install.log"
kh_check "apt install kyso from the signed repository: $v1 installed" \
	sh -c "dpkg --root='$R' -s kyso | grep -qx 'Version: $v1'"
kh_check "installed kyso runs" sh -c "'$R/usr/bin/kyso' version | grep -q '$v1'"

# as if kyso setup had run: its configuration and journal
mkdir -p "$R/etc/kyso" "$R/var/lib/kyso/setup"
echo '{"origins":["https://vanban.example.gov.vn"]}' >"$R/etc/kyso/config.json"
echo '{"version":1,"entries":[]}' >"$R/var/lib/kyso/setup/journal.json"
cp "$R/etc/kyso/config.json" "$KH_TMP/config.before"
cp "$R/var/lib/kyso/setup/journal.json" "$KH_TMP/journal.before"

bash "$KYSO_SRC/installer/deb/make-repo.sh" "$REPO" "$deb2" >/dev/null 2>>"$KH_TMP/repo.log"
aptr update >"$KH_TMP/update2.log" 2>&1 || cat "$KH_TMP/update2.log"
aptr upgrade >"$KH_TMP/upgrade.log" 2>&1 || cat "$KH_TMP/upgrade.log"
kh_check "apt upgrade: $v2 installed" sh -c "dpkg --root='$R' -s kyso | grep -qx 'Version: $v2'"
kh_check "upgrade kept the configuration" cmp -s "$KH_TMP/config.before" "$R/etc/kyso/config.json"
kh_check "upgrade kept the setup journal" cmp -s "$KH_TMP/journal.before" "$R/var/lib/kyso/setup/journal.json"
kh_check "catalog changed and setup had run: postinst ran kyso setup --repair" \
	grep -q 'running kyso setup --repair' "$KH_TMP/upgrade.log"
kh_check "the repair's own output is kept for the helpdesk" test -s "$R/var/lib/kyso/setup/repair-on-upgrade.log"
grep 'kyso:' "$KH_TMP/upgrade.log" | sed 's/^/    /'

# a second upgrade without a catalog change does not repair again
aptr install --reinstall kyso >"$KH_TMP/reinstall.log" 2>&1 || cat "$KH_TMP/reinstall.log"
kh_check "same catalog: no repair" sh -c "! grep -q 'running kyso setup --repair' '$KH_TMP/reinstall.log'"

# a repository whose Release is signed by another key is refused
OTHER=$KH_TMP/other
bash "$KYSO_SRC/installer/deb/make-repo.sh" "$OTHER" "$deb2" >/dev/null 2>>"$KH_TMP/repo.log"
cp "$REPO/kyso-archive.asc" "$KH_TMP/good.asc"
sed -i "s|signed-by=$REPO/kyso-archive.asc\\] file:$REPO|signed-by=$KH_TMP/good.asc] file:$OTHER|" "$R/etc/apt/sources.list"
rc=0
aptr update >"$KH_TMP/update3.log" 2>&1 || rc=$?
kh_check "a repository signed by another key is refused" \
	sh -c "grep -qE 'NO_PUBKEY|not signed|is not signed|EXPKEYSIG|BADSIG' '$KH_TMP/update3.log'"

rm -f "$R/etc/kyso/config.json" "$R/var/lib/kyso/setup/journal.json" "$R/var/lib/kyso/setup/repair-on-upgrade.log"
dpkg --root="$R" --force-script-chrootless --force-not-root --log=/dev/null -P kyso >"$KH_TMP/purge.log" 2>&1 ||
	cat "$KH_TMP/purge.log"
kh_check "purged" sh -c "! dpkg --root='$R' -s kyso 2>/dev/null | grep -q '^Status: install'"
kh_check "purge left nothing of kyso" sh -c "[ ! -e '$R/usr/bin/kyso' ] && [ ! -e '$R/var/lib/kyso' ] && [ ! -e '$R/etc/kyso' ]"
kh_done
