#!/usr/bin/env bash
# kyso sign and the token: module loading, token/key choice, PIN sources (env, pinentry via
# libassuan), wrong/locked PIN (never retried), token removed mid-signature (fault-injecting
# module), RSA 2048/3072/4096 and ECDSA P-256/P-384 with SHA-256/384/512, OUT == IN,
# disk full. Every failure: specific error id and exit code, no output, input unchanged.
. "$KYSO_HARNESS/lib.sh"
. "$KYSO_SRC/tests/signer/common.sh"
sg_setup

W=$KH_TMP/w
mkdir -p "$W"
IN=$W/in.pdf
python3 "$KYSO_HARNESS/corpus/pdfgen.py" simple "$IN" >/dev/null 2>&1 ||
	cp "$KYSO_BUILD/corpus/generated-simple.pdf" "$IN"
IN_SHA=$(sg_sha "$IN")

# json_err FILE: the error id of a --json failure
json_err() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["id"])' "$1" 2>/dev/null || echo none; }
json_msg() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' "$1" 2>/dev/null || true; }

# expect_fail DESC EXIT ERRID OUT -- kyso sign args...: the failure leaves nothing behind
expect_fail() {
	local desc=$1 want_rc=$2 want_id=$3 out=$4
	shift 5
	local rc=0
	kyso --lang en sign --json "$@" -o "$out" >"$W/last.json" 2>"$W/last.err" || rc=$?
	local id
	id=$(json_err "$W/last.json")
	local left
	left=$(find "$(dirname "$out")" -maxdepth 1 -name '.*.tmp-*' | wc -l)
	if [[ $rc -eq $want_rc && $id == "$want_id" && ! -e $out && $left -eq 0 &&
		$(sg_sha "$IN") == "$IN_SHA" ]]; then
		kh_pass "$desc: exit $rc, $id, no output, input unchanged"
	else
		kh_fail "$desc: exit $rc (want $want_rc), id $id (want $want_id), output $([[ -e $out ]] && echo exists || echo absent), temp files $left; $(cat "$W/last.err")"
	fi
}

# expect_signed DESC OUT CAFILE -- kyso sign args...: signed, pdfsig + openssl cms accept
expect_signed() {
	local desc=$1 out=$2 ca=$3
	shift 4
	local rc=0
	kyso sign "$@" -o "$out" >"$W/last.out" 2>"$W/last.err" || rc=$?
	if [[ $rc -eq 0 ]] && sg_pdfsig_all_valid "$out" 2>"$W/pdfsig.err" && sg_openssl_ok "$out" "$ca"; then
		kh_pass "$desc"
	else
		kh_fail "$desc: exit $rc $(cat "$W/last.err" "$W/pdfsig.err" 2>/dev/null | tail -n 5)"
	fi
}

M=$KH_P11_MODULE
# ---- module loading ----------------------------------------------------------------
expect_fail "missing module" 3 module-load "$W/o1.pdf" -- "$IN" --module "$W/nope.so" --pin-env SG_PIN
kh_check "missing module: message names the reason" grep -q "No such file" <<<"$(json_msg "$W/last.json")"
expect_fail "not a PKCS#11 module" 3 module-load "$W/o1.pdf" -- "$IN" \
	--module "$(ldconfig -p | awk '/libz.so.1 /{print $NF; exit}')" --pin-env SG_PIN
kh_check "not a module: says C_GetFunctionList" grep -q C_GetFunctionList <<<"$(json_msg "$W/last.json")"
(
	export XDG_CONFIG_HOME=$KH_TMP/xdg HOME=$KH_TMP/home
	expect_fail "no --module and nothing registered" 2 usage "$W/o1.pdf" -- "$IN" --pin-env SG_PIN
	mkdir -p "$XDG_CONFIG_HOME/kyso"
	printf '{"pkcs11_module": "%s"}\n' "$M" >"$XDG_CONFIG_HOME/kyso/config.json"
	rc=0
	kyso sign "$IN" -o "$W/cfg.pdf" --token kyso-rsa --pin-env SG_PIN >/dev/null 2>&1 || rc=$?
	kh_check "module from config.json pkcs11_module" test $rc -eq 0 -a -s "$W/cfg.pdf"
	exit $KH_FAILS
) || KH_FAILS=$((KH_FAILS + $?))

# ---- token and key choice -------------------------------------------------------------
expect_fail "two tokens with signing certs and no --token" 2 usage "$W/o2.pdf" -- "$IN" --module "$M" --pin-env SG_PIN
expect_fail "empty token" 4 key-not-found "$W/o2.pdf" -- "$IN" --module "$M" --token kyso-empty --pin-env SG_PIN
expect_fail "unknown token label" 3 no-token "$W/o2.pdf" -- "$IN" --module "$M" --token nosuch --pin-env SG_PIN
expect_fail "unknown --key-id" 4 key-not-found "$W/o2.pdf" -- "$IN" --module "$M" --token kyso-rsa --key-id 99 --pin-env SG_PIN
expect_signed "--token kyso-rsa --key-id 01" "$W/k1.pdf" "$KH_PKI_CHAIN" -- "$IN" --module "$M" --token kyso-rsa --key-id 01 --pin-env SG_PIN
expect_signed "--cert-label picks the key" "$W/k2.pdf" "$KH_PKI_CHAIN" -- "$IN" --module "$M" --cert-label "$KH_P11_RSA_LABEL" --pin-env SG_PIN
slot=$(pkcs11-tool --module "$M" -L 2>/dev/null |
	awk '/^Slot/{match($0, /\(0x[0-9a-fA-F]+\)/); s=substr($0, RSTART + 1, RLENGTH - 2)}
	     /token label *: *kyso-ec/{print s; exit}')
expect_signed "--slot $slot (EC token)" "$W/k3.pdf" "$KH_PKI_CHAIN" -- "$IN" --module "$M" --slot "$slot" --pin-env SG_PIN
kh_check "EC token: chain from --chain is embedded (openssl with root only)" \
	bash -c "kyso sign '$IN' -o '$W/k4.pdf' --module '$M' --token kyso-ec --pin-env SG_PIN --chain '$KH_PKI_CHAIN' >/dev/null && sg_openssl_ok '$W/k4.pdf' '$KH_PKI_ROOT_CERT'"

# ---- PIN sources ------------------------------------------------------------------------
expect_fail "--pin-env with an unset variable" 2 usage "$W/o3.pdf" -- "$IN" --module "$M" --token kyso-rsa --pin-env NO_SUCH_VAR_X
expect_fail "not interactive, no PIN source" 2 usage "$W/o3.pdf" -- "$IN" --module "$M" --token kyso-rsa </dev/null
cat >"$W/pinentry" <<'PE'
#!/usr/bin/env bash
# fake pinentry: speaks the assuan protocol, logs what it is told
echo "OK Pleased to meet you"
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$FAKE_PINENTRY_LOG"
	case $line in
	GETPIN)
		if [[ -n ${FAKE_PINENTRY_CANCEL:-} ]]; then
			echo "ERR 83886179 Operation cancelled <Pinentry>"
		else
			printf 'D %s\nOK\n' "$FAKE_PINENTRY_PIN"
		fi ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PE
chmod +x "$W/pinentry"
export FAKE_PINENTRY_LOG=$W/pinentry.log FAKE_PINENTRY_PIN=$SG_PIN
: >"$FAKE_PINENTRY_LOG"
rc=0
kyso --lang vi sign "$IN" -o "$W/p1.pdf" --module "$M" --token kyso-rsa --pinentry "$W/pinentry" >/dev/null 2>"$W/p1.err" || rc=$?
kh_check "pinentry: signed with the PIN from GETPIN" test $rc -eq 0 -a -s "$W/p1.pdf"
kh_check "pinentry: one GETPIN" test "$(grep -c '^GETPIN' "$FAKE_PINENTRY_LOG")" -eq 1
kh_check "pinentry: SETDESC names the token" grep -q '^SETDESC .*kyso-rsa' "$FAKE_PINENTRY_LOG"
kh_check "pinentry: SETDESC in Vietnamese" grep -q '^SETDESC .*mã PIN' "$FAKE_PINENTRY_LOG"
kh_check "pinentry: the PIN is not logged by kyso" bash -c "! grep -q '$SG_PIN' '$W/p1.err'"
: >"$FAKE_PINENTRY_LOG"
FAKE_PINENTRY_CANCEL=1 expect_fail "pinentry cancelled" 4 pin-cancelled "$W/p2.pdf" -- "$IN" --module "$M" --token kyso-rsa --pinentry "$W/pinentry"

# ---- wrong / locked PIN, token removed (fault-injecting module over SoftHSM2) ---------------------
export KYSO_FAULT_TARGET=$M
F=$SG_FAULT
export KYSO_FAULT="log=$W/calls.log"
BADPIN=000000
export BADPIN
: >"$W/calls.log"
expect_fail "wrong PIN (real token answer)" 4 pin-incorrect "$W/f1.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env BADPIN
kh_check "wrong PIN: one C_Login, never retried" test "$(grep -c '^C_Login' "$W/calls.log")" -eq 1
kh_check "wrong PIN: message says tries are few" grep -qi "tries" <<<"$(json_msg "$W/last.json")"
: >"$W/calls.log"
KYSO_FAULT="wrong-pin,pin-final-try,log=$W/calls.log" expect_fail "wrong PIN, final try" 4 pin-incorrect "$W/f2.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env SG_PIN
kh_check "final try: message says one try left" grep -q "one PIN try" <<<"$(json_msg "$W/last.json")"
kh_check "final try: one C_Login" test "$(grep -c '^C_Login' "$W/calls.log")" -eq 1
: >"$W/calls.log"
KYSO_FAULT="pin-locked,log=$W/calls.log" expect_fail "PIN locked" 4 pin-locked "$W/f3.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env SG_PIN
kh_check "PIN locked: no C_Login at all" test "$(grep -c '^C_Login' "$W/calls.log")" -eq 0
export KYSO_FAULT_STATE=$W/pin.state
for i in 1 2; do
	KYSO_FAULT="pin-tries=3" expect_fail "counted wrong PIN $i/3" 4 pin-incorrect "$W/f4.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env BADPIN
done
KYSO_FAULT="pin-tries=3" expect_fail "third wrong PIN locks" 4 pin-locked "$W/f4.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env BADPIN
kh_check "third wrong PIN: says now locked" grep -q "now locked" <<<"$(json_msg "$W/last.json")"
unset KYSO_FAULT_STATE
: >"$W/calls.log"
KYSO_FAULT="remove-during-sign,log=$W/calls.log" expect_fail "token removed during C_Sign" 4 token-removed "$W/f5.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env SG_PIN
kh_check "removed: C_Sign was reached" grep -q '^C_Sign .*DEVICE_REMOVED' "$W/calls.log"
KYSO_FAULT="remove-during-sign" expect_fail "EC token removed during C_Sign" 4 token-removed "$W/f6.pdf" -- "$IN" --module "$F" --token kyso-ec --pin-env SG_PIN
KYSO_FAULT="device-error:C_Sign" expect_fail "device error in C_Sign" 4 token "$W/f7.pdf" -- "$IN" --module "$F" --token kyso-rsa --pin-env SG_PIN
KYSO_FAULT="removed" expect_fail "token absent" 3 no-token "$W/f8.pdf" -- "$IN" --module "$F" --pin-env SG_PIN
unset KYSO_FAULT

# ---- key types and hashes ------------------------------------------------------------------------
# a private token with RSA-3072 (PKI), RSA-4096 and P-384 (made here, issued by the test sub-CA)
B=$KH_TMP/big
mkdir -p "$B"
mk_signer() { # NAME KEYGEN-ARGS...
	local n=$1
	shift
	openssl genpkey "$@" -out "$B/$n.key" 2>/dev/null
	openssl req -new -key "$B/$n.key" -subj "/C=VN/O=Kyso Thử Nghiệm/CN=Người ký $n" -utf8 -out "$B/$n.csr"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >"$B/ext"
	openssl x509 -req -in "$B/$n.csr" -CA "$KH_PKI_SUBCA_CERT" -CAkey "$KH_PKI_SUBCA_KEY" \
		-CAcreateserial -days 30 -extfile "$B/ext" -out "$B/$n.crt" 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$B/$n.key" -outform DER -out "$B/$n.key.der"
	openssl x509 -in "$B/$n.crt" -outform DER -out "$B/$n.crt.der"
}
mk_signer rsa4096 -algorithm RSA -pkeyopt rsa_keygen_bits:4096
mk_signer p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
cp "$KH_PKI_SIGNER_RSA3072_KEY_DER" "$B/rsa3072.key.der"
cp "$KH_PKI_SIGNER_RSA3072_CERT_DER" "$B/rsa3072.crt.der"
softhsm2-util --init-token --free --label kyso-keys --so-pin 12345678 --pin "$SG_PIN" >/dev/null
id=10
for n in rsa3072 rsa4096 p384; do
	pkcs11-tool --module "$M" --token-label kyso-keys --login --pin "$SG_PIN" --write-object "$B/$n.key.der" \
		--type privkey --id $id --label "$n" --usage-sign >/dev/null 2>&1
	pkcs11-tool --module "$M" --token-label kyso-keys --login --pin "$SG_PIN" --write-object "$B/$n.crt.der" \
		--type cert --id $id --label "$n" >/dev/null 2>&1
	id=$((id + 1))
done
for n in rsa3072 rsa4096 p384; do
	for h in sha256 sha384 sha512; do
		expect_signed "$n with $h" "$W/t-$n-$h.pdf" "$KH_PKI_CHAIN" -- "$IN" --module "$M" --token kyso-keys \
			--cert-label "$n" --hash "$h" --chain "$KH_PKI_CHAIN" --pin-env SG_PIN
		kh_check "$n $h: CMS digest algorithm is $h" bash -c \
			"sg_extract '$W/t-$n-$h.pdf' '$W' 2>/dev/null; openssl cms -cmsout -print -inform DER -in '$W/sig.der' | grep -A1 'digestAlgorithm:' | grep -q '$h'"
	done
done
kh_check "several certs on one token without --cert-label: asks to choose" \
	bash -c "! kyso sign '$IN' -o '$W/x.pdf' --module '$M' --token kyso-keys --pin-env SG_PIN 2>/dev/null"
# /Contents is sized from the real CMS: the zero padding is small
pad() { python3 - "$1" <<'PY'
import re,sys
d=open(sys.argv[1],"rb").read()
m=list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)",d))[-1]
b,c=int(m.group(2)),int(m.group(3))
h=d[b+1:c-1]
print(len(h)-len(h.rstrip(b"0")))
PY
}
kh_check "RSA-4096 /Contents has no padding beyond trailing zero digits ($(pad "$W/t-rsa4096-sha512.pdf"))" test "$(pad "$W/t-rsa4096-sha512.pdf")" -le 4
kh_check "P-384 /Contents padding under 20 hex digits ($(pad "$W/t-p384-sha384.pdf"))" test "$(pad "$W/t-p384-sha384.pdf")" -le 20

# ---- output rules ---------------------------------------------------------------------------------
cp "$IN" "$W/same.pdf"
S0=$(sg_sha "$W/same.pdf")
rc=0
sg_sign "$W/same.pdf" -o "$W/same.pdf" >/dev/null 2>&1 || rc=$?
kh_check "OUT == IN refused (exit 2), file unchanged" test $rc -eq 2 -a "$(sg_sha "$W/same.pdf")" == "$S0"
rc=0
sg_sign "$W/same.pdf" -o "$W/same.pdf" --in-place >/dev/null 2>&1 || rc=$?
kh_check "--in-place signs the file itself" bash -c "test $rc -eq 0 && sg_pdfsig_all_valid '$W/same.pdf'"
# disk full: a 64 KiB tmpfs in a private mount namespace
if unshare -m true 2>/dev/null; then
	mkdir -p "$W/full"
	big=$KYSO_BUILD/corpus/big-300p-3mb.pdf
	[[ -f $big ]] || big=$IN
	rc=0
	unshare -m --propagation private bash -c "mount -t tmpfs -o size=64k tmpfs '$W/full' &&
		kyso sign --json '$big' -o '$W/full/out.pdf' --module '$M' --token kyso-rsa --pin-env SG_PIN >'$W/full.json' 2>/dev/null; rc=\$?;
		n=\$(ls -A '$W/full' | wc -l); echo \$rc \$n" >"$W/full.res" || true
	read -r frc fn <"$W/full.res"
	kh_check "disk full: io error (exit $frc), nothing left in the directory ($fn files)" \
		test "$frc" -eq 3 -a "$fn" -eq 0 -a "$(json_err "$W/full.json")" == io
else
	kh_fail "disk full test needs unshare -m (root)"
fi
kh_done
