#!/usr/bin/env bash
# Revocation, online: a small CA whose certificates name a CRL distribution
# point on a local HTTP server; a revoked signer fails cert-revocation, a good
# one passes, a CRL signed by someone else warns, an unreachable CRL warns,
# and --offline skips. (The shared test PKI names no CRL URL.)
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
dr_card
export LANGUAGE=en
ca=$KH_TMP/ca
mkdir -p "$ca/www" && : >"$ca/index.txt" && echo 1000 >"$ca/serial" && echo 1000 >"$ca/crlnumber"
port=$(kh_free_port)
cat >"$ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $ca
database = $ca/index.txt
serial = $ca/serial
crlnumber = $ca/crlnumber
new_certs_dir = $ca
certificate = $ca/ca.crt
private_key = $ca/ca.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = p
copy_extensions = none
[p]
commonName = supplied
[signer]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
crlDistributionPoints = URI:http://127.0.0.1:$port/ca.crl
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/ca.key" -out "$ca/ca.crt" -days 30 \
	-subj "/CN=Kyso CRL Test CA" -config "$ca/ca.cnf" -extensions ca_ext
for n in good revoked; do
	ossl req -newkey rsa:2048 -nodes -keyout "$ca/$n.key" -out "$ca/$n.csr" -subj "/CN=CRL $n"
	ossl ca -batch -config "$ca/ca.cnf" -extensions signer -in "$ca/$n.csr" -out "$ca/$n.crt"
	openssl pkcs8 -topk8 -nocrypt -in "$ca/$n.key" -outform DER -out "$ca/$n.key.der"
	openssl x509 -in "$ca/$n.crt" -outform DER -out "$ca/$n.crt.der"
	openssl x509 -in "$ca/ca.crt" -outform DER -out "$ca/ca.crt.der"
	export "KH_PKI_CRL_${n^^}_KEY_DER=$ca/$n.key.der" "KH_PKI_CRL_${n^^}_CERT_DER=$ca/$n.crt.der"
	dr_token "crl-$n" "CRL_${n^^}" "$ca/ca.crt.der"
done
ossl ca -config "$ca/ca.cnf" -revoke "$ca/revoked.crt" -crl_reason keyCompromise
ossl ca -config "$ca/ca.cnf" -gencrl -out "$ca/www/ca.crl.pem"
openssl crl -in "$ca/www/ca.crl.pem" -outform DER -out "$ca/www/ca.crl"
kh_check "CRL lists the revoked signer" sh -c "openssl crl -in '$ca/www/ca.crl' -inform DER -noout -text | grep -q 'Serial Number'"
kh_bg "$KH_TMP/http.log" python3 -m http.server "$port" --bind 127.0.0.1 --directory "$ca/www"
kh_wait_for 10 curl -sf "http://127.0.0.1:$port/ca.crl" -o /dev/null

r=$KH_TMP/r.json
run() { DR_RC=0; kyso doctor --json --ca "$ca/ca.crt" --agent-url "https://127.0.0.1:$AGENT_PORT/" --timeout 3 --tsa "http://127.0.0.1:$port/" "$@" >"$r" 2>"$r.err" || DR_RC=$?; }
run --token crl-good
dr_expect "$r" cert-chain pass
dr_expect "$r" cert-revocation pass "" "ca.crl"
run --token crl-revoked
dr_expect "$r" cert-revocation fail "new certificate" "revoked"
run --token crl-revoked --offline
dr_expect "$r" cert-revocation skip "" "offline"
# a CRL signed by another key: not trusted
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/other.key" -out "$ca/other.crt" -days 30 -subj "/CN=Kyso CRL Test CA"
cp "$ca/www/ca.crl" "$ca/good.crl"
sed -e "s#$ca/ca.key#$ca/other.key#; s#$ca/ca.crt#$ca/other.crt#" "$ca/ca.cnf" >"$ca/other.cnf"
ossl ca -config "$ca/other.cnf" -gencrl -out "$ca/other.crl.pem"
openssl crl -in "$ca/other.crl.pem" -outform DER -out "$ca/www/ca.crl"
run --token crl-revoked
dr_expect "$r" cert-revocation warn "" "not signed"
rm "$ca/www/ca.crl"
run --token crl-good
dr_expect "$r" cert-revocation warn "Internet" "cannot be fetched"
kh_done
