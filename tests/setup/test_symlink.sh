#!/usr/bin/env bash
# Setup run as root never follows a symbolic link a user planted in the home
# it changes: ~/.local/state -> a root-owned folder (standing in for /etc) is
# refused at setup, and swapped in before --uninstall it does not make undo
# remove the folder it points to. Nothing in the target changes.
. "$KYSO_SRC/tests/setup/common.sh"
if [[ $(id -u) -ne 0 ]]; then
	echo "needs root: the attack is a user's link followed by root" >&2
	exit 77
fi
st_env
st_fixture
st_card

victim=$KH_TMP/victim # root-owned, like /etc
rm -rf "$victim"
mkdir -p "$victim/kyso"
echo precious >"$victim/kyso/keep.conf"
chmod 0755 "$victim" "$victim/kyso"
snap() { (cd "$victim" && find . -printf '%p %u %g %m\n' | sort && cat kyso/keep.conf); }
snap >"$KH_TMP/v0"

# the user (nobody) owns ~/.local and plants the link there
mkdir -p "$HOME/.local"
ln -s "$victim" "$HOME/.local/state"
chown -h nobody "$HOME/.local" "$HOME/.local/state"

st_setup
kh_check "planted link: setup fails (exit 3)" test "$ST_RC" -eq 3
kh_on_fail st_show
kh_check "planted link: the message names the link" \
	grep -q '"state" is a symbolic link owned by another user' "$KH_TMP/err"
snap >"$KH_TMP/v1"
kh_check "planted link: the target is unchanged (no agent folder, same owners)" \
	diff -u "$KH_TMP/v0" "$KH_TMP/v1"

# ---- undo: the link swapped in after a good setup ------------------------------
rm "$HOME/.local/state"
st_setup
kh_check "without the link setup succeeds" test "$ST_RC" -eq 0
kh_on_fail st_show
kh_check "setup created the agent state" test -d "$HOME/.local/state/kyso/agent"
mv "$HOME/.local/state" "$HOME/.local/state.real"
ln -s "$victim" "$HOME/.local/state"
chown -h nobody "$HOME/.local/state"
st_setup --uninstall
kh_check "uninstall names the refused link" \
	grep -q '"state" is a symbolic link owned by another user' "$KH_TMP/err"
kh_on_fail st_show
snap >"$KH_TMP/v2"
kh_check "uninstall through the link removed nothing of the target" \
	diff -u "$KH_TMP/v0" "$KH_TMP/v2"

# the refused undo lost nothing: the real state is where setup left it
rm "$HOME/.local/state"
mv "$HOME/.local/state.real" "$HOME/.local/state"
kh_check "the real agent state is intact" test -s "$HOME/.local/state/kyso/agent/ca.pem"
kh_done
