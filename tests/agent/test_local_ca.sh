#!/usr/bin/env bash
# The agent's local CA cannot be abused: its key is made in memory and never written (no private
# key anywhere in the state directory or the home directory matches the CA's public key), it is
# limited to TLS servers (EKU serverAuth) and to localhost/127.0.0.1/::1, the served leaf chains
# to it; an old install's ca-key.pem is migrated by --export-ca (what kyso setup runs): a new CA,
# the key file removed; the doctor flags a CA key on disk; and kyso verify never trusts the CA
# for a document, even when given with --ca.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
export HOME=$KH_TMP/home XDG_STATE_HOME=$KH_TMP/home/.local/state
S=$XDG_STATE_HOME/kyso/agent
mkdir -p "$HOME" "$(dirname "$S")"
kyso-agent --state-dir "$S" --export-ca "$KH_TMP/ca.pem"
kh_check "state directory holds ca.pem, cert.pem, key.pem and no CA key" test \
	"$(cd "$S" && ls | sort | tr '\n' ' ')" = "ca.pem cert.pem key.pem "
# every private key file under HOME: none belongs to the CA
no_ca_key() { # CA.pem
	local want f
	want=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
	while IFS= read -r f; do
		if openssl pkey -in "$f" -pubout -outform DER 2>/dev/null | sha256sum | grep -q "${want%% *}"; then
			echo "CA key found in $f" >&2
			return 1
		fi
	done < <(grep -rl 'PRIVATE KEY' "$HOME" "$KH_TMP" 2>/dev/null)
	return 0
}
kh_check "no private key under HOME matches the CA's public key (no leaf can be minted)" no_ca_key "$KH_TMP/ca.pem"
kh_check "the leaf key in key.pem is the server certificate's, not the CA's" bash -c \
	"cmp <(openssl x509 -in '$S/cert.pem' -noout -pubkey) <(openssl pkey -in '$S/key.pem' -pubout)"
kh_check "CA: EKU serverAuth only, name-constrained to localhost" bash -c \
	"openssl x509 -in '$KH_TMP/ca.pem' -noout -ext extendedKeyUsage | tail -n +2 | grep -qx '  *TLS Web Server Authentication' &&
	 openssl x509 -in '$KH_TMP/ca.pem' -noout -ext nameConstraints | grep -q 'DNS:localhost'"
kh_check "the served leaf chains to the CA (localhost, serverAuth)" \
	openssl verify -CAfile "$KH_TMP/ca.pem" -purpose sslserver "$S/cert.pem"
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
old=$(fp "$S/ca.pem")
kyso-agent --state-dir "$S" --export-ca "$KH_TMP/ca2.pem"
kh_check "a second start keeps the same CA and leaf" test "$(fp "$KH_TMP/ca2.pem")" = "$old"

# ---- an old install: the CA key on disk --------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/ca-key.pem" 2>/dev/null
chmod 600 "$S/ca-key.pem"
rc=0
kyso --lang en doctor --json --offline --no-usb >"$KH_TMP/doc.json" 2>/dev/null || rc=$?
# the report names the file; the account's home folder in it is a pseudonym (issue 18)
kh_check "doctor: the agent check fails and names the CA key on disk" bash -c \
	"jq -r '.checks[] | select(.id==\"agent\") | .status + \" \" + .data.ca_key_on_disk' '$KH_TMP/doc.json' |
	 grep -q '^fail .*${S#"$HOME"}/ca-key.pem\$'"
kh_check "... its remedy is kyso setup --repair" bash -c \
	"jq -r '.checks[] | select(.id==\"agent\") | .remedy' '$KH_TMP/doc.json' | grep -q 'setup --repair'"
kyso-agent --state-dir "$S" --export-ca "$KH_TMP/ca3.pem"
kh_check "migration (--export-ca, run by kyso setup): a new CA, ca-key.pem removed" test \
	"$(fp "$KH_TMP/ca3.pem" | grep -vc "$old") $(test -e "$S/ca-key.pem" && echo kept || echo gone)" = "1 gone"
kh_check "... the new leaf chains to the new CA" openssl verify -CAfile "$KH_TMP/ca3.pem" "$S/cert.pem"
kh_check "... and still no CA key anywhere" no_ca_key "$KH_TMP/ca3.pem"
kh_done
