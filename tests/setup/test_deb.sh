#!/usr/bin/env bash
# The Debian package: built from the CMake install tree with dpkg-deb,
# checked (control fields, Depends, contents, quiet maintainer scripts),
# installed into a private root with dpkg --root (scripts run chrootless
# with DPKG_ROOT), run from there, then purged. The system is not touched.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
deb=$(bash "$KYSO_SRC/installer/deb/build-deb.sh" "$KYSO_BUILD" "$KH_TMP/out")
kh_check "package built: kyso_<version>_amd64.deb" test -f "$KH_TMP/out/kyso_0.1.0_$(dpkg --print-architecture).deb"
f() { dpkg-deb -f "$deb" "$1"; }
kh_check "Package: kyso" test "$(f Package)" = kyso
kh_check "Version from CMake" test "$(f Version)" = "$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$KYSO_BUILD/CMakeCache.txt")"
for d in libc6 libssl3 libjansson4 libp11-3 libpcsclite1 pcscd p11-kit libnss3-tools; do
	kh_check "Depends: $d" sh -c "dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -q '^ *$d\\b'"
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$KH_TMP/files"
for p in ./usr/bin/kyso ./usr/bin/kyso-agent ./usr/share/kyso/tokens.json ./usr/share/kyso/samples/sample-vi.pdf \
	./usr/share/locale/vi/LC_MESSAGES/kyso.mo ./usr/share/man/man1/kyso.1.gz \
	./usr/share/kyso/roots/README.md; do
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
dpkg-deb -e "$deb" "$KH_TMP/ctl"
kh_check "maintainer scripts: no network, no package manager, no service start" \
	sh -c "! grep -E 'curl|wget|apt|http|systemctl|invoke-rc|modutil|kyso setup\"?\$' '$KH_TMP'/ctl/post* | grep -v '^.*: *#' | grep -v echo"
kh_check "maintainer scripts are valid sh" sh -c "sh -n '$KH_TMP/ctl/postinst' && sh -n '$KH_TMP/ctl/postrm'"

# ---- install into a private root ------------------------------------------------
R=$KH_TMP/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
dpk() { dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root --log=/dev/null "$@"; }
dpk -i "$deb" >"$KH_TMP/install.log" 2>&1 || cat "$KH_TMP/install.log"
kh_check "dpkg --root -i: installed" sh -c "dpkg --root='$R' -s kyso | grep -q '^Status: install ok installed'"
kh_check "postinst ran and only printed a hint" grep -q 'run "sudo kyso setup"' "$KH_TMP/install.log"
kh_check "installed kyso runs: kyso version" sh -c "'$R/usr/bin/kyso' version | grep -q 0.1.0"
env -u KYSO_DATADIR "$R/usr/bin/kyso" detect --no-pcsc --no-usb --json >"$KH_TMP/detect.json" || true
kh_check "installed kyso finds its catalog in share/kyso next to bin" \
	test "$(realpath "$(jq -r '.catalog.files[0]' "$KH_TMP/detect.json")")" = "$R/usr/share/kyso/tokens.json"
kh_check "installed kyso speaks Vietnamese from its own .mo" \
	sh -c "env -u KYSO_LOCALEDIR '$R/usr/bin/kyso' --lang vi --help | grep -q 'Các lệnh'"
kh_check "installed kyso setup --help" sh -c "'$R/usr/bin/kyso' setup --help >/dev/null"
kh_check "installed kyso-agent --version" "$R/usr/bin/kyso-agent" --version
n=$(find "$R" -path "$R/var/lib/dpkg" -prune -o -type f -print | wc -l)
kh_check "files installed ($n)" test "$n" -ge 8

dpk -P kyso >"$KH_TMP/purge.log" 2>&1 || cat "$KH_TMP/purge.log"
kh_check "dpkg --root -P: purged" sh -c "! dpkg --root='$R' -s kyso >/dev/null 2>&1"
left=$(find "$R" -path "$R/var/lib/dpkg" -prune -o -type f -print | wc -l)
kh_check "purge removed every file ($left left outside the dpkg database)" test "$left" -eq 0
kh_done
