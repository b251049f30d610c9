/* PKCS#11 module: which one (option or kyso config) and a load check that
 * names the real reason (dlerror) before libp11 loads it. */
#include "kyso_config.h"
#include "sign_int.h"
#include "p11_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kyso_err_t kyso_p11_module_path(const char *module, char **path, kyso_error_t *err)
{
	*path = NULL;
	if (module != NULL && module[0] != '\0') {
		*path = strdup(module);
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

/* dlopen()s the module once to name the real reason when it cannot be
 * loaded; the handle stays open (libp11 then gets the same mapping, so the
 * module is not unloaded and loaded again) and gives the function list. */
kyso_err_t kyso_p11_module_check(const char *path, void **handle, kyso_error_t *err)
{
	*handle = NULL;
	struct stat st;
	if (stat(path, &st) != 0)
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		                      _("PKCS#11 module %s cannot be loaded: %s"), path,
		                      strerror(errno));
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		                      _("PKCS#11 module %s cannot be loaded: %s"), path,
		                      why != NULL ? why : "dlopen");
	}
	if (dlsym(h, "C_GetFunctionList") == NULL) {
		dlclose(h);
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		                      _("%s is not a PKCS#11 module (no C_GetFunctionList)."),
		                      path);
	}
	*handle = h;
	return KYSO_OK;
}

kyso_err_t kyso_p11_funcs_get(void *handle, CK_FUNCTION_LIST_PTR *fl, kyso_error_t *err)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
	*(void **)&get = dlsym(handle, "C_GetFunctionList");
	if (get == NULL || get(fl) != CKR_OK || *fl == NULL)
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD, "C_GetFunctionList failed");
	return KYSO_OK;
}
