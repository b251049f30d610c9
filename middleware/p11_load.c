/* Why a PKCS#11 module file cannot be loaded: missing, not a shared library,
 * built for another architecture (ELF or PE header, kyso_lib_arch), missing
 * dependency (dlerror). */
#include "kyso_middleware.h"
#include "mw_int.h"
#include "kyso_platform.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

const char *kyso_p11_load_status_id(kyso_p11_load_status_t st)
{
	switch (st) {
	case KYSO_P11_LOAD_OK:
		return "ok";
	case KYSO_P11_LOAD_MISSING:
		return "missing";
	case KYSO_P11_LOAD_NOT_ELF:
		return "not-elf";
	case KYSO_P11_LOAD_WRONG_ARCH:
		return "wrong-arch";
	case KYSO_P11_LOAD_MISSING_DEP:
		return "missing-dependency";
	case KYSO_P11_LOAD_DLOPEN:
		return "dlopen";
	case KYSO_P11_LOAD_NOT_PKCS11:
		return "not-pkcs11";
	case KYSO_P11_LOAD_INIT_FAILED:
		return "init-failed";
	}
	return "unknown";
}

kyso_p11_load_status_t kyso_p11_check_file(const char *path, kyso_error_t *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s is missing: %s (the driver is not installed, "
		                 "or it is installed somewhere else)"),
		               path, strerror(errno));
		return KYSO_P11_LOAD_MISSING;
	}
	char arch[64];
	bool loadable = false;
	if (!kyso_lib_arch(path, arch, sizeof(arch), &loadable)) {
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("%s is not a shared library (no %s header)"), path,
		               kyso_lib_format());
		return KYSO_P11_LOAD_NOT_ELF;
	}
	if (!loadable) {
		char self[64];
		kyso_self_arch(self, sizeof(self));
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s is built for %s; this program is %s and cannot "
		                 "load it (install the driver for %s)"),
		               path, arch, self, self);
		return KYSO_P11_LOAD_WRONG_ARCH;
	}
	return KYSO_P11_LOAD_OK;
}

/* "libfoo.so.1: cannot open shared object file" for a file other than the
 * module itself means a dependency is missing. */
static bool missing_dependency(const char *why, const char *path, char *dep, size_t cap)
{
	const char *tail = strstr(why, ": cannot open shared object file");
	if (tail == NULL)
		return false;
	/* dlerror: "<module>: <dep>: cannot open shared object file: ..." */
	const char *start = tail;
	while (start > why && !(start[-1] == ' ' && start - 2 >= why && start[-2] == ':'))
		start--;
	size_t len = (size_t)(tail - start);
	if (len == 0 || len >= cap)
		return false;
	memcpy(dep, start, len);
	dep[len] = '\0';
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	return strcmp(dep, path) != 0 && strcmp(dep, base) != 0;
}

kyso_p11_load_status_t mw_dlopen(const char *path, void **handle, kyso_error_t *err)
{
	*handle = NULL;
	kyso_p11_load_status_t st = kyso_p11_check_file(path, err);
	if (st != KYSO_P11_LOAD_OK)
		return st;
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();
		if (why == NULL)
			why = "dlopen";
		char dep[256];
		if (missing_dependency(why, path, dep, sizeof(dep))) {
			kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
			               _("PKCS#11 module %s needs %s, which is not installed (%s)"),
			               path, dep, why);
			return KYSO_P11_LOAD_MISSING_DEP;
		}
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s cannot be loaded: %s"), path, why);
		return KYSO_P11_LOAD_DLOPEN;
	}
	*handle = h;
	return KYSO_P11_LOAD_OK;
}
