# Shared by the Debian package tests: the packages built once per build tree
# (installer/deb/build.sh, dpkg-buildpackage from a clean copy) and a private
# dpkg root whose scripts run chrootless with DPKG_ROOT.

# deb_build OUT [VERSION]: prints the kyso .deb (built into OUT).
deb_build() {
	bash "$KYSO_SRC/installer/deb/build.sh" "$@"
}

# deb_root DIR: an empty dpkg database under DIR.
deb_root() {
	mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" "$1/var/lib/dpkg/triggers"
	: >"$1/var/lib/dpkg/status"
}

# deb_files_left DIR: files under DIR outside the dpkg database
deb_files_left() {
	find "$1" -path "$1/var/lib/dpkg" -prune -o \( -type f -o -type l \) -print
}
