#!/usr/bin/env bash
# Cross-builds kyso's dependencies for Windows x86_64 (mingw-w64) from Debian
# bookworm source packages into a static prefix, cached between runs.
#
#   installer/windows/build-deps.sh WORKDIR [package...]
#
# WORKDIR/src     downloaded Debian sources (apt-get source --download-only)
# WORKDIR/deps    unpacked build trees and logs (deps/<pkg>.log)
# WORKDIR/prefix  include/, lib/*.a, lib/pkgconfig/*.pc for the cross build
# WORKDIR/stamps  one file per built package: source tarball + recipe hash; a
#                 package is rebuilt only when its source or recipe changes.
#
# KYSO_WIN_SOURCES (default ~/.cache/kyso/windows-sources) may hold upstream
# tarballs named like Debian's (<srcpkg>_<version>.orig.tar.*): they are used
# when the mirror lacks a file (copied into WORKDIR/src, never downloaded).
#
# With no package names the default set is built (what kyso links today);
# "+name..." builds the default set plus those. Other recipes: softhsm2
# (test-only PKCS#11 DLL). Two lanes build side by side: OpenSSL and the
# packages that link it, and the others (deps/<pkg>.log per package).
#
# Needs root the first time: when apt has no deb-src entry, this script adds
# /etc/apt/sources.list.d/kyso-deb-src.sources (bookworm, bookworm-updates,
# bookworm-security; sources only) and runs apt-get update. Nothing else on
# the system is changed.
#
# On failure the script stops with "build-deps: FAILED <package> (<step>)",
# the tail of that package's log and a non-zero exit status.
set -Eeuo pipefail

HOST=x86_64-w64-mingw32
MINGW_SYS=/usr/$HOST
JOBS=${KYSO_WIN_JOBS:-2}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TOOLCHAIN=$TOP/cmake/toolchain-mingw64.cmake

# Debian's mirror has no libp11 0.4.12 source (orig.tar.gz is 404), so the
# upstream 0.4.12 tag is kept in installer/windows/sources (see fetch_sources).
DEFAULT_PKGS=(zlib gpg-error assuan p11-kit-headers winscard openssl jansson libusb libp11
	libpng freetype harfbuzz curl libwebsockets libarchive sqlite3 libmicrohttpd)

[[ $# -ge 1 ]] || {
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
W=$(mkdir -p "$1" && cd "$1" && pwd)
shift
PKGS=("$@")
[[ ${#PKGS[@]} -gt 0 ]] || PKGS=("${DEFAULT_PKGS[@]}")
# "+name": the default set plus that recipe ("+softhsm2" for the tests)
if [[ ${PKGS[0]} == +* ]]; then
	extra=("${PKGS[@]#+}")
	PKGS=("${DEFAULT_PKGS[@]}" "${extra[@]}")
fi

SRC=$W/src
DEPS=$W/deps
PREFIX=$W/prefix
STAMPS=$W/stamps
mkdir -p "$SRC" "$DEPS" "$PREFIX/include" "$PREFIX/lib/pkgconfig" "$STAMPS"

export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig:$MINGW_SYS/lib/pkgconfig
export PKG_CONFIG_PATH=
export PKG_CONFIG_SYSROOT_DIR=
export PATH=/usr/lib/wine:$PATH

CUR_PKG=
CUR_STEP=
CUR_LOG=
say() { printf 'build-deps: %s\n' "$*" >&2; }
die() {
	say "FAILED ${CUR_PKG:-setup} (${CUR_STEP:-?}): $*"
	if [[ -n $CUR_LOG && -f $CUR_LOG ]]; then
		say "last lines of $CUR_LOG:"
		tail -n 25 "$CUR_LOG" >&2
	fi
	exit 1
}
trap 'die "command failed: $BASH_COMMAND"' ERR

# run STEP CMD...: runs CMD with output in the package log; dies on failure.
run() {
	CUR_STEP=$1
	shift
	printf '\n$ %s\n' "$*" >>"$CUR_LOG"
	"$@" >>"$CUR_LOG" 2>&1 || die "'$*' exited with $?"
}

for tool in $HOST-gcc $HOST-g++ cmake ninja make pkg-config apt-get; do
	command -v "$tool" >/dev/null || { CUR_STEP=tools die "$tool not found"; }
done

# ---- Debian sources ---------------------------------------------------------

# Source package name for each recipe that downloads one.
declare -A SRCPKG=(
	[openssl]=openssl [jansson]=jansson [libusb]=libusb-1.0 [libp11]=libp11
	[softhsm2]=softhsm2 [libpng]=libpng1.6 [freetype]=freetype [harfbuzz]=harfbuzz
	[curl]=curl [libwebsockets]=libwebsockets [libarchive]=libarchive [sqlite3]=sqlite3 [libmicrohttpd]=libmicrohttpd
)

ensure_deb_src() {
	if apt-cache showsrc jansson 2>/dev/null | grep -q '^Package:'; then
		return 0
	fi
	local f=/etc/apt/sources.list.d/kyso-deb-src.sources
	CUR_STEP=deb-src
	if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		say "adding $f (Debian source index, needed by apt-get source)"
		[[ -w /etc/apt/sources.list.d ]] || die "no deb-src in apt and cannot write $f (run as root once)"
		cat >"$f" <<'EOF'
# Added by kyso installer/windows/build-deps.sh: Debian source packages for the
# Windows cross-build of kyso's dependencies (apt-get source). Safe to remove.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	fi
	say "apt-get update (source indexes)"
	apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
	apt-cache showsrc jansson 2>/dev/null | grep -q '^Package:' ||
		die "apt still knows no source packages after adding deb-src"
}

EXTRA_SRC=${KYSO_WIN_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/kyso/windows-sources}
# Upstream tarballs kept in the repository for packages whose Debian source
# the mirror lacks (libp11: `git archive --prefix=libp11-0.4.12/ libp11-0.4.12`).
REPO_SRC=$HERE/sources

# Newest upstream tarball of source package $1 in $SRC (the .orig tarball, or
# the native tarball), printed; empty when none.
find_tarball() {
	find "$SRC/" -maxdepth 1 -type f \( -name "$1_*.orig.tar.*" -o -name "$1_*.tar.*" \) \
		! -name '*.asc' ! -name '*.debian.tar.*' ! -name '*.orig-*' -printf '%f\n' |
		sort -V | tail -n 1
}

# Downloads the source packages the requested recipes need. Some
# bookworm-security .dsc/.debian.tar.xz files are missing on the mirror while
# the orig tarball is there: only a missing tarball is an error.
fetch_sources() {
	local need=() p s
	for p in "${PKGS[@]}"; do
		s=${SRCPKG[$p]:-}
		[[ -n $s && -z $(find_tarball "$s") ]] && need+=("$s")
	done
	[[ ${#need[@]} -eq 0 ]] && return 0
	ensure_deb_src
	CUR_STEP=download CUR_LOG=$DEPS/download.log
	for s in "${need[@]}"; do
		say "downloading Debian source package $s"
		(cd "$SRC" && apt-get source --download-only "$s") >>"$CUR_LOG" 2>&1 ||
			say "apt-get source $s reported errors (see $CUR_LOG); checking the tarball"
	done
	local d
	for s in "${need[@]}"; do
		for d in "$EXTRA_SRC" "$REPO_SRC"; do
			[[ -z $(find_tarball "$s") && -d $d ]] || continue
			find "$d" -maxdepth 1 -type f -name "${s}_*.tar.*" -exec cp {} "$SRC/" \;
			[[ -n $(find_tarball "$s") ]] && say "$s: using $(find_tarball "$s") from $d"
		done
		if [[ -z $(find_tarball "$s") ]]; then
			CUR_PKG=$s
			die "no upstream tarball of source package '$s' could be downloaded"
		fi
	done
}

# Unpacks the tarball of source package $1 into $DEPS/$2 (fresh) and cds there.
unpack() {
	local tb d
	tb=$(find_tarball "$1")
	[[ -n $tb ]] || die "no tarball for $1"
	rm -rf "${DEPS:?}/$2" "$DEPS/$2.unpack"
	mkdir -p "$DEPS/$2.unpack"
	run unpack tar -xf "$SRC/$tb" -C "$DEPS/$2.unpack"
	d=$(find "$DEPS/$2.unpack" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[[ -n $d ]] || die "$tb has no top directory"
	mv "$d" "$DEPS/$2"
	rmdir "$DEPS/$2.unpack"
	cd "$DEPS/$2"
}

cmake_cross() {
	run configure cmake -S . -B _b -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
		-DKYSO_WIN_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib "$@"
}

# ---- recipes (one per package; output lands in $PREFIX) ----------------------

# Debian's mingw packages (libz-mingw-w64-dev, libgpg-error-mingw-w64-dev,
# libassuan-mingw-w64-dev) ship a DLL import library next to the static one;
# copying the static archive and its .pc into the prefix keeps the link static.
copy_mingw_static() { # name lib.a pc
	run copy cp "$MINGW_SYS/lib/$2" "$PREFIX/lib/$2"
	sed -e "s|^prefix=.*|prefix=$PREFIX|" "$MINGW_SYS/lib/pkgconfig/$3" >"$PREFIX/lib/pkgconfig/$3"
}

recipe_zlib() {
	copy_mingw_static zlib libz.a zlib.pc
	run copy cp "$MINGW_SYS/include/zlib.h" "$MINGW_SYS/include/zconf.h" "$PREFIX/include/"
}

recipe_gpg-error() {
	copy_mingw_static gpg-error libgpg-error.a gpg-error.pc
	run copy cp "$MINGW_SYS/include/gpg-error.h" "$MINGW_SYS/include/gpgrt.h" "$PREFIX/include/"
}

recipe_assuan() {
	copy_mingw_static assuan libassuan.a libassuan.pc
	run copy cp "$MINGW_SYS/include/assuan.h" "$PREFIX/include/"
	# static libassuan needs the socket library
	sed -i 's|^\(Libs:.*\)$|\1 -lws2_32|' "$PREFIX/lib/pkgconfig/libassuan.pc"
}

# p11-kit itself is not needed on Windows, only its PKCS#11 header
# (architecture-independent, from libp11-kit-dev on the build host).
recipe_p11-kit-headers() {
	local inc
	inc=$(pkg-config --variable=includedir p11-kit-1 2>/dev/null || true)
	inc=${inc:-/usr/include}/p11-kit-1
	[[ -f $inc/p11-kit/pkcs11.h ]] || inc=/usr/include/p11-kit-1
	[[ -f $inc/p11-kit/pkcs11.h ]] || die "p11-kit/pkcs11.h not found (install libp11-kit-dev)"
	mkdir -p "$PREFIX/include/p11-kit-1/p11-kit"
	run copy cp "$inc/p11-kit/pkcs11.h" "$PREFIX/include/p11-kit-1/p11-kit/"
	cat >"$PREFIX/lib/pkgconfig/p11-kit-1.pc" <<EOF
prefix=$PREFIX
includedir=\${prefix}/include/p11-kit-1
Name: p11-kit-1 (headers only)
Description: PKCS#11 header for the Windows build
Version: 0.24.1
Cflags: -I\${includedir}
Libs:
EOF
}

# PC/SC on Windows is the system's winscard.dll; this .pc lets the build use
# the same pkg-config name as on Linux (libpcsclite).
recipe_winscard() {
	cat >"$PREFIX/lib/pkgconfig/libpcsclite.pc" <<EOF
Name: libpcsclite (Windows winscard)
Description: PC/SC through the Windows Smart Card service (winscard.dll)
Version: 2.0.0
Cflags:
Libs: -lwinscard
EOF
}

recipe_openssl() {
	unpack openssl openssl
	# libcrypto and libssl only (build_libs, install_dev): no openssl.exe and
	# no loadable provider modules, which kyso does not ship
	run configure ./Configure mingw64 no-shared no-tests --cross-compile-prefix=$HOST- \
		--prefix="$PREFIX" --libdir=lib
	run build make -j"$JOBS" build_libs
	run install make install_dev
}

recipe_jansson() {
	unpack jansson jansson
	cmake_cross -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_WITHOUT_TESTS=ON \
		-DJANSSON_EXAMPLES=OFF -DJANSSON_BUILD_DOCS=OFF
	run build ninja -C _b -j"$JOBS" install
}

recipe_libusb() {
	unpack libusb-1.0 libusb
	run configure ./configure --host=$HOST --prefix="$PREFIX" --enable-static --disable-shared \
		--disable-examples-build --disable-tests-build
	run build make -j"$JOBS"
	run install make install
}

# libp11 loads PKCS#11 modules with LoadLibrary on Windows. Only the static
# library is needed; the OpenSSL engine (pkcs11.dll) is not built.
recipe_libp11() {
	unpack libp11 libp11
	[[ -x configure ]] || run autoreconf autoreconf -fi
	run configure ./configure --host=$HOST --prefix="$PREFIX" --enable-static --disable-shared \
		--with-enginesdir="$PREFIX/lib/engines" \
		PKG_CONFIG_LIBDIR="$PKG_CONFIG_LIBDIR" OPENSSL_CFLAGS="-I$PREFIX/include" \
		OPENSSL_LIBS="-L$PREFIX/lib -lcrypto -lws2_32 -lgdi32 -lcrypt32"
	run build make -j"$JOBS" -C src libp11.la
	run install make -C src install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
	# static consumers need libcrypto's own dependencies
	sed -i 's|^Libs:.*$|& -lcrypto -lws2_32 -lgdi32 -lcrypt32|' "$PREFIX/lib/pkgconfig/libp11.pc"
}

# libpng: static (signature images), against the static zlib of the prefix.
recipe_libpng() {
	unpack libpng1.6 libpng
	run configure ./configure --host=$HOST --prefix="$PREFIX" --enable-static --disable-shared \
		CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib"
	# the library only (not the test programs)
	run build make -j"$JOBS" libpng16.la
	run install make install-libLTLIBRARIES install-pkgincludeHEADERS \
		install-nodist_pkgincludeHEADERS install-pkgconfigDATA install-header-links \
		install-library-links install-libpng-pc
}

# FreeType and HarfBuzz are loaded on demand by the signer (dlopen of
# libfreetype.so.6 / libharfbuzz.so.0 / libharfbuzz-subset.so.0 on Linux;
# core's dlopen maps those names to libfreetype.dll, libharfbuzz.dll and
# libharfbuzz-subset.dll next to kyso.exe), so they are DLLs, with no
# dependency but Windows' own DLLs. The headers are used at build time.
recipe_freetype() {
	unpack freetype freetype
	cmake_cross -DBUILD_SHARED_LIBS=ON -DFT_DISABLE_ZLIB=ON -DFT_DISABLE_BZIP2=ON \
		-DFT_DISABLE_PNG=ON -DFT_DISABLE_HARFBUZZ=ON -DFT_DISABLE_BROTLI=ON
	run build ninja -C _b -j"$JOBS" install
	[[ -f $PREFIX/bin/libfreetype.dll ]] || die "libfreetype.dll not installed"
}

recipe_harfbuzz() {
	unpack harfbuzz harfbuzz
	cmake_cross -DBUILD_SHARED_LIBS=ON -DHB_BUILD_SUBSET=ON -DHB_HAVE_FREETYPE=OFF \
		-DHB_HAVE_GLIB=OFF -DHB_HAVE_ICU=OFF -DHB_BUILD_UTILS=OFF -DHB_BUILD_TESTS=OFF
	run build ninja -C _b -j"$JOBS" install
	# its install rule leaves libharfbuzz-subset.dll out
	local f
	for f in libharfbuzz.dll libharfbuzz-subset.dll; do
		run install cp "_b/$f" "$PREFIX/bin/$f"
	done
}

# libcurl for RFC 3161 time stamps: loaded on demand by the signer
# (libcurl.so.4 -> libcurl-4.dll / libcurl.dll), so a DLL; HTTP(S) only, TLS
# through Windows' own Schannel (the Windows certificate store), no other
# dependency.
recipe_curl() {
	unpack curl curl
	local opts=(-DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DHTTP_ONLY=ON -DCURL_USE_SCHANNEL=ON
		-DCURL_USE_OPENSSL=OFF -DCURL_USE_LIBSSH2=OFF -DUSE_LIBIDN2=OFF -DCURL_ZLIB=OFF
		-DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DENABLE_MANUAL=OFF
		-DCURL_DISABLE_LDAP=ON -DENABLE_UNICODE=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none)
	cmake_cross -DBUILD_SHARED_LIBS=ON "${opts[@]}"
	run build ninja -C _b -j"$JOBS" install
	[[ -f $PREFIX/bin/libcurl.dll ]] || die "libcurl.dll not installed"
}

# libwebsockets (kyso-agent: HTTP/1.1, WebSocket and TLS on loopback), static,
# with the prefix's static OpenSSL. Its CMake probes link against
# LWS_OPENSSL_LIBRARIES (a PATH cache entry: the Windows libraries OpenSSL
# needs are given as absolute paths, else every probe fails silently). No
# HTTP/2 (the agent reads custom headers, H1 only), no extensions, plugins,
# event libraries, tests or examples. Windows builds install no .pc file:
# one is written so the agent finds it by the same name as on Linux.
recipe_libwebsockets() {
	unpack libwebsockets libwebsockets
	# lws 4.1.6 on Windows: a socket moved into a freed slot kept signalling
	# its old slot's event, which nobody waits for (requests hung until the
	# 10 s timeout); patches/ has the fix
	run patch patch -p1 -i "$HERE/patches/libwebsockets-4.1.6-win-fds-slot.patch"
	local m=$MINGW_SYS/lib
	cmake_cross -DLWS_WITH_SSL=ON -DLWS_OPENSSL_INCLUDE_DIRS="$PREFIX/include" \
		"-DLWS_OPENSSL_LIBRARIES=$PREFIX/lib/libssl.a;$PREFIX/lib/libcrypto.a;$m/libws2_32.a;$m/libcrypt32.a;$m/libgdi32.a" \
		-DLWS_WITH_SHARED=OFF -DLWS_WITH_STATIC=ON -DLWS_WITHOUT_TESTAPPS=ON \
		-DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_WITH_PLUGINS=OFF -DLWS_WITH_LIBUV=OFF \
		-DLWS_WITH_LIBEV=OFF -DLWS_WITH_LIBEVENT=OFF -DLWS_WITH_GLIB=OFF -DLWS_WITH_HTTP2=OFF \
		-DLWS_WITHOUT_EXTENSIONS=ON -DLWS_WITH_ZLIB=OFF -DLWS_WITH_BUNDLED_ZLIB=OFF \
		-DLWS_WITH_LEJP_CONF=OFF -DLWS_IPV6=ON -DDISABLE_WERROR=ON
	grep -q '^#define LWS_HAVE_SSL_CTX_set1_param' _b/lws_config.h ||
		die "libwebsockets: OpenSSL feature probes failed (see _b/CMakeFiles/CMakeError.log)"
	run build ninja -C _b -j"$JOBS" install
	[[ -f $PREFIX/lib/libwebsockets_static.a ]] || die "libwebsockets_static.a not installed"
	cat >"$PREFIX/lib/pkgconfig/libwebsockets.pc" <<EOF
prefix=$PREFIX
Name: libwebsockets
Description: libwebsockets (static, OpenSSL)
Version: 4.1.6
Requires.private: libssl libcrypto
Cflags: -I\${prefix}/include
Libs: -L\${prefix}/lib -lwebsockets_static
Libs.private: -lws2_32 -lcrypt32 -lgdi32 -luserenv -liphlpapi
EOF
}

# kyso doctor and kyso reports (diagnostics/): libarchive, SQLite and
# libmicrohttpd, all static with the fewest features that serve them.
# libarchive (doctor's report bundles: zip with zlib), static; only the
# library is built. Its header needs LIBARCHIVE_STATIC on Windows.
recipe_libarchive() {
	unpack libarchive libarchive
	local off=() o
	for o in OPENSSL BZip2 LZMA ZSTD LZ4 LIBB2 LZO LIBXML2 EXPAT PCREPOSIX PCRE2POSIX CNG NETTLE \
		MBEDTLS TAR CPIO CAT TEST ICONV ACL XATTR WERROR; do
		off+=("-DENABLE_$o=OFF")
	done
	cmake_cross -DENABLE_ZLIB=ON "${off[@]}"
	run build ninja -C _b -j"$JOBS" archive_static
	run install cp _b/libarchive/libarchive_static.a "$PREFIX/lib/libarchive.a"
	run install cp libarchive/archive.h libarchive/archive_entry.h "$PREFIX/include/"
	cat >"$PREFIX/lib/pkgconfig/libarchive.pc" <<EOF
prefix=$PREFIX
Name: libarchive
Description: libarchive (static, zlib only)
Version: 3.6.2
Cflags: -I\${prefix}/include -DLIBARCHIVE_STATIC
Libs: -L\${prefix}/lib -larchive
Libs.private: -lz -lbcrypt
EOF
}

# SQLite: the amalgamation (sqlite3.c) is generated with the build host's
# tools (native configure, tclsh), then cross-compiled into a static library.
recipe_sqlite3() {
	unpack sqlite3 sqlite3
	mkdir -p _host
	cd _host
	run configure ../configure --disable-tcl --disable-readline
	run amalgamation make sqlite3.c
	cd ..
	run build $HOST-gcc -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION -c _host/sqlite3.c \
		-o _host/sqlite3.obj
	run install $HOST-ar rcs "$PREFIX/lib/libsqlite3.a" _host/sqlite3.obj
	run install cp _host/sqlite3.h "$PREFIX/include/"
	cat >"$PREFIX/lib/pkgconfig/sqlite3.pc" <<EOF
prefix=$PREFIX
Name: SQLite
Description: SQL database engine (static amalgamation)
Version: 3.40.1
Cflags: -I\${prefix}/include
Libs: -L\${prefix}/lib -lsqlite3
EOF
}

# libmicrohttpd (kyso reports serve), static, without HTTPS (no GnuTLS).
recipe_libmicrohttpd() {
	unpack libmicrohttpd libmicrohttpd
	run configure ./configure --host=$HOST --prefix="$PREFIX" --enable-static --disable-shared \
		--disable-https --without-gnutls --disable-curl --disable-doc --disable-examples \
		--disable-tools
	run build make -j"$JOBS" -C src/microhttpd
	run install make -C src/microhttpd install
	run install make -C src/include install
	run install make install-pkgconfigDATA
}

# SoftHSM2 as a Windows DLL, for the wine signing test only (not shipped).
# Workarounds from docs/windows.md ("SoftHSM2 for the wine test").
recipe_softhsm2() {
	unpack softhsm2 softhsm2
	local w=$PWD/src/lib/win32
	sed -i 's|^#include "library.h"$|#include "library.h"\n#ifdef _WIN32\n#include <windows.h>\n#endif|' \
		src/bin/common/library.cpp
	mkdir -p _compat
	run compat $HOST-ar rc _compat/libw32compat.a
	run configure ./configure --host=$HOST --prefix="$PREFIX/softhsm2" \
		--with-crypto-backend=openssl --with-openssl="$PREFIX" \
		--disable-p11-kit --disable-gost --enable-eddsa --enable-shared --disable-static \
		CPPFLAGS="-I$w" LIBS="$PWD/_compat/libw32compat.a -lws2_32 -lcrypt32 -lgdi32" \
		ac_cv_func_LoadLibrary=yes ac_cv_header_pthread_h=no lt_cv_deplibs_check_method=pass_all
	printf '\n#ifdef _WIN32\n#ifndef WIN32_LEAN_AND_MEAN\n#define WIN32_LEAN_AND_MEAN\n#endif\n#include <winsock2.h>\n#include <windows.h>\n#endif\n' >>config.h
	rm -f _compat/libw32compat.a
	local f
	for f in syslog setenv; do
		run compat $HOST-g++ -O2 -I"$PWD" -I"$w" -c "$w/$f.cpp" -o "_compat/$f.o"
	done
	run compat $HOST-ar rcs _compat/libw32compat.a _compat/syslog.o _compat/setenv.o
	sed -i -e '/^postdeps=/s/-lstdc++/-l:libstdc++.a/' -e '/^postdeps=/s/-lgcc_s/-lgcc_eh/g' libtool
	# the PKCS#11 DLL only (the tests make their tokens on Linux: no tools)
	run build make -j"$JOBS" -C src/lib LDFLAGS="-no-undefined -static-libgcc -static-libstdc++"
	mkdir -p "$PREFIX/softhsm2"
	run install cp src/lib/.libs/libsofthsm2.dll "$PREFIX/softhsm2/"
}

# ---- driver ------------------------------------------------------------------

recipe_stamp() { # pkg -> identity of source + recipe
	local s=${SRCPKG[$1]:-} tb=none
	[[ -n $s ]] && tb=$(find_tarball "$s")
	printf '%s %s\n' "$tb" "$(declare -f "recipe_$1" | md5sum | cut -c1-16)"
}

# build_one PKG: builds PKG unless its stamp matches.
build_one() {
	local p=$1 want t0
	declare -F "recipe_$p" >/dev/null || { CUR_PKG=$p CUR_STEP=args die "no recipe for '$p'"; }
	CUR_PKG=$p
	CUR_STEP=start
	CUR_LOG=$DEPS/$p.log
	want=$(recipe_stamp "$p")
	if [[ -f $STAMPS/$p && $(cat "$STAMPS/$p") == "$want" ]]; then
		say "$p: cached"
		return 0
	fi
	rm -f "$STAMPS/$p"
	: >"$CUR_LOG"
	t0=$SECONDS
	say "$p: building (log: $CUR_LOG)"
	cd "$W"
	"recipe_$p"
	cd "$W"
	printf '%s\n' "$want" >"$STAMPS/$p"
	say "$p: done in $((SECONDS - t0)) s"
}

# The recipes without a source package (copies of Debian's mingw libraries,
# headers, .pc files) first; then two lanes side by side, so that one
# package's single-threaded steps (configure scripts, CMake's checks) overlap
# with the other's compiling: OpenSSL and what links it, in order; everything
# else, in order.
fetch_sources
t_all=$SECONDS
lane_ssl=() lane_rest=()
for p in "${PKGS[@]}"; do
	if [[ -z ${SRCPKG[$p]:-} ]]; then
		build_one "$p"
		continue
	fi
	case $p in
	openssl | libp11 | libwebsockets | softhsm2) lane_ssl+=("$p") ;;
	*) lane_rest+=("$p") ;;
	esac
done
run_lane() { # pkg... (in a subshell: a failure ends the lane)
	local p
	for p in "$@"; do
		build_one "$p"
	done
}
pids=()
[[ ${#lane_ssl[@]} -eq 0 ]] || { run_lane "${lane_ssl[@]}" & pids+=($!); }
[[ ${#lane_rest[@]} -eq 0 ]] || { run_lane "${lane_rest[@]}" & pids+=($!); }
failed=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed=1
done
[[ $failed -eq 0 ]] || { CUR_PKG= CUR_STEP=lanes CUR_LOG= die "see the FAILED line above"; }
CUR_PKG= CUR_STEP= CUR_LOG=
say "dependencies ready in $PREFIX ($((SECONDS - t_all)) s)"
