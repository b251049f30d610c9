/* PKCS#11 module lookup on Linux: $KYSO_P11_PATH (':'-separated), the
 * multiarch and plain library dirs with their pkcs11/ subdirs, /usr/local/lib
 * and /opt/<vendor>/lib (vendor drivers install there). */
#include "core_int.h"
#include "kyso_platform.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef KYSO_MULTIARCH
#define KYSO_MULTIARCH "x86_64-linux-gnu"
#endif

char *kyso_core_p11_file_in(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;
	if (kyso_str_printf(path, sizeof(path), "%s/%s", dir, name) && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return strdup(path);
	return NULL;
}

static char *search_opt(const char *name)
{
	DIR *d = opendir("/opt");
	char *hit = NULL;
	if (d == NULL)
		return NULL;
	struct dirent *e;
	while (hit == NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char dir[4096];
		snprintf(dir, sizeof(dir), "/opt/%s/lib", e->d_name);
		hit = kyso_core_p11_file_in(dir, name);
		if (hit == NULL) {
			snprintf(dir, sizeof(dir), "/opt/%s", e->d_name);
			hit = kyso_core_p11_file_in(dir, name);
		}
	}
	closedir(d);
	return hit;
}

/* root ("" for this system) + path, when that is a regular file */
static char *rooted_file(const char *root, const char *path)
{
	char full[4096];
	struct stat st;
	snprintf(full, sizeof(full), "%s%s", root, path);
	return stat(full, &st) == 0 && S_ISREG(st.st_mode) ? strdup(full) : NULL;
}

char *kyso_p11_module_find(const char *root, const char *name)
{
	static const char *const dirs[] = {
	        "/usr/lib/" KYSO_MULTIARCH,
	        "/usr/lib/" KYSO_MULTIARCH "/pkcs11",
	        "/lib/" KYSO_MULTIARCH,
	        "/usr/lib",
	        "/usr/lib/pkcs11",
	        "/usr/local/lib",
	        "/usr/local/lib/pkcs11",
	        "/usr/lib64",
	        "/usr/lib/kyso",
	        "/usr/lib/kyso/vendor",
	        "/usr/lib/softhsm",
	};
	if (name == NULL || *name == '\0')
		return NULL;
	const char *r = root == NULL || strcmp(root, "/") == 0 ? "" : root;
	if (name[0] == '/')
		return rooted_file(r, name);
	if (strchr(name, '/') != NULL)
		return r[0] == '\0' ? rooted_file("", name) : NULL;
	if (r[0] == '\0') {
		const char *env = getenv("KYSO_P11_PATH");
		char *hit = env != NULL && *env != '\0' ? kyso_core_p11_search_list(env, ':', name)
		                                        : NULL;
		if (hit != NULL)
			return hit;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		char *hit = rooted_file(r, path);
		if (hit != NULL)
			return hit;
	}
	if (r[0] != '\0')
		return NULL;
	/* next to the running program (build trees: <prefix>/lib) */
	char prefix[4096], real[PATH_MAX];
	if (kyso_install_prefix(prefix, sizeof(prefix))) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/lib/%s", prefix, name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && realpath(path, real) != NULL)
			return strdup(real);
	}
	return search_opt(name);
}
