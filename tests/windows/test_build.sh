# windows.build: dependencies, kyso.exe/kyso-agent.exe and the NSIS installer
# (installer/windows/build.sh), with the time of each step. Fails when a tool
# is missing, a dependency or kyso does not build, or the installer is not
# produced.
. "$KYSO_HARNESS/lib.sh"
W=${1:?usage: test_build.sh WORKDIR}
mkdir -p "$W"
date +%s >"$W/leg-start"
rm -f "$W"/kyso-setup-*.exe

for tool in x86_64-w64-mingw32-gcc makensis /usr/lib/wine/wine64 apt-get; do
	kh_check "tool present: $tool" command -v "$tool"
done
[[ $KH_FAILS -eq 0 ]] || kh_done

t0=$SECONDS
# the dependencies, with the test-only PKCS#11 module the wine tests sign
# with (SoftHSM2, not shipped) built in the same run (its lane is OpenSSL's)
if bash "$KYSO_SRC/installer/windows/build-deps.sh" "$W" +softhsm2; then
	kh_pass "dependencies and the SoftHSM2 DLL for the wine test (build-deps.sh +softhsm2)"
else
	kh_fail "dependencies and the SoftHSM2 DLL for the wine test (build-deps.sh +softhsm2)"
fi
t_deps=$((SECONDS - t0))
if KYSO_WIN_TEST_HOOKS=ON bash "$KYSO_SRC/installer/windows/build.sh" "$W"; then
	kh_pass "installer/windows/build.sh"
else
	kh_fail "installer/windows/build.sh"
fi
version=$(sed -n 's/^project(kyso VERSION \([0-9.]*\).*/\1/p' "$KYSO_SRC/CMakeLists.txt")
setup=$W/kyso-setup-$version.exe
kh_check "kyso-setup-$version.exe exists" test -s "$setup"
kh_check "it is a 64-bit Windows program" \
	bash -c "x86_64-w64-mingw32-objdump -f '$setup' | grep -q 'pei-x86-64'"
for exe in kyso kyso-agent; do
	kh_check "$exe.exe is a 64-bit Windows program" \
		bash -c "x86_64-w64-mingw32-objdump -f '$W/stage/$exe.exe' | grep -q 'pei-x86-64'"
	kh_check "$exe.exe embeds the UTF-8 manifest" \
		grep -q 'activeCodePage' "$W/stage/$exe.exe"
done
for dll in kyso-pkcs11 libharfbuzz libharfbuzz-subset libfreetype libcurl; do
	kh_check "$dll.dll staged, a 64-bit Windows DLL" \
		bash -c "x86_64-w64-mingw32-objdump -f '$W/stage/$dll.dll' | grep -q 'pei-x86-64'"
done
kh_check "kyso-pkcs11.dll exports C_GetFunctionList" \
	bash -c "x86_64-w64-mingw32-objdump -p '$W/stage/kyso-pkcs11.dll' | grep -qw C_GetFunctionList"
if [[ -f $W/build-times ]]; then
	read -r _ tk tn <"$W/build-times"
	echo "time: dependencies (SoftHSM2 included) ${t_deps} s, kyso ${tk} s, installer ${tn} s, step total $((SECONDS - t0)) s"
fi
kh_done
