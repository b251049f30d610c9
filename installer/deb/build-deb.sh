#!/usr/bin/env bash
# build-deb.sh BUILD_DIR OUT_DIR: kyso_<version>_<arch>.deb from the CMake
# install tree of BUILD_DIR (prefix /usr), with Depends from dpkg-shlibdeps
# plus the services kyso drives. Prints the path of the package.
set -euo pipefail
build=$(cd "${1:?BUILD_DIR}" && pwd)
mkdir -p "${2:?OUT_DIR}"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[[ -n $version ]] || version=$(sed -n 's/^kyso_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/kyso
rm -rf "$stage"
DESTDIR=$stage cmake --install "$build" --prefix /usr >/dev/null
# man pages compressed as Debian policy wants
find "$stage/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
# shared library dependencies of every ELF file
mkdir -p "$work/src/debian"
printf 'Source: kyso\n\nPackage: kyso\nArchitecture: any\n' >"$work/src/debian/control"
mapfile -t elfs < <(find "$stage" -type f -exec sh -c 'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -l"$stage/usr/lib" "${elfs[@]}" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CTL
Package: kyso
Version: $version
Architecture: $arch
Maintainer: kyso developers <kyso@localhost>
Installed-Size: $size
Section: utils
Priority: optional
Depends: $shlibs, pcscd, p11-kit, libnss3-tools
Recommends: libccid, opensc, pinentry-curses | pinentry-gnome3
Description: Vietnamese digital-signature USB tokens, made to work
 kyso detects the token, installs and registers its PKCS#11 driver
 (kyso setup), signs PDF documents (kyso sign), checks signatures
 (kyso verify), explains why signing fails (kyso doctor) and runs the
 local web-signing agent (kyso-agent).
CTL
install -m 0755 "$here/postinst" "$here/postrm" "$stage/DEBIAN/"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum >DEBIAN/md5sums)
deb=$out/kyso_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
