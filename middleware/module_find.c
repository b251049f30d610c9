/* The p11-kit module file kyso writes (finding modules: core's
 * kyso_p11_module_find). */
#include "kyso_middleware.h"
#include "kyso_platform.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root_or_empty(const char *root)
{
	if (root == NULL || strcmp(root, "/") == 0)
		return "";
	return root;
}

char *kyso_p11kit_module_file(const char *root, bool user, const char *type_id)
{
	char path[PATH_MAX];
	if (user) {
		const char *xdg = getenv("XDG_CONFIG_HOME");
		const char *home = getenv("HOME");
		if (xdg != NULL && xdg[0] == '/')
			snprintf(path, sizeof(path), "%s/pkcs11/modules/kyso-%s.module", xdg,
			         type_id);
		else
			snprintf(path, sizeof(path), "%s/.config/pkcs11/modules/kyso-%s.module",
			         home != NULL ? home : "/tmp", type_id);
	} else {
		snprintf(path, sizeof(path), "%s/etc/pkcs11/modules/kyso-%s.module",
		         root_or_empty(root), type_id);
	}
	return strdup(path);
}

char *kyso_p11kit_module_text(const char *module_path)
{
	char *s = NULL;
	if (asprintf(&s,
	             "# Written by kyso setup; removed by \"kyso setup --uninstall\".\n"
	             "module: %s\n"
	             "critical: no\n",
	             module_path) < 0)
		return NULL;
	return s;
}
