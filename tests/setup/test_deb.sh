#!/usr/bin/env bash
# The Debian package as IT staff get it: built by dpkg-buildpackage from a
# clean copy of the tree (debian/), lintian clean, stripped programs with
# their -dbgsym package, then installed into a private root (dpkg --root,
# maintainer scripts chrootless with DPKG_ROOT), run from there (kyso
# version, kyso doctor --offline --json), removed, purged: nothing left.
. "$KYSO_HARNESS/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/deb_lib.sh"
kh_tmpdir
[[ -d ${KH_TMP:-} ]] || exit 1
arch=$(dpkg --print-architecture)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$KYSO_BUILD/CMakeCache.txt")
deb=$(deb_build "$KH_TMP/out")
kh_check "package built: kyso_${version}_$arch.deb" test "$deb" = "$KH_TMP/out/kyso_${version}_$arch.deb"
kh_check "debug symbols in kyso-dbgsym_${version}_$arch.deb" test -f "$KH_TMP/out/kyso-dbgsym_${version}_$arch.deb"
kh_check "changelog version = CMake project version" \
	test "$(dpkg-parsechangelog -l "$KYSO_SRC/debian/changelog" -S Version)" = "$version"

# lintian: no error, no warning (pedantic/info tags are listed, not counted)
lintian --pedantic -I "$KH_TMP/out/kyso_${version}_$arch.changes" >"$KH_TMP/lintian.txt" 2>&1 || true
{ grep -v 'running with root privileges' "$KH_TMP/lintian.txt" || true; } | sed 's/^/    lintian: /'
kh_check "lintian ran on the package" grep -q . "$KH_TMP/out/kyso_${version}_$arch.changes"
kh_check "lintian: no error and no warning" sh -c "! grep -E '^(E|W): ' '$KH_TMP/lintian.txt'"

f() { dpkg-deb -f "$deb" "$1"; }
kh_check "Package: kyso" test "$(f Package)" = kyso
kh_check "Maintainer is the project's address, not a placeholder ($(dpkg-deb -f "$deb" Maintainer))" \
	sh -c "dpkg-deb -f '$deb' Maintainer | grep -qx 'kyso developers <dev@kyso.vn>'"
kh_check "debian/copyright: kyso's files under the licence of LICENSE (Expat)" \
	sh -c "grep -q '^MIT License' '$KYSO_SRC/LICENSE' && awk '/^Files: [*]\$/ {f=1} f && /^License:/ {print; exit}' '$KYSO_SRC/debian/copyright' | grep -qx 'License: Expat'"
for d in libc6 libssl3 libjansson4 libp11-3 libpcsclite1 pcscd p11-kit libnss3-tools; do
	kh_check "Depends: $d" sh -c "dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -q '^ *$d\\b'"
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$KH_TMP/files"
for p in ./usr/bin/kyso ./usr/bin/kyso-agent ./usr/share/kyso/tokens.json ./usr/share/kyso/samples/sample-vi.pdf \
	./usr/share/locale/vi/LC_MESSAGES/kyso.mo ./usr/share/man/man1/kyso.1.gz ./usr/share/man/man1/kyso-agent.1.gz \
	./usr/bin/kyso-choose ./usr/share/man/man1/kyso-choose.1.gz \
	./usr/share/doc/kyso/copyright ./usr/share/doc/kyso/changelog.gz \
	./usr/lib/systemd/user/kyso-agent.service ./usr/share/kyso/roots/README.md; do
	kh_check "contains $p" grep -qx "$p" "$KH_TMP/files"
done
n_roots=$(find "$KYSO_SRC/data/roots" -maxdepth 1 \( -name '*.pem' -o -name '*.crt' -o -name '*.cer' \) | wc -l)
kh_check "contains every root of data/roots ($n_roots)" \
	test "$(grep -cE '^./usr/share/kyso/roots/[^/]*\.(pem|crt|cer)$' "$KH_TMP/files")" -eq "$n_roots"
n_int=$(find "$KYSO_SRC/data/roots/intermediates" -name '*.pem' | wc -l)
kh_check "contains every shipped intermediate ($n_int) and roots.tsv (categories, fingerprints)" bash -c \
	"test \"\$(grep -cE '^./usr/share/kyso/roots/intermediates/.*\.pem$' '$KH_TMP/files')\" -eq $n_int &&
	 grep -qx './usr/share/kyso/roots/roots.tsv' '$KH_TMP/files'"
kh_check "contains kyso-pkcs11.so in a pkcs11 module directory" grep -q '^./usr/lib/.*pkcs11/kyso-pkcs11.so$' "$KH_TMP/files"
mkdir -p "$KH_TMP/x"
dpkg-deb -x "$deb" "$KH_TMP/x"
for b in usr/bin/kyso usr/bin/kyso-agent usr/libexec/kyso/kyso-setup; do
	kh_check "$b is stripped" sh -c "file '$KH_TMP/x/$b' | grep -q ', stripped'"
done
dpkg-deb -e "$deb" "$KH_TMP/ctl"
kh_check "maintainer scripts: no network, no package manager, no service start" \
	sh -c "! grep -E 'curl|wget|apt-get|apt |http|systemctl|invoke-rc|modutil' '$KH_TMP'/ctl/post* | grep -v ': *#'"
kh_check "the agent's user unit is enabled for nobody by the package" \
	sh -c "! grep -q 'deb-systemd-helper --user enable' '$KH_TMP/ctl/postinst' || grep -q 'was-enabled' '$KH_TMP/ctl/postinst'"
kh_check "maintainer scripts are valid sh" sh -c "sh -n '$KH_TMP/ctl/postinst' && sh -n '$KH_TMP/ctl/postrm'"

# ---- install into a private root ------------------------------------------------
R=$KH_TMP/root
deb_root "$R"
dpk() { dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root --log=/dev/null "$@"; }
dpk -i "$deb" >"$KH_TMP/install.log" 2>&1 || cat "$KH_TMP/install.log"
kh_check "dpkg --root -i: installed" sh -c "dpkg --root='$R' -s kyso | grep -q '^Status: install ok installed'"
kh_check "postinst ran and only printed a hint" grep -q 'run "sudo kyso setup"' "$KH_TMP/install.log"
kh_check "installed kyso runs: kyso version" sh -c "'$R/usr/bin/kyso' version | grep -q '$version'"
rc=0
env -u KYSO_DATADIR "$R/usr/bin/kyso" doctor --offline --json >"$KH_TMP/doctor.json" 2>"$KH_TMP/doctor.err" || rc=$?
kh_check "installed kyso doctor --offline --json: one JSON document (exit $rc: 0 or 1 problem found, no token here)" \
	sh -c "[ $rc -le 1 ] && jq -e '.checks | length > 0' '$KH_TMP/doctor.json' >/dev/null"
env -u KYSO_DATADIR "$R/usr/bin/kyso" detect --no-pcsc --no-usb --json >"$KH_TMP/detect.json" || true
kh_check "installed kyso finds its catalog in share/kyso next to bin" \
	test "$(realpath "$(jq -r '.catalog.files[0]' "$KH_TMP/detect.json")")" = "$R/usr/share/kyso/tokens.json"
kh_check "installed kyso speaks Vietnamese from its own .mo" \
	sh -c "env -u KYSO_LOCALEDIR '$R/usr/bin/kyso' --lang vi --help | grep -q 'Các lệnh'"
kh_check "installed kyso-agent --version" "$R/usr/bin/kyso-agent" --version

dpk -r kyso >"$KH_TMP/remove.log" 2>&1 || cat "$KH_TMP/remove.log"
kh_check "dpkg --root -r: removed, configuration state kept until purge" \
	sh -c "dpkg --root='$R' -s kyso | grep -q '^Status: deinstall ok config-files'"
kh_check "remove: no program left" test ! -e "$R/usr/bin/kyso"
dpk -P kyso >"$KH_TMP/purge.log" 2>&1 || cat "$KH_TMP/purge.log"
kh_check "dpkg --root -P: purged" sh -c "! dpkg --root='$R' -s kyso >/dev/null 2>&1"
left=$(deb_files_left "$R")
kh_check "purge removed every file (left: ${left:-none})" test -z "$left"
kh_check "purge removed /var/lib/kyso and /etc/kyso" sh -c "[ ! -e '$R/var/lib/kyso' ] && [ ! -e '$R/etc/kyso' ]"
kh_done
