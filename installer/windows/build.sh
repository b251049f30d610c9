#!/usr/bin/env bash
# Builds kyso for Windows x86_64 and its installer, from this source tree:
#
#   installer/windows/build.sh WORKDIR
#
# 1. dependencies (build-deps.sh, cached in WORKDIR/{src,deps,prefix,stamps})
# 2. kyso.exe and kyso-agent.exe cross-built with mingw-w64
#    (cmake/toolchain-mingw64.cmake) in WORKDIR/kyso, from the CMake project
#    installer/windows/CMakeLists.txt (the source tree's core, cli and the
#    libraries listed there as portable)
# 3. the files the installer ships, staged in WORKDIR/stage
# 4. makensis installer/windows/kyso.nsi -> WORKDIR/kyso-setup-<version>.exe
#
# Prints the time of each step. Environment: KYSO_WIN_JOBS (default 2).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
JOBS=${KYSO_WIN_JOBS:-2}
[[ $# -eq 1 ]] || {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
W=$(mkdir -p "$1" && cd "$1" && pwd)
PREFIX=$(cd "$W" && mkdir -p prefix && cd prefix && pwd -P) # a shared (symlinked) prefix: its real path, as its .pc files name it
B=$W/kyso
STAGE=$W/stage
# DLLs shipped next to kyso.exe (built by build-deps.sh)
KYSO_WIN_DLLS="libharfbuzz.dll libharfbuzz-subset.dll libfreetype.dll libcurl.dll"
say() { printf 'windows-build: %s\n' "$*" >&2; }
fail() {
	say "FAILED: $*"
	exit 1
}

VERSION=$(sed -n 's/^project(kyso VERSION \([0-9.]*\).*/\1/p' "$TOP/CMakeLists.txt")
[[ -n $VERSION ]] || fail "cannot read the version from CMakeLists.txt"

t_start=$SECONDS
"$HERE/build-deps.sh" "$W" || fail "dependencies (see above)"
t_deps=$((SECONDS - t_start))
say "dependencies: ${t_deps} s"

t0=$SECONDS
if [[ ! -f $B/build.ninja ]]; then
	cmake -S "$HERE" -B "$B" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/toolchain-mingw64.cmake" \
		-DKYSO_WIN_PREFIX="$PREFIX" -DKYSO_WERROR=ON -DKYSO_TEST_HOOKS="${KYSO_WIN_TEST_HOOKS:-OFF}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/ >"$W/configure.log" 2>&1 ||
		{
			tail -n 30 "$W/configure.log" >&2
			rm -f "$B/build.ninja"
			fail "configuring the cross build (log: $W/configure.log)"
		}
fi
# test hooks on for the wine tests' build only (KYSO_WIN_TEST_HOOKS=ON), also in an existing tree
cmake -DKYSO_TEST_HOOKS="${KYSO_WIN_TEST_HOOKS:-OFF}" "$B" >>"$W/configure.log" 2>&1 ||
	fail "configuring the cross build (log: $W/configure.log)"
cmake --build "$B" -j "$JOBS" --target kyso kyso-agent kyso-pkcs11 kyso-core-wintest kyso-fake-pinentry kyso-test-winscard \
	kyso_translations ||
	fail "compiling kyso for Windows"
t_kyso=$((SECONDS - t0))
say "kyso.exe, kyso-agent.exe, kyso-pkcs11.dll: ${t_kyso} s"

t0=$SECONDS
rm -rf "$STAGE"
mkdir -p "$STAGE/share/kyso" "$STAGE/share/locale"
for exe in kyso kyso-agent; do
	x86_64-w64-mingw32-strip -o "$STAGE/$exe.exe" "$B/bin/$exe.exe"
done
x86_64-w64-mingw32-strip -o "$STAGE/kyso-pkcs11.dll" "$B/bin/kyso-pkcs11.dll"
# Libraries kyso loads on demand (visible signatures, time stamps): next to
# kyso.exe, where core's dlopen looks for them.
for dll in $KYSO_WIN_DLLS; do
	[[ -f $PREFIX/bin/$dll ]] || fail "$dll missing in $PREFIX/bin (dependencies)"
	x86_64-w64-mingw32-strip -o "$STAGE/$dll" "$PREFIX/bin/$dll"
done
cp "$TOP/data/tokens.json" "$STAGE/share/kyso/"
# document trust anchors (data/roots/README.md): roots, roots.tsv, intermediates
cp -r "$TOP/data/roots" "$STAGE/share/kyso/"
cp -r "$B/share/locale/." "$STAGE/share/locale/"
cp "$TOP/docs/windows.md" "$STAGE/README-windows.md" 2>/dev/null || true
# Only system DLLs (and the staged DLLs above) may be imported: the installer
# ships no compiler runtime DLLs.
own=$(printf '%s|' $KYSO_WIN_DLLS | sed 's/\.dll|/|/g; s/|$//')
for exe in "$STAGE"/*.exe "$STAGE"/*.dll; do
	bad=$(x86_64-w64-mingw32-objdump -p "$exe" | awk '/DLL Name:/ {print $3}' |
		grep -viE "^(kernel32|user32|comctl32|advapi32|shell32|ole32|crypt32|credui|ws2_32|winscard|bcrypt|gdi32|msvcrt|secur32|winhttp|setupapi|iphlpapi|userenv|wldap32|normaliz|winmm|rpcrt4|shlwapi|ntdll|api-ms-win-.*|$own)\.dll$" || true)
	[[ -z $bad ]] || fail "$(basename "$exe") needs non-system DLLs: $bad"
done

# files.nsh: one install and one uninstall line per staged file, so the
# uninstaller removes exactly what the installer put there.
{
	echo '!macro KYSO_INSTALL_FILES'
	(cd "$STAGE" && find . -type d | sort) | while read -r d; do
		d=${d#./}
		[[ $d == . ]] && continue
		printf '  CreateDirectory "$INSTDIR\\%s"\n' "${d//\//\\}"
	done
	(cd "$STAGE" && find . -type f | sort) | while read -r f; do
		f=${f#./}
		dir=$(dirname "$f")
		out='$INSTDIR'
		[[ $dir != . ]] && out="\$INSTDIR\\${dir//\//\\}"
		printf '  SetOutPath "%s"\n  File "%s"\n' "$out" "$STAGE/$f"
	done
	echo '!macroend'
	echo '!macro KYSO_UNINSTALL_FILES'
	(cd "$STAGE" && find . -type f | sort) | while read -r f; do
		f=${f#./}
		printf '  Delete "$INSTDIR\\%s"\n' "${f//\//\\}"
	done
	(cd "$STAGE" && find . -mindepth 1 -type d | sort -r) | while read -r d; do
		d=${d#./}
		printf '  RMDir "$INSTDIR\\%s"\n' "${d//\//\\}"
	done
	echo '!macroend'
} >"$W/files.nsh"

OUT=$W/kyso-setup-$VERSION.exe
makensis -V2 -INPUTCHARSET UTF8 -DVERSION="$VERSION" -DSTAGE="$STAGE" -DOUTFILE="$OUT" -DFILES="$W/files.nsh" \
	"$HERE/kyso.nsi" >"$W/makensis.log" 2>&1 ||
	{
		tail -n 30 "$W/makensis.log" >&2
		fail "makensis (log: $W/makensis.log)"
	}
t_nsis=$((SECONDS - t0))
say "installer: ${t_nsis} s"
printf '%s\n' "$t_deps $t_kyso $t_nsis" >"$W/build-times"
say "built $OUT ($(stat -c %s "$OUT") bytes) in $((SECONDS - t_start)) s"
bash "$HERE/build-msi.sh" "$STAGE" "$VERSION" "$W/kyso-$VERSION-x64.msi" >/dev/null && say "built $W/kyso-$VERSION-x64.msi"
