#!/usr/bin/env bash
# middleware PKCS#11 probe: failed loads explained (missing file, not ELF,
# wrong architecture from the ELF header, missing dependency from dlerror,
# not a PKCS#11 module, C_Initialize failing), slots/tokens/flags through the
# fault-injecting module over SoftHSM2, objects without login, cert/key
# pairing, explicit C_Finalize.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
. "$KYSO_HARNESS/softhsm/softhsm.sh"
kh_softhsm
export KYSO_FAULT_TARGET=$KH_P11_MODULE
FP=$KYSO_BUILD/lib/kyso-faultp11.so
probe() { kyso-mw-probe "$@" >"$KH_TMP/p.json" 2>"$KH_TMP/p.err" || true; }
j() { jq -r "$@" "$KH_TMP/p.json"; }

probe "$KH_TMP/nope.so"
kh_check "missing file: status missing" test "$(j .load)" = missing
kh_check "missing file: message names the path" grep -q "$KH_TMP/nope.so is missing" "$KH_TMP/p.json"

echo "not a library" >"$KH_TMP/text.so"
probe "$KH_TMP/text.so"
kh_check "text file: not-elf" test "$(j .load)" = not-elf

# wrong architecture: the same module with e_machine = AArch64 (183), and as 32-bit i386
cp "$FP" "$KH_TMP/arm.so"
printf '\xb7\x00' | dd of="$KH_TMP/arm.so" bs=1 seek=18 conv=notrunc status=none
probe "$KH_TMP/arm.so"
kh_check "AArch64 module: wrong-arch" test "$(j .load)" = wrong-arch
kh_check "AArch64 module: says aarch64 and x86_64" sh -c "jq -r .error '$KH_TMP/p.json' | grep -q 'built for aarch64; this program is x86_64'"
cp "$FP" "$KH_TMP/i386.so"
printf '\x01' | dd of="$KH_TMP/i386.so" bs=1 seek=4 conv=notrunc status=none
printf '\x03\x00' | dd of="$KH_TMP/i386.so" bs=1 seek=18 conv=notrunc status=none
probe "$KH_TMP/i386.so"
kh_check "32-bit module (like fptca_v4.so): wrong-arch, says i386" \
	sh -c "jq -r .error '$KH_TMP/p.json' | grep -q 'built for i386'"

# missing dependency: a module linked against a library that is then removed
mkdir -p "$KH_TMP/dep"
echo 'int kyso_dep(void) { return 1; }' >"$KH_TMP/dep/dep.c"
printf 'int kyso_dep(void);\nint C_GetFunctionList(void *p) { (void)p; return kyso_dep(); }\n' >"$KH_TMP/dep/mod.c"
cc -shared -fPIC -o "$KH_TMP/dep/libkysodep.so.1" -Wl,-soname,libkysodep.so.1 "$KH_TMP/dep/dep.c"
cc -shared -fPIC -o "$KH_TMP/dep/mod.so" "$KH_TMP/dep/mod.c" "$KH_TMP/dep/libkysodep.so.1"
rm "$KH_TMP/dep/libkysodep.so.1"
probe "$KH_TMP/dep/mod.so"
kh_check "missing dependency: status" test "$(j .load)" = missing-dependency
kh_check "missing dependency: names libkysodep.so.1" \
	sh -c "jq -r .error '$KH_TMP/p.json' | grep -q 'needs libkysodep.so.1, which is not installed'"

echo 'int something(void) { return 0; }' >"$KH_TMP/dep/plain.c"
cc -shared -fPIC -o "$KH_TMP/dep/plain.so" "$KH_TMP/dep/plain.c"
probe "$KH_TMP/dep/plain.so"
kh_check "library without C_GetFunctionList: not-pkcs11" test "$(j .load)" = not-pkcs11

KYSO_FAULT=device-error:C_Initialize probe "$FP"
kh_check "C_Initialize failing: init-failed with the CKR" \
	sh -c "test \"\$(jq -r .load '$KH_TMP/p.json')\" = init-failed && jq -r .error '$KH_TMP/p.json' | grep -q CKR_DEVICE_ERROR"

# ---- a working module ----------------------------------------------------------
KYSO_FAULT="log=$KH_TMP/calls.log" probe "$FP"
kh_check "probe works" test "$(j .manufacturer)" = SoftHSM
kh_check "three test tokens present (+ SoftHSM's empty slot)" \
	test "$(j '[.slots[] | select(.token.label != "") | .token.label] | sort | join(",")')" = kyso-ec,kyso-empty,kyso-rsa
rsa='.slots[] | select(.token.label=="kyso-rsa")'
kh_check "kyso-rsa: three certificates listed without login" test "$(j "[$rsa | .certificates[]] | length")" = 3
kh_check "kyso-rsa: signer cert paired with its key by CKA_ID and public key" \
	test "$(j "$rsa | .certificates[] | select(.id==\"01\") | .pairing")" = id+key
kh_check "kyso-rsa: signer subject in UTF-8" \
	sh -c "jq -r '$rsa | .certificates[] | select(.id==\"01\") | .subject' '$KH_TMP/p.json' | grep -q 'Nguyễn Văn An'"
kh_check "kyso-rsa: CA certificates marked CA and unpaired" \
	test "$(j "[$rsa | .certificates[] | select(.ca) | .pairing] | join(\",\")")" = none,none
kh_check "kyso-rsa: signing certificate is 01" test "$(j "$rsa | .signing_cert")" = 01
kh_check "kyso-ec: EC key paired by public key (EC point)" \
	test "$(j '.slots[] | select(.token.label=="kyso-ec") | .certificates[0].pairing')" = id+key
kh_check "the empty slot's token is reported not initialised" \
	test "$(j '[.slots[] | select(.token_present and (.token.flags | index("not-initialised")))] | length')" -ge 1
kh_check "no login happened" sh -c "! grep -q '^C_Login' '$KH_TMP/calls.log'"
kh_check "C_Finalize called explicitly, last" test "$(tail -1 "$KH_TMP/calls.log" | cut -d' ' -f1)" = C_Finalize

for f in pin-locked pin-count-low pin-final-try; do
	KYSO_FAULT=$f probe "$FP"
	kh_check "token flag $f" test "$(j "[$rsa | .token.flags[] | select(.==\"$f\")] | length")" = 1
done
KYSO_FAULT=removed probe "$FP"
kh_check "token removed: no token present" test "$(j .token_count)" = 0
kh_done
