/* Why a PKCS#11 module file cannot be loaded: missing, not a shared library,
 * built for another architecture (ELF or PE header, kyso_lib_arch), missing
 * dependency (dlerror). */
#include "kyso_middleware.h"
#include "mw_int.h"
#include "kyso_config.h"
#include "kyso_platform.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
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

static kyso_p11_load_status_t module_dlopen(const char *path, void **handle, kyso_error_t *err)
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

kyso_err_t kyso_p11_module_load(const char *path, void **handle, void **function_list,
                                kyso_p11_load_status_t *status, kyso_error_t *err)
{
	*handle = NULL;
	*function_list = NULL;
	kyso_p11_load_status_t st = module_dlopen(path, handle, err);
	if (st == KYSO_P11_LOAD_OK) {
		CK_C_GetFunctionList gfl = NULL;
		*(void **)&gfl = dlsym(*handle, "C_GetFunctionList");
		CK_FUNCTION_LIST_PTR fl = NULL;
		CK_RV rv = gfl != NULL ? gfl(&fl) : CKR_FUNCTION_NOT_SUPPORTED;
		if (gfl == NULL || rv != CKR_OK || fl == NULL) {
			st = KYSO_P11_LOAD_NOT_PKCS11;
			kyso_error_set(
			        err, KYSO_ERR_MODULE_LOAD,
			        gfl == NULL ? _("%s is not a PKCS#11 module (no C_GetFunctionList)")
			                    : _("%s: C_GetFunctionList failed"),
			        path);
			dlclose(*handle);
			*handle = NULL;
		} else {
			*function_list = fl;
		}
	}
	if (status != NULL)
		*status = st;
	return st == KYSO_P11_LOAD_OK ? KYSO_OK : KYSO_ERR_MODULE_LOAD;
}

kyso_err_t kyso_p11_module_resolve(const char *option, char **path, kyso_error_t *err)
{
	*path = NULL;
	if (option != NULL && option[0] != '\0') {
		*path = strdup(option);
	} else {
		kyso_config_t *c = kyso_config_load();
		if (c != NULL && c->pkcs11_module != NULL)
			*path = strdup(c->pkcs11_module);
		kyso_config_free(&c);
		if (*path == NULL)
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("No PKCS#11 module is registered (run \"kyso setup\"); "
			          "give one with --module PATH."));
	}
	if (*path == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	return KYSO_OK;
}
