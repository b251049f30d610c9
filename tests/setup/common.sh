# shellcheck shell=bash
# Shared set-up of the `kyso setup` tests: a staging root with a fake package
# manager, a private HOME with NSS databases (Chromium + a Firefox profile),
# a bundle with a vendor module (the fault-injecting PKCS#11 proxy over a
# SoftHSM2 token) whose SHA-256 is in a catalog override, a private pcscd
# with a virtual ePass2003 card.
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
. "$KYSO_HARNESS/vicc/pcscd.sh"
. "$KYSO_HARNESS/softhsm/softhsm.sh"

EPASS_ATR=3B9F958131FE9F006646530520032571DF000003900096
FAULTP11=$KYSO_BUILD/lib/kyso-faultp11.so

# st_env: fixture variables (called once per test script).
st_env() {
	kh_softhsm
	export KYSO_FAULT_TARGET=$KH_P11_MODULE
	export ROOT=$KH_TMP/root HOME=$KH_TMP/home BUNDLE=$KH_TMP/bundle
	export KYSO_APT=$KYSO_SRC/tests/setup/fake-apt
	export FAKE_APT_STATE=$ROOT/var/lib/fake-apt/status FAKE_APT_LOG=$KH_TMP/apt.log
	unset XDG_CONFIG_HOME XDG_STATE_HOME KYSO_ROOT KYSO_SYSCONFDIR
	export LANGUAGE=en
	# the agent setup starts listens on private ports, never 4453/4433/8987
	local p1 p2
	p1=$(kh_free_port)
	p2=$(kh_free_port)
	export KYSO_AGENT_PORTS="$p1,$((p1 + 1)),$p2"
	export ST_KYSO_PORT=$p1 ST_VNPT_PORT=$((p1 + 1)) ST_VGCA_PORT=$p2
	kh_on_exit st_stop_agents
}

# st_agent_pid: PID of the agent setup started in the background (or empty).
st_agent_pid() {
	local f
	for f in "$ROOT/var/lib/kyso/setup/agent.pid" "$HOME/.local/state/kyso/setup/agent.pid"; do
		if [[ -s $f ]]; then
			cat "$f"
			return 0
		fi
	done
	return 0
}

# st_stop_agents: stops the agents setup started (test exit), by PID.
st_stop_agents() {
	local f pid
	for f in "$ROOT/var/lib/kyso/setup/agent.pid" "$HOME/.local/state/kyso/setup/agent.pid" \
		${ST_EXTRA_PIDFILES:-}; do
		[[ -s $f ]] || continue
		pid=$(cat "$f")
		if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *kyso-agent* ]]; then
			kh_stop "$pid"
		fi
	done
}

# st_fixture: a fresh staging root, HOME and bundle.
st_fixture() {
	rm -rf "$ROOT" "$HOME" "$BUNDLE"
	mkdir -p "$ROOT/etc/kyso/tokens.d" "$ROOT/usr/lib" "$ROOT/var/lib/fake-apt" "$BUNDLE"
	mkdir -p "$HOME/.pki/nssdb" "$HOME/.mozilla/firefox/k1y2s3o4.default-release"
	certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
	certutil -N -d "sql:$HOME/.mozilla/firefox/k1y2s3o4.default-release" --empty-password
	mkdir -p "$ROOT/etc/pki/nssdb" # the system NSS database
	certutil -N -d "sql:$ROOT/etc/pki/nssdb" --empty-password
	echo pcscd >"$FAKE_APT_STATE" # already installed on this "system"
	# a system trust store with one CA of the distribution, bundle generated
	mkdir -p "$ROOT/usr/share/ca-certificates/test" "$ROOT/etc/ssl/certs"
	cp "$KH_PKI_ROOT_CERT" "$ROOT/usr/share/ca-certificates/test/test-root.crt"
	FAKE_APT_LOG=/dev/null "$KYSO_APT" update-ca-certificates "$ROOT"
	cp "$FAULTP11" "$BUNDLE/kyso-faultp11.so"
	st_catalog "$(sha256sum "$FAULTP11" | cut -d' ' -f1)"
	: >"$FAKE_APT_LOG"
}

# st_catalog SHA256 [EXTRA_BUNDLE_FILE]: catalog override for the ePass2003
# entry: driver = the vendor module from the bundle, plus packages.
st_catalog() {
	python3 - "$KYSO_SRC/data/tokens.json" "$ROOT/etc/kyso/tokens.d/test.json" "$1" "${2:-}" <<'PY'
import json, sys
src, dst, sha, extra = sys.argv[1:5]
cat = json.load(open(src, encoding="utf-8"))
e = next(t for t in cat["tokens"] if t["id"] == "feitian-epass2003")
bundle = [{"file": "kyso-faultp11.so", "sha256": sha, "kind": "module"}]
if extra:
    bundle.append({"file": extra, "sha256": "0" * 64, "kind": "module"})
e["driver"]["linux"] = {"modules": ["kyso-faultp11.so"], "packages": ["pcscd", "libccid", "opensc"],
                        "bundle": bundle}
json.dump({"schema": 1, "tokens": [e]}, open(dst, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}

# st_manifest: every path under ROOT and HOME with type, mode, link target
# and content hash (NSS databases included), plus the NSS module lists.
st_manifest() {
	local d
	for d in "$ROOT" "$HOME"; do
		(cd "$d" && find . -printf '%p %y %m %l\n' | sort)
		# NSS's SQLite files change bytes on any write (a certificate
		# added then removed): their content is compared as listings below
		(cd "$d" && find . -type f ! -name cert9.db ! -name key4.db -print0 | sort -z |
			xargs -0 -r sha256sum)
		# ... and their rows (every certificate, trust object, key) byte for byte
		(cd "$d" && find . \( -name cert9.db -o -name key4.db \) -print0 | sort -z |
			while IFS= read -r -d '' f; do
				echo "$f rows $(sqlite3 "$f" .dump | sha256sum | cut -d' ' -f1)"
			done)
	done
	st_nss_list
}

# st_nss_list: the modules and certificates of the NSS databases.
st_nss_list() {
	local db
	while IFS= read -r db; do
		echo "certificates of ${db#"$HOME"}:"
		certutil -L -d "sql:$(dirname "$db")" 2>&1 | tail -n +5 || true
	done < <(find "$HOME" "$ROOT" -name cert9.db 2>/dev/null | sort)
	modutil -dbdir "sql:$HOME/.pki/nssdb" -list 2>&1 | grep -E '^ *[0-9]+\. ' || true
	modutil -dbdir "sql:$HOME/.mozilla/firefox/k1y2s3o4.default-release" -list 2>&1 |
		grep -E '^ *[0-9]+\. ' || true
	if [[ -d $ROOT/etc/pki/nssdb ]]; then
		modutil -dbdir "sql:$ROOT/etc/pki/nssdb" -list 2>&1 | grep -E '^ *[0-9]+\. ' || true
	fi
}

# st_card: private pcscd with the virtual ePass2003 in reader 0.
st_card() {
	kh_pcscd_start
	kh_vicc_insert "$EPASS_ATR" 0
}

# st_setup ARGS...: kyso setup on the staging root (output in $KH_TMP/out, $KH_TMP/err).
st_setup() {
	set +e
	kyso setup --root "$ROOT" --bundle "$BUNDLE" --unattended --pin-env KH_P11_USER_PIN \
		--token-label kyso-rsa --ca "$KH_PKI_ROOT_CERT" "$@" >"$KH_TMP/out" 2>"$KH_TMP/err"
	ST_RC=$?
	set -e
	return 0
}

st_show() {
	echo "--- exit $ST_RC; stdout:"
	cat "$KH_TMP/out"
	echo "--- stderr:"
	cat "$KH_TMP/err"
}
