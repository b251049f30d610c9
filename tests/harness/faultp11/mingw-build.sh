# Cross-builds kyso-faultp11.dll and the test client with mingw-w64 (same
# warnings as cmake/KysoFlags.cmake, as errors) and checks the DLL: it exports
# C_GetFunctionList only and needs nothing but KERNEL32 and the C runtime.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir

CC=x86_64-w64-mingw32-gcc
OBJDUMP=x86_64-w64-mingw32-objdump
S=$KYSO_HARNESS/faultp11
P11=$(pkg-config --variable=includedir p11-kit-1 2>/dev/null || true)/p11-kit-1
[[ -f $P11/p11-kit/pkcs11.h ]] || P11=/usr/include/p11-kit-1
FLAGS=(-std=gnu17 -O2 -isystem "$P11" -Wall -Wextra -Wconversion -Wshadow -Wformat=2
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wundef -Werror -fno-common)
MODULE_SRCS=()
for f in "$S"/fp_*.c; do
	[[ $f == */fp_platform_posix.c ]] || MODULE_SRCS+=("$f")
done

kh_check "mingw-w64 compiler present" command -v "$CC"
kh_check "kyso-faultp11.dll builds for Windows without warnings" \
	"$CC" "${FLAGS[@]}" -shared -DCRYPTOKI_EXPORTS -fvisibility=hidden -static-libgcc \
	"${MODULE_SRCS[@]}" -o "$KH_TMP/kyso-faultp11.dll"
kh_check "kyso-faultp11-client.exe builds for Windows without warnings" \
	"$CC" "${FLAGS[@]}" "$S/faultp11_client.c" "$S/fp_rvname.c" "$S/fp_platform_win32.c" \
	-o "$KH_TMP/kyso-faultp11-client.exe"

dump=$("$OBJDUMP" -p "$KH_TMP/kyso-faultp11.dll" 2>&1 || true)
exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' <<<"$dump" | grep -o 'C_[A-Za-z]*' || true)
imports=$(grep 'DLL Name:' <<<"$dump" | awk '{print $3}' | sort | tr '\n' ' ' || true)
echo "exports: $exports"
echo "imports: $imports"
kh_check "the DLL exports exactly C_GetFunctionList" test "$exports" = "C_GetFunctionList"
kh_check "the DLL needs only KERNEL32 and msvcrt" test "$imports" = "KERNEL32.dll msvcrt.dll "
kh_done
