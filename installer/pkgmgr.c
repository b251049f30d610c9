/* Distribution packages: apt-get/dpkg-query on the real system; a stand-in
 * program named by KYSO_APT (tests, packagers) that takes
 *   status NAME          exit 0 when installed, 1 when not
 *   install NAME         install from the distribution
 *   install-file FILE    install a .deb file
 *   remove NAME          remove
 * Under a staging root (--root) without KYSO_APT packages are not touched. */
#include "kyso_process.h"
#include "setup_int.h"

#include <stdlib.h>
#include <string.h>

static const char *fake_apt(void)
{
	const char *v = kyso_test_hook("KYSO_APT");
	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool kyso_setup_pkg_available(const kyso_setup_opts_t *o)
{
	return fake_apt() != NULL || o->root[0] == '\0';
}

static kyso_err_t run(const char *const argv[], kyso_buf_t *out, int *status, kyso_error_t *err)
{
	return kyso_spawn(argv, out, 1u << 16, 30 * 60 * 1000, status, err);
}

pkg_state_t kyso_setup_pkg_state(const kyso_setup_opts_t *o, const char *name)
{
	int status = -1;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (fake_apt() != NULL) {
		const char *argv[] = {fake_apt(), "status", name, NULL};
		if (run(argv, NULL, &status, &err) != KYSO_OK)
			return PKG_UNKNOWN;
		return status == 0 ? PKG_INSTALLED : PKG_NOT_INSTALLED;
	}
	if (o->root[0] != '\0')
		return PKG_UNKNOWN;
	kyso_buf_t out;
	kyso_buf_init(&out);
	const char *argv[] = {"dpkg-query", "-W", "-f=${db:Status-Status}", name, NULL};
	pkg_state_t st = PKG_UNKNOWN;
	if (run(argv, &out, &status, &err) == KYSO_OK) {
		bool inst = out.len == 9 && memcmp(out.data, "installed", 9) == 0;
		st = inst ? PKG_INSTALLED : PKG_NOT_INSTALLED;
	}
	kyso_buf_free(&out);
	return st;
}

static kyso_err_t apt(const char *verb, const char *arg, kyso_error_t *err)
{
	int status = -1;
	kyso_err_t rc;
	if (fake_apt() != NULL) {
		const char *argv[] = {fake_apt(), verb, arg, NULL};
		rc = run(argv, NULL, &status, err);
	} else {
		setenv("DEBIAN_FRONTEND", "noninteractive", 1);
		const char *v = strcmp(verb, "remove") == 0 ? "remove" : "install";
		const char *argv[] = {
		        "/usr/bin/apt-get", "-y", "-q", "--no-install-recommends", v, arg, NULL};
		rc = run(argv, NULL, &status, err);
	}
	if (rc != KYSO_OK)
		return rc;
	if (status != 0)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                      _("The package manager failed (%s %s, exit status %d)"), verb,
		                      arg, status);
	return KYSO_OK;
}

kyso_err_t kyso_setup_pkg_install(const kyso_setup_opts_t *o, const char *name, kyso_error_t *err)
{
	(void)o;
	return apt("install", name, err);
}

kyso_err_t kyso_setup_pkg_install_file(const kyso_setup_opts_t *o, const char *file,
                                       kyso_error_t *err)
{
	(void)o;
	/* apt-get takes a .deb path when it contains a slash */
	return apt(fake_apt() != NULL ? "install-file" : "install", file, err);
}

kyso_err_t kyso_setup_pkg_remove(const char *name, kyso_error_t *err)
{
	return apt("remove", name, err);
}

char *kyso_setup_pkg_deb_name(const char *file)
{
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_error_t err;
	kyso_error_clear(&err);
	const char *argv[] = {"dpkg-deb", "-f", file, "Package", NULL};
	char *name = NULL;
	if (run(argv, &out, &status, &err) == KYSO_OK && status == 0 &&
	    kyso_buf_append(&out, "", 1) == KYSO_OK) {
		char *s = (char *)out.data;
		s[strcspn(s, "\r\n")] = '\0';
		if (s[0] != '\0')
			name = strdup(s);
	}
	kyso_buf_free(&out);
	return name;
}
