/* PKCS#11 module lookup on Linux: $KYSO_P11_PATH (':'-separated), the
 * multiarch and plain library dirs with their pkcs11/ subdirs, /usr/local/lib
 * and /opt/<vendor>/lib (vendor drivers install there). */
#include "core_int.h"
#include "kyso_platform.h"

#include <dirent.h>
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
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
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

char *kyso_p11_module_find(const char *name)
{
	static const char *const dirs[] = {
	        "/usr/lib/" KYSO_MULTIARCH, "/usr/lib/" KYSO_MULTIARCH "/pkcs11",
	        "/lib/" KYSO_MULTIARCH,     "/usr/lib",
	        "/usr/lib/pkcs11",          "/usr/local/lib",
	        "/usr/local/lib/pkcs11",    "/usr/lib64",
	};
	if (name == NULL || *name == '\0')
		return NULL;
	if (strchr(name, '/') != NULL) {
		struct stat st;
		return stat(name, &st) == 0 && S_ISREG(st.st_mode) ? strdup(name) : NULL;
	}
	const char *env = getenv("KYSO_P11_PATH");
	if (env != NULL && *env != '\0') {
		char *hit = kyso_core_p11_search_list(env, ':', name);
		if (hit != NULL)
			return hit;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *hit = kyso_core_p11_file_in(dirs[i], name);
		if (hit != NULL)
			return hit;
	}
	return search_opt(name);
}
