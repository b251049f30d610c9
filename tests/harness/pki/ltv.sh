# shellcheck shell=bash
# Sourceable helper: a small test PKI whose certificates name real revocation sources, served
# on private 127.0.0.1 ports by children of the test (PAdES B-LT tests).
#   . "$KYSO_HARNESS/lib.sh"; kh_tmpdir; . "$KYSO_HARNESS/pki/ltv.sh"
#   kh_pki_ltv DIR
#       root -> sub-CA (CRL distribution point: the root's CRL over HTTP) -> signers:
#         "ltv"     AIA OCSP responder + CRL distribution point (the sub-CA's CRL over HTTP)
#         "crlonly" CRL distribution point only
#         "revoked" like "ltv", revoked by the sub-CA (on its CRL, and OCSP says revoked)
#       a delegated OCSP responder certificate (EKU OCSPSigning) of the sub-CA;
#       starts a static HTTP server for DIR/www/{root,subca}.crl (DER) and `openssl ocsp` over
#       the sub-CA's index (both stopped at exit, or with kh_ltv_stop_crl / kh_ltv_stop_ocsp);
#       a SoftHSM2 token "kyso-ltv" (own SOFTHSM2_CONF, user PIN 123456) with the signers' keys
#       and certificates: id 01 ltv, 02 crlonly, 03 revoked.
#   Exports KH_LTV_DIR, KH_LTV_ROOT_CERT, KH_LTV_CHAIN (sub-CA + root PEM), KH_LTV_*_CERT,
#   KH_LTV_ROOT_CRL / KH_LTV_SUBCA_CRL (PEM files), KH_LTV_CRL_URL (base), KH_LTV_OCSP_URL,
#   KH_LTV_CRL_PID, KH_LTV_OCSP_PID, KH_LTV_SOFTHSM2_CONF, KH_LTV_MODULE, KH_LTV_PIN.

_kh_ltv_module() {
	local ma c
	ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || true)
	for c in ${KH_P11_MODULE:-} /usr/lib/softhsm/libsofthsm2.so \
		${ma:+/usr/lib/$ma/softhsm/libsofthsm2.so} /usr/lib64/softhsm/libsofthsm2.so; do
		[[ -n $c && -f $c ]] && { echo "$c"; return 0; }
	done
	echo "kh_pki_ltv: libsofthsm2.so not found" >&2
	return 1
}

kh_pki_ltv() {
	local d
	mkdir -p "$1"
	d=$(cd "$1" && pwd)
	local cnf=$KYSO_HARNESS/pki/ltv.cnf log=$d/openssl.log
	local crl_port ocsp_port
	crl_port=$(kh_free_port)
	ocsp_port=$(kh_free_port)
	while [[ $ocsp_port == "$crl_port" || $ocsp_port == $((crl_port + 1)) ]]; do
		ocsp_port=$(kh_free_port)
	done
	export KH_LTV_CRL_URL=http://127.0.0.1:$crl_port
	export KH_LTV_ROOT_CRL=$KH_LTV_CRL_URL/root.crl KH_LTV_SUBCA_CRL=$KH_LTV_CRL_URL/subca.crl
	export KH_LTV_OCSP=http://127.0.0.1:$ocsp_port KH_LTV_OCSP_URL=http://127.0.0.1:$ocsp_port
	export KH_SAN=email:nobody@example.invalid KH_CA_DIR=$d/ca/none
	mkdir -p "$d/www" "$d/tmp"
	: >"$log"
	_o() { echo "+ openssl $*" >>"$log"; openssl "$@" >>"$log" 2>&1; }
	_ca() { # NAME: openssl ca database of CA NAME
		mkdir -p "$d/ca/$1/newcerts"
		: >"$d/ca/$1/index.txt"
		echo 1000 >"$d/ca/$1/crlnumber"
		ln -sf "../../$1.key.pem" "$d/ca/$1/ca.key.pem"
		ln -sf "../../$1.crt.pem" "$d/ca/$1/ca.crt.pem"
	}
	_issue() { # CA NAME SUBJECT EXT [SAN]
		local ca=$1 n=$2 subj=$3 ext=$4 san=${5:-email:nobody@example.invalid} self=()
		_o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/$n.key.pem" || return 1
		_o req -new -utf8 -config "$cnf" -key "$d/$n.key.pem" -subj "$subj" -out "$d/tmp/$n.csr" || return 1
		if [[ $ca == self ]]; then
			_ca "$n"
			ca=$n
			self=(-selfsign -keyfile "$d/$n.key.pem")
		fi
		KH_CA_DIR=$d/ca/$ca KH_SAN=$san _o ca -batch -utf8 -preserveDN -config "$cnf" "${self[@]}" \
			-notext -rand_serial -extensions "$ext" -startdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
			-enddate "$(date -u -d '+2 years' +%Y%m%d%H%M%SZ)" -in "$d/tmp/$n.csr" \
			-out "$d/$n.crt.pem" || return 1
		_o x509 -in "$d/$n.crt.pem" -outform DER -out "$d/$n.crt.der" || return 1
		_o pkcs8 -topk8 -nocrypt -in "$d/$n.key.pem" -outform DER -out "$d/$n.key.der" || return 1
		_o pkey -in "$d/$n.key.pem" -pubout -outform DER -out "$d/$n.pub.der"
	}
	if ! {
		_issue self root "/C=VN/O=Kyso Thử Nghiệm LTV/CN=Kyso LTV Test Root CA" v3_root &&
			_issue root subca "/C=VN/O=Kyso Thử Nghiệm LTV/CN=Kyso LTV Test Sub CA" v3_subca &&
			_ca subca &&
			_issue subca ltv "/C=VN/O=UBND Tỉnh Thử Nghiệm/CN=Hoàng Văn Lưu" v3_signer \
				email:luu.hoang@thunghiem.example &&
			_issue subca crlonly "/C=VN/O=UBND Tỉnh Thử Nghiệm/CN=Ngô Thị Chỉ CRL" v3_signer_crl \
				email:chi.ngo@thunghiem.example &&
			_issue subca revoked "/C=VN/O=UBND Tỉnh Thử Nghiệm/CN=Đinh Văn Thu Hồi" v3_signer \
				email:thuhoi.dinh@thunghiem.example &&
			_issue subca ocsp "/C=VN/O=Kyso Thử Nghiệm LTV/CN=Kyso LTV OCSP Responder" v3_ocsp &&
			KH_CA_DIR=$d/ca/subca _o ca -batch -config "$cnf" -revoke "$d/revoked.crt.pem" \
				-crl_reason keyCompromise &&
			KH_CA_DIR=$d/ca/subca _o ca -batch -config "$cnf" -gencrl -crlexts crl_ext \
				-out "$d/subca.crl.pem" &&
			KH_CA_DIR=$d/ca/root _o ca -batch -config "$cnf" -gencrl -crlexts crl_ext \
				-out "$d/root.crl.pem" &&
			_o crl -in "$d/subca.crl.pem" -outform DER -out "$d/www/subca.crl" &&
			_o crl -in "$d/root.crl.pem" -outform DER -out "$d/www/root.crl"
	}; then
		echo "kh_pki_ltv: building the PKI failed; log:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
	cat "$d/subca.crt.pem" "$d/root.crt.pem" >"$d/chain.pem"
	export KH_LTV_DIR=$d KH_LTV_ROOT_CERT=$d/root.crt.pem KH_LTV_CHAIN=$d/chain.pem
	export KH_LTV_SUBCA_CERT=$d/subca.crt.pem KH_LTV_SIGNER_CERT=$d/ltv.crt.pem
	export KH_LTV_CRLONLY_CERT=$d/crlonly.crt.pem KH_LTV_REVOKED_CERT=$d/revoked.crt.pem
	export KH_LTV_OCSP_CERT=$d/ocsp.crt.pem
	export KH_LTV_ROOT_CRL_FILE=$d/root.crl.pem KH_LTV_SUBCA_CRL_FILE=$d/subca.crl.pem

	# token
	local module conf=$d/hsm/softhsm2.conf
	module=$(_kh_ltv_module) || return 1
	mkdir -p "$d/hsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$d/hsm/tokens" >"$conf"
	export KH_LTV_SOFTHSM2_CONF=$conf KH_LTV_MODULE=$module KH_LTV_PIN=123456
	_p11() { SOFTHSM2_CONF=$conf pkcs11-tool --module "$module" --token-label kyso-ltv \
		--login --pin 123456 "$@" >>"$log" 2>&1; }
	SOFTHSM2_CONF=$conf softhsm2-util --init-token --free --label kyso-ltv --so-pin 12345678 \
		--pin 123456 >>"$log" 2>&1 || { echo "kh_pki_ltv: softhsm2-util failed" >&2; return 1; }
	local id=1 n
	for n in ltv crlonly revoked; do
		_p11 --write-object "$d/$n.key.der" --type privkey --id "0$id" --label "$n" \
			--usage-sign --sensitive --private &&
			_p11 --write-object "$d/$n.pub.der" --type pubkey --id "0$id" --label "$n" --usage-sign &&
			_p11 --write-object "$d/$n.crt.der" --type cert --id "0$id" --label "$n" ||
			{ echo "kh_pki_ltv: token import failed; log in $log" >&2; return 1; }
		id=$((id + 1))
	done

	# servers
	local py=/usr/bin/python3
	[[ -x $py ]] || py=python3
	kh_bg "$d/crl-http.log" "$py" -m http.server "$crl_port" --bind 127.0.0.1 --directory "$d/www"
	export KH_LTV_CRL_PID=$KH_LAST_PID
	kh_bg "$d/ocsp.log" openssl ocsp -index "$d/ca/subca/index.txt" -port "$ocsp_port" \
		-rsigner "$d/ocsp.crt.pem" -rkey "$d/ocsp.key.pem" -CA "$d/subca.crt.pem" -nmin 60 \
		-ignore_err
	export KH_LTV_OCSP_PID=$KH_LAST_PID
	if ! kh_wait_for 10 curl -sf -o /dev/null "$KH_LTV_ROOT_CRL"; then
		echo "kh_pki_ltv: CRL server did not start" >&2
		cat "$d/crl-http.log" >&2
		return 1
	fi
	if ! kh_wait_for 10 openssl ocsp -issuer "$d/subca.crt.pem" -cert "$d/ltv.crt.pem" \
		-url "$KH_LTV_OCSP_URL" -CAfile "$d/chain.pem" -timeout 2; then
		echo "kh_pki_ltv: OCSP responder did not start" >&2
		cat "$d/ocsp.log" >&2
		return 1
	fi
}

kh_ltv_stop_crl() { [[ -n ${KH_LTV_CRL_PID:-} ]] && kh_stop "$KH_LTV_CRL_PID"; }
kh_ltv_stop_ocsp() { [[ -n ${KH_LTV_OCSP_PID:-} ]] && kh_stop "$KH_LTV_OCSP_PID"; }
