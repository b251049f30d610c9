#!/usr/bin/env bash
# Redaction: a bundle written by default holds no test-PKI name, e-mail, ID
# number or serial number (unzip and grep every file), and no user name in a
# path (home folder, Firefox profile); the pseudonyms are stable between runs;
# --no-redact keeps them (so the grep can find them at all). The pseudonyms are
# keyed: a brute force over the 10^6 neighbours of the holder's 12-digit ID
# number without the key finds nothing, the same search with the key finds it
# (so the search is real). With the organisation's key (config redact_key)
# two machines give the same pseudonym, with machine keys they do not.
. "$KYSO_SRC/tests/doctor/common.sh"
dr_env
dr_card
export LANGUAGE=en DR_PIN=123456
# an account named like a person, with a Firefox profile named after them
user=nguyenvanan
mv "$HOME" "$KH_TMP/acct" && mkdir -p "$KH_TMP/home" && mv "$KH_TMP/acct" "$KH_TMP/home/$user"
export HOME=$KH_TMP/home/$user
profile="k3x9q2.Nguyen An"
mkdir -p "$HOME/.mozilla/firefox/$profile"
certutil -N -d "sql:$HOME/.mozilla/firefox/$profile" --empty-password

bundle() {
	kyso doctor --offline --token kyso-rsa --ca "$KH_PKI_ROOT_CERT" --agent-url "https://127.0.0.1:$AGENT_PORT/" \
		--sign --pin-env DR_PIN "$@" >/dev/null 2>&1 || true
}
bundle --bundle "$KH_TMP/red.zip" --html "$KH_TMP/red.html"
bundle --bundle "$KH_TMP/red2.zip"
bundle --bundle "$KH_TMP/plain.zip" --no-redact
mkdir -p "$KH_TMP/red" "$KH_TMP/plain"
(cd "$KH_TMP/red" && unzip -q "$KH_TMP/red.zip")
(cd "$KH_TMP/plain" && unzip -q "$KH_TMP/plain.zip")
kh_check "bundle holds report.json, report.html, report.txt, versions.txt, logs" \
	test -s "$KH_TMP/red/report.json" -a -s "$KH_TMP/red/report.html" -a -s "$KH_TMP/red/report.txt" \
	-a -s "$KH_TMP/red/versions.txt" -a -f "$KH_TMP/red/logs/doctor.log"
kh_check "bundle report is schema-versioned JSON" test "$(jq .schema "$KH_TMP/red/report.json")" = 1
serial=$(echo "$KH_PKI_SIGNER_RSA_SERIAL" | tr a-f A-F)
number=${KH_PKI_SIGNER_RSA_UID#*:}
for v in "$KH_PKI_SIGNER_RSA_CN" "Nguyen Van An" "$KH_PKI_SIGNER_RSA_EMAIL" "$KH_PKI_SIGNER_RSA_UID" \
	"$number" "$serial" "$KH_P11_TOKEN_RSA"; do
	kh_check "--no-redact bundle does contain '$v'" grep -rqiF -- "$v" "$KH_TMP/plain"
	kh_check "redacted bundle has no '$v'" sh -c "! grep -rqiF -- \"\$0\" '$KH_TMP/red'" "$v"
	kh_check "redacted HTML has no '$v'" sh -c "! grep -qiF -- \"\$0\" '$KH_TMP/red.html'" "$v"
done
kh_check "the PIN appears nowhere" sh -c "! grep -rqP '(?<![0-9])123456(?![0-9])' '$KH_TMP/red' '$KH_TMP/plain'"
h1=$(unzip -p "$KH_TMP/red.zip" report.json | jq -r .token.subject)
h2=$(unzip -p "$KH_TMP/red2.zip" report.json | jq -r .token.subject)
kh_check "subject replaced by a 64-bit pseudonym" grep -qE '^\[#[0-9a-f]{16}\]$' <<<"$h1"
kh_check "same pseudonym in two runs (helpdesk can group)" test "$h1" = "$h2"
kh_check "ids differ between runs" test "$(unzip -p "$KH_TMP/red.zip" report.json | jq -r .id)" != \
	"$(unzip -p "$KH_TMP/red2.zip" report.json | jq -r .id)"
kh_check "organisation and CA names stay readable" grep -q "Kyso Test Root CA" "$KH_TMP/red/report.json"

# ---- user names in paths ----------------------------------------------------------------
for v in "$user" "Nguyen An" "k3x9q2"; do
	kh_check "--no-redact bundle does contain '$v' (in paths)" grep -rqF -- "$v" "$KH_TMP/plain"
	kh_check "redacted bundle has no '$v'" sh -c "! grep -rqF -- \"\$0\" '$KH_TMP/red'" "$v"
done
kh_check "the Firefox profile's database is still listed, its folder redacted" \
	grep -qE '"nssdb": ".*/home/\[#[0-9a-f]{16}\]/\.mozilla/firefox/\[#[0-9a-f]{16}\]"' "$KH_TMP/red/report.json"

# ---- the pseudonyms are keyed -----------------------------------------------------------
key=$HOME/.local/state/kyso/redact.key
kh_check "the machine key was made on first use, 0600" test "$(stat -c %a "$key")" = 600
kh_check "the report says whose key" test "$(jq -r .pseudonym_key "$KH_TMP/red/report.json")" = machine
# brute force: every pseudonym in the redacted bundle against the holder's ID number's
# neighbourhood (its first 6 digits, the province and birth year, known; the last 6 tried),
# as the bare number, as the certificate's UID, and as the whole subject (the attacker
# knows everything but the number); SHA-256 as before, then HMAC with the key
brute() {
	python3 - "$KH_TMP/red" "$number" "$(jq -r .token.subject "$KH_TMP/plain/report.json")" "$@" <<'PY'
import hashlib, hmac, os, re, sys
root, number, subject, mode = sys.argv[1:5]
seen = set()
for d, _, files in os.walk(root):
    for f in files:
        seen |= set(re.findall(r"\[#([0-9a-f]{8,16})\]", open(os.path.join(d, f), encoding="utf-8", errors="replace").read()))
key = bytes.fromhex(open(sys.argv[5]).read().strip()) if mode == "key" else None
prefix, found, tried = number[:6], [], 0
for tail in range(10 ** 6):
    n = "%s%06d" % (prefix, tail)
    for form in (n, "CMND:" + n, subject.replace(number, n)):
        b = form.encode()
        if key is None:
            d = hashlib.sha256(b).hexdigest()
            hits = d[:8] in seen or d[:16] in seen
        else:
            hits = hmac.digest(key, b, "sha256").hex()[:16] in seen
        tried += 1
        if hits:
            found.append(n)
print(tried, len(seen), " ".join(sorted(set(found))))
PY
}
read -r tried npseud found < <(brute nokey)
kh_check "without the key: $tried guesses against $npseud pseudonyms find nothing" test -z "$found" -a "$npseud" -ge 3
read -r tried npseud found < <(brute key "$key")
kh_check "with the key the same search finds the ID number $number" test "$found" = "$number"

# two machines of one organisation: the same pseudonym with the organisation's key
# (config.json "redact_key", as kyso setup --redact-key writes it), not with machine keys
mkdir -p "$HOME/.config/kyso"
echo '{"schema": 1, "redact_key": "Sở Thử Nghiệm 2026 kyso-redact"}' >"$HOME/.config/kyso/config.json"
bundle --bundle "$KH_TMP/org1.zip"
rm -f "$key"
bundle --bundle "$KH_TMP/org2.zip"
rm "$HOME/.config/kyso/config.json"
bundle --bundle "$KH_TMP/m2.zip"
subj() { unzip -p "$1" report.json | jq -r .token.subject; }
kh_check "organisation key: the same pseudonym on two machines" test "$(subj "$KH_TMP/org1.zip")" = "$(subj "$KH_TMP/org2.zip")"
kh_check "organisation key: the report says so" test "$(unzip -p "$KH_TMP/org1.zip" report.json | jq -r .pseudonym_key)" = organisation
kh_check "organisation key: another pseudonym than the machine key's" test "$(subj "$KH_TMP/org1.zip")" != "$h1"
kh_check "machine keys: another machine, another pseudonym" test "$(subj "$KH_TMP/m2.zip")" != "$h1"

# ---- the unit from the certificate (no kyso setup --org) ----------------------------------
kh_check "no --org: the report's unit is the certificate's O / OU" \
	test "$(jq -r '[.org, .org_source] | join("|")' "$KH_TMP/red/report.json")" = "UBND Tỉnh Thử Nghiệm / Văn phòng UBND|certificate"
kh_done
