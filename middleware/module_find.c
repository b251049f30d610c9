/* Where PKCS#11 modules live, and the p11-kit module file kyso writes. */
#include "kyso_middleware.h"
#include "kyso_platform.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#define KYSO_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define KYSO_MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define KYSO_MULTIARCH "i386-linux-gnu"
#else
#define KYSO_MULTIARCH ""
#endif

static const char *root_or_empty(const char *root)
{
	if (root == NULL || strcmp(root, "/") == 0)
		return "";
	return root;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char *kyso_module_find(const char *root, const char *name)
{
	const char *r = root_or_empty(root);
	char path[PATH_MAX];
	if (name == NULL || name[0] == '\0')
		return NULL;
	if (name[0] == '/') {
		snprintf(path, sizeof(path), "%s%s", r, name);
		return is_file(path) ? strdup(path) : NULL;
	}
	static const char *const dirs[] = {
	        "/usr/lib/" KYSO_MULTIARCH,
	        "/usr/lib/" KYSO_MULTIARCH "/pkcs11",
	        "/usr/lib",
	        "/usr/lib/pkcs11",
	        "/usr/local/lib",
	        "/usr/lib/kyso",
	        "/usr/lib/kyso/vendor",
	        "/usr/lib/softhsm",
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/%s", r, dirs[i], name);
		if (is_file(path))
			return strdup(path);
	}
	char prefix[PATH_MAX];
	if (r[0] == '\0' && kyso_install_prefix(prefix, sizeof(prefix))) {
		snprintf(path, sizeof(path), "%s/lib/%s", prefix, name);
		char real[PATH_MAX];
		if (is_file(path) && realpath(path, real) != NULL)
			return strdup(real);
	}
	/* the OS's own places (Windows: kyso's folder, System32, the vendors'
	 * Program Files folders, where setup finds what a vendor installed) */
	return r[0] == '\0' ? kyso_p11_module_find(name) : NULL;
}

bool kyso_install_prefix(char *dst, size_t cap)
{
	const char *exe = kyso_path_exe_dir();
	if (exe[0] == '\0')
		return false;
	size_t n = strlen(exe);
	static const char sub[] = "/libexec/kyso";
	/* programs live in <prefix>/bin and <prefix>/libexec/kyso */
	if (n >= sizeof(sub) - 1 && strcmp(exe + n - (sizeof(sub) - 1), sub) == 0)
		snprintf(dst, cap, "%.*s", (int)(n - (sizeof(sub) - 1)), exe);
	else
		snprintf(dst, cap, "%s/..", exe);
	return true;
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
