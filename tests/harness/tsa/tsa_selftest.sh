#!/usr/bin/env bash
# Self-test of the local RFC 3161 TSA (tests/harness/tsa/kh-tsa-server.py, bin/kh-tsa):
# time-stamp queries made with `openssl ts -query`, posted with curl, replies checked with
# `openssl ts -verify`; basic auth; every fail mode does what it says.
. "${KYSO_HARNESS:?}/lib.sh"
. "$KYSO_HARNESS/tsa/tsa.sh"
kh_tmpdir

PKI=$KYSO_BUILD/harness/pki
kh-pki "$PKI" >/dev/null
set -a
. "$PKI/pki.env"
set +a
D=$KH_TMP/work
mkdir -p "$D"
printf 'Văn bản số %s/UBND-VP\n' "$RANDOM" >"$D/doc.txt"
printf 'another document\n' >"$D/other.txt"

tsverify() { openssl ts -verify "$@" -CAfile "$KH_TSA_CHAIN" >/dev/null 2>&1; }
tstext() { openssl ts -reply -in "$1" -text 2>/dev/null; }
# header_of URL-args...: HTTP headers of a POST (body discarded)
post_headers() {
	curl -sS -o /dev/null -D - -H 'Content-Type: application/timestamp-query' \
		--data-binary "@$D/q.tsq" "$@" "$KH_TSA_URL" | tr -d '\r'
}

# --- plain TSA (shell helper kh_tsa_start) --------------------------------------------------
kh_check "kh_tsa_start starts the TSA" kh_tsa_start "$KH_TMP/tsa1" "$PKI"
kh_check "TSA listens on 127.0.0.1 with a real port" \
	bash -c '[[ $1 =~ ^http://127\.0\.0\.1:[0-9]+/$ && $2 -gt 0 ]]' _ "${KH_TSA_URL:-}" "${KH_TSA_PORT:-0}"
kh_check "tsa.env written" grep -q "^KH_TSA_URL='$KH_TSA_URL'$" "$KH_TMP/tsa1/tsa.env"

kh_check "openssl ts -query (sha256, nonce, certReq)" kh_tsa_query "$D/doc.txt" "$D/q.tsq" -sha256 -cert
code=$(kh_tsa_post "$D/q.tsq" "$D/r.tsr") || true
kh_check "POST answers 200" test "$code" = 200
kh_check "reply Content-Type is application/timestamp-reply" bash -c \
	'grep -qix "content-type: application/timestamp-reply" <<<"$1"' _ "$(post_headers)"
kh_check "openssl ts -verify -data accepts the reply" tsverify -data "$D/doc.txt" -in "$D/r.tsr"
kh_check "openssl ts -verify -queryfile accepts the reply (nonce, imprint)" \
	tsverify -queryfile "$D/q.tsq" -in "$D/r.tsr"
kh_check "reply does not verify other data" bash -c '! openssl ts -verify -data "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' \
	_ "$D/other.txt" "$D/r.tsr" "$KH_TSA_CHAIN"
kh_check "reply does not verify against the untrusted root" bash -c \
	'! openssl ts -verify -data "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' _ "$D/doc.txt" "$D/r.tsr" "$KH_PKI_UNTRUSTED_ROOT_CERT"

nonce_of() { openssl ts -query -in "$1" -text 2>/dev/null | sed -n 's/^Nonce: //p'; }
reply_field() { tstext "$1" | sed -n "s/^$2: //p"; }
kh_check "reply status granted" bash -c '[[ $(openssl ts -reply -in "$1" -text 2>/dev/null | sed -n "s/^Status: //p") == "Granted." ]]' _ "$D/r.tsr"
kh_check "reply nonce equals the query nonce" bash -c '[[ -n $1 && $1 == "$2" ]]' _ "$(nonce_of "$D/q.tsq")" "$(reply_field "$D/r.tsr" Nonce)"
kh_check "reply policy is the test policy OID" test "$(reply_field "$D/r.tsr" "Policy OID")" = "$KH_TSA_POLICY"
kh_check "reply names the TSA (UTF-8 subject)" bash -c \
	'openssl ts -reply -in "$1" -text 2>/dev/null | grep -q "^TSA: DirName:.*Kyso Test TSA"' _ "$D/r.tsr"
certs_in() {
	openssl ts -reply -in "$1" -token_out -out "$D/tok.der" 2>/dev/null &&
		openssl pkcs7 -inform DER -in "$D/tok.der" -print_certs 2>/dev/null | grep -c '^subject='
}
kh_check "certReq: reply carries TSA cert + sub-CA + root" test "$(certs_in "$D/r.tsr")" = 3

kh_tsa_query "$D/doc.txt" "$D/qn.tsq" -sha256
code=$(kh_tsa_post "$D/qn.tsq" "$D/rn.tsr") || true
kh_check "no certReq: reply carries no certificates" test "$(certs_in "$D/rn.tsr")" = 0
kh_check "no certReq: verifies with -untrusted TSA cert" \
	tsverify -queryfile "$D/qn.tsq" -in "$D/rn.tsr" -untrusted "$KH_TSA_CERT"

for h in sha384 sha512; do
	kh_tsa_query "$D/doc.txt" "$D/q-$h.tsq" "-$h" -cert
	code=$(kh_tsa_post "$D/q-$h.tsq" "$D/r-$h.tsr") || true
	kh_check "$h query granted and verifies" tsverify -queryfile "$D/q-$h.tsq" -in "$D/r-$h.tsr"
done
kh_tsa_query "$D/doc.txt" "$D/q-sha1.tsq" -sha1 -cert
code=$(kh_tsa_post "$D/q-sha1.tsq" "$D/r-sha1.tsr") || true
kh_check "sha1 query is rejected (badAlg)" bash -c \
	'out=$(openssl ts -reply -in "$1" -text 2>/dev/null) && grep -q "^Status: Rejected" <<<"$out" && grep -q "unsupported algorithm" <<<"$out"' \
	_ "$D/r-sha1.tsr"

kh_check "GET is refused (405)" test "$(curl -s -o /dev/null -w '%{http_code}' "$KH_TSA_URL")" = 405
kh_check "wrong Content-Type is refused (415)" test "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$D/q.tsq" "$KH_TSA_URL")" = 415
kh_check "stats count requests and grants" bash -c \
	'[[ $(curl -s "$1stats") == $'"'"'requests 7\ngranted 5'"'"' ]]' _ "$KH_TSA_URL"
pid1=$KH_TSA_PID
kh_tsa_stop
kh_check "kh_tsa_stop stops the server" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid1"

# --- kh-tsa wrapper with basic auth ---------------------------------------------------------
kh_check "kh-tsa start with --user/--pass" kh-tsa start "$KH_TMP/tsa2" "$PKI" --user "văn thư" --pass 'mật khẩu 1'
kh_on_exit "kh-tsa stop '$KH_TMP/tsa2' >/dev/null 2>&1"
set -a
. "$KH_TMP/tsa2/tsa.env"
set +a
kh_check "tsa.env has user, password and PID" bash -c '[[ $1 == "văn thư" && $2 == "mật khẩu 1" && -d /proc/$3 ]]' \
	_ "$KH_TSA_USER" "$KH_TSA_PASS" "$KH_TSA_PID"
kh_check "kh-tsa start refuses a second server in the same dir" bash -c '! kh-tsa start "$1" "$2" 2>/dev/null' _ "$KH_TMP/tsa2" "$PKI"
hdrs=$(post_headers) || true
kh_check "missing credentials: 401" grep -q '^HTTP/1.[01] 401' <<<"$hdrs"
kh_check "401 carries WWW-Authenticate: Basic" grep -qi '^WWW-Authenticate: Basic realm=' <<<"$hdrs"
kh_check "wrong password: 401" bash -c 'grep -q "^HTTP/1.[01] 401" <<<"$1"' _ "$(post_headers -u "$KH_TSA_USER:wrong")"
kh_check "wrong user: 401" bash -c 'grep -q "^HTTP/1.[01] 401" <<<"$1"' _ "$(post_headers -u "other:$KH_TSA_PASS")"
code=$(kh_tsa_post "$D/q.tsq" "$D/ra.tsr") || true
kh_check "right credentials: 200" test "$code" = 200
kh_check "authenticated reply verifies" tsverify -queryfile "$D/q.tsq" -in "$D/ra.tsr"
pid2=$KH_TSA_PID
kh_check "kh-tsa stop" kh-tsa stop "$KH_TMP/tsa2"
kh_check "server process is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid2"
kh_check "port is closed" bash -c '! curl -s -o /dev/null --max-time 2 "$1"' _ "$KH_TSA_URL"
unset KH_TSA_USER KH_TSA_PASS

# --- fail modes -----------------------------------------------------------------------------
n=0
start_mode() {
	n=$((n + 1))
	kh_tsa_start "$KH_TMP/fm$n" "$PKI" "$@"
}

start_mode --fail-mode status-rejection
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "status-rejection: HTTP 200" test "$code" = 200
# failInfo badRequest (bit 2) is what OpenSSL prints as "transaction not permitted or supported"
kh_check "status-rejection: status Rejected, failInfo badRequest" bash -c \
	'out=$(openssl ts -reply -in "$1" -text 2>/dev/null) && grep -q "^Status: Rejected" <<<"$out" &&
	 grep -q "^Failure info: transaction not permitted or supported" <<<"$out" &&
	 grep -q "^Status description: kyso test TSA: request rejected" <<<"$out"' \
	_ "$D/f.tsr"
kh_check "status-rejection: reply does not verify" bash -c '! openssl ts -verify -data "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' \
	_ "$D/doc.txt" "$D/f.tsr" "$KH_TSA_CHAIN"
kh_tsa_stop

start_mode --fail-mode garbage
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "garbage: HTTP 200 with a body" bash -c '[[ $1 == 200 && -s $2 ]]' _ "$code" "$D/f.tsr"
kh_check "garbage: body is not a TimeStampResp" bash -c '! openssl ts -reply -in "$1" -text >/dev/null 2>&1' _ "$D/f.tsr"
kh_tsa_stop

start_mode --fail-mode http500
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "http500: HTTP 500" test "$code" = 500
kh_tsa_stop

start_mode --fail-mode drop
rc=0
curl -sS -o /dev/null -H 'Content-Type: application/timestamp-query' --data-binary "@$D/q.tsq" \
	"$KH_TSA_URL" 2>/dev/null || rc=$?
kh_check "drop: connection closed without a reply (curl 52)" test "$rc" = 52
kh_tsa_stop

start_mode --fail-mode slow 2
rc=0
curl -sS -o /dev/null --max-time 1 -H 'Content-Type: application/timestamp-query' \
	--data-binary "@$D/q.tsq" "$KH_TSA_URL" 2>/dev/null || rc=$?
kh_check "slow 2: a 1 s client timeout expires (curl 28)" test "$rc" = 28
t0=$(date +%s.%N)
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
t1=$(date +%s.%N)
kh_check "slow 2: answer takes >= 2 s" python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 2.0 else 1)"
kh_check "slow 2: the late answer verifies" tsverify -queryfile "$D/q.tsq" -in "$D/f.tsr"
kh_tsa_stop

start_mode --fail-mode wrong-content-type
kh_check "wrong-content-type: reply labelled text/html" bash -c \
	'grep -qi "^content-type: text/html" <<<"$1"' _ "$(post_headers)"
kh_tsa_stop

start_mode --fail-mode wrong-nonce
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "wrong-nonce: token itself is valid for the data" tsverify -data "$D/doc.txt" -in "$D/f.tsr"
kh_check "wrong-nonce: reply nonce differs from the query's" bash -c '[[ -n $1 && -n $2 && $1 != "$2" ]]' \
	_ "$(nonce_of "$D/q.tsq")" "$(reply_field "$D/f.tsr" Nonce)"
kh_check "wrong-nonce: verify against the query fails" bash -c \
	'! openssl ts -verify -queryfile "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' _ "$D/q.tsq" "$D/f.tsr" "$KH_TSA_CHAIN"
kh_tsa_query "$D/doc.txt" "$D/q-nononce.tsq" -sha256 -cert -no_nonce
code=$(kh_tsa_post "$D/q-nononce.tsq" "$D/f2.tsr") || true
kh_check "wrong-nonce: a nonce appears although none was asked" bash -c '[[ -n $1 ]]' _ "$(reply_field "$D/f2.tsr" Nonce)"
kh_tsa_stop

start_mode --fail-mode wrong-imprint
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "wrong-imprint: reply granted" bash -c '[[ $(openssl ts -reply -in "$1" -text 2>/dev/null | sed -n "s/^Status: //p") == "Granted." ]]' _ "$D/f.tsr"
kh_check "wrong-imprint: does not verify for the data" bash -c \
	'! openssl ts -verify -data "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' _ "$D/doc.txt" "$D/f.tsr" "$KH_TSA_CHAIN"
kh_tsa_stop

start_mode --fail-mode no-certs
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "no-certs: no certificates despite certReq" test "$(certs_in "$D/f.tsr")" = 0
kh_tsa_stop

start_mode --fail-mode no-eku
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "no-eku: reply granted, nonce as asked" bash -c '[[ $1 == 200 && -n $2 && $2 == "$3" ]]' \
	_ "$code" "$(nonce_of "$D/q.tsq")" "$(reply_field "$D/f.tsr" Nonce)"
openssl ts -reply -in "$D/f.tsr" -token_out -out "$D/noeku.tok" 2>/dev/null || true
openssl pkcs7 -inform DER -in "$D/noeku.tok" -print_certs 2>/dev/null >"$D/noeku.crt" || true
kh_check "no-eku: token signature itself is intact" openssl cms -verify -noverify -binary \
	-inform DER -in "$D/noeku.tok" -out /dev/null
kh_check "no-eku: the token's certificate has no timeStamping EKU" bash -c \
	'[[ -s $1 ]] && ! openssl x509 -in "$1" -noout -ext extendedKeyUsage 2>/dev/null | grep -q "Time Stamping"' _ "$D/noeku.crt"
kh_check "no-eku: openssl ts -verify refuses it" bash -c \
	'! openssl ts -verify -queryfile "$1" -in "$2" -CAfile "$3" >/dev/null 2>&1' _ "$D/q.tsq" "$D/f.tsr" "$KH_TSA_CHAIN"
kh_tsa_stop

start_mode --fail-mode http500 --fail-count 1
c1=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
c2=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "fail-count 1: first request 500, second 200" test "$c1:$c2" = "500:200"
kh_check "fail-count 1: second reply verifies" tsverify -queryfile "$D/q.tsq" -in "$D/f.tsr"
kh_tsa_stop

port=$(kh_free_port)
start_mode --port "$port"
kh_check "--port N: listens on the given port" test "$KH_TSA_URL" = "http://127.0.0.1:$port/"
code=$(kh_tsa_post "$D/q.tsq" "$D/f.tsr") || true
kh_check "--port N: reply verifies" tsverify -queryfile "$D/q.tsq" -in "$D/f.tsr"
kh_tsa_stop

kh_check "unknown fail mode is refused" bash -c \
	'! /usr/bin/python3 "$1" --pki-dir "$2" --fail-mode nonsense 2>/dev/null' _ "$KYSO_HARNESS/tsa/kh-tsa-server.py" "$PKI"
kh_check "kh-tsa without arguments is a usage error" bash -c 'kh-tsa 2>/dev/null; [[ $? -eq 2 ]]'

kh_done
