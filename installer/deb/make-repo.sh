#!/usr/bin/env bash
# make-repo.sh DIR DEB... : a signed apt repository in DIR (flat layout:
# "deb [signed-by=DIR/kyso-archive.asc] file:DIR ./"), Packages/Release made
# by apt-ftparchive, Release signed (InRelease + Release.gpg) with the key
# of KYSO_REPO_KEY (a key id in GNUPGHOME) or, without it, a signing key made
# for this repository in DIR/.gnupg (tests, trials: docs/deploy.md says how
# an agency signs with its own key). The public key: DIR/kyso-archive.asc.
set -euo pipefail
dir=${1:?DIR}
shift
[[ $# -gt 0 ]] || { echo "make-repo.sh: no .deb given" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cp "$@" "$dir/"
key=${KYSO_REPO_KEY:-}
if [[ -z $key ]]; then
	export GNUPGHOME=$dir/.gnupg
	if [[ ! -d $GNUPGHOME ]]; then
		mkdir -m 700 "$GNUPGHOME"
		gpg --batch --quiet --passphrase '' --quick-gen-key \
			"kyso test archive key <kyso-archive@invalid>" ed25519 sign 1y
	fi
	key=$(gpg --batch --list-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
fi
gpg --batch --yes --armor --export "$key" >"$dir/kyso-archive.asc"
cd "$dir"
apt-ftparchive packages . >Packages
gzip -9nkf Packages
apt-ftparchive -o APT::FTPArchive::Release::Origin=kyso \
	-o APT::FTPArchive::Release::Label=kyso -o APT::FTPArchive::Release::Suite=stable \
	release . >Release.new
mv Release.new Release
gpg --batch --yes --local-user "$key" --clearsign -o InRelease Release
gpg --batch --yes --local-user "$key" -abs -o Release.gpg Release
echo "$dir"
