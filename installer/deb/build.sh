#!/usr/bin/env bash
# build.sh OUT_DIR [VERSION]: kyso's Debian packages (kyso_<v>_<arch>.deb and
# kyso-dbgsym_<v>_<arch>.deb) built by dpkg-buildpackage -b from a clean copy
# of the source tree (the files git knows, as they are in the work tree).
# VERSION, when given, is put on top of debian/changelog in that copy (used
# by the upgrade test); KYSO_DEB_EDIT, a shell command run in the copy
# before the build. Prints the path of the kyso .deb.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "${1:?OUT_DIR}"
out=$(cd "$1" && pwd)
version=${2:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/kyso
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
	tar --null -T - -cf -) | tar -xf - -C "$src"
if [[ -n $version ]]; then
	{
		printf 'kyso (%s) unstable; urgency=medium\n\n  * Rebuilt as %s.\n\n' "$version" "$version"
		printf ' -- %s  %s\n\n' "$(sed -n 's/^Maintainer: //p' "$src/debian/control")" "$(date -R)"
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi
# a test's change to the copy (the upgrade test changes the catalog)
if [[ -n ${KYSO_DEB_EDIT:-} ]]; then
	(cd "$src" && sh -c "$KYSO_DEB_EDIT")
fi
# the compiler cache of the developer/CI machine, when there is one
if command -v ccache >/dev/null && [[ -n ${CCACHE_DIR:-} ]]; then
	export CMAKE_C_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
fi
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${KYSO_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	echo "dpkg-buildpackage failed" >&2
	exit 1
}
cp "$work/build.log" "$out/build.log"
v=$(cd "$src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
for f in "$work"/kyso_"$v"_"$arch".deb "$work"/kyso-dbgsym_"$v"_"$arch".deb \
	"$work"/kyso_"$v"_"$arch".changes "$work"/kyso_"$v"_"$arch".buildinfo; do
	cp "$f" "$out/"
done
echo "$out/kyso_${v}_${arch}.deb"
