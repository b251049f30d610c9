/* NSS databases (Chromium's shared ~/.pki/nssdb, Firefox profiles, the
 * system database) that kyso registers PKCS#11 modules in. */
#include "kyso_middleware.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool has_cert9(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;
	return kyso_str_printf(p, sizeof(p), "%s/cert9.db", dir) && stat(p, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

static bool push(char ***v, size_t *n, const char *s)
{
	char **more = realloc(*v, (*n + 2) * sizeof(**v));
	if (more == NULL)
		return false;
	*v = more;
	(*v)[*n] = strdup(s);
	if ((*v)[*n] == NULL)
		return false;
	(*n)++;
	(*v)[*n] = NULL;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every profile directory with a cert9.db under a Firefox root, sorted. */
static void firefox_profiles(const char *base, char ***v, size_t *n)
{
	DIR *d = opendir(base);
	if (d == NULL)
		return;
	size_t first = *n;
	struct dirent *e;
	char p[PATH_MAX];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", base, e->d_name);
		if (has_cert9(p) && !push(v, n, p))
			break;
	}
	closedir(d);
	if (*n > first)
		qsort(*v + first, *n - first, sizeof(**v), cmp_str);
}

char **kyso_nss_dbs_find(const char *root, const char *home)
{
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	char p[PATH_MAX];
	if (v == NULL)
		return NULL;
	if (home != NULL && home[0] != '\0') {
		snprintf(p, sizeof(p), "%s/.pki/nssdb", home);
		if (has_cert9(p))
			push(&v, &n, p);
		snprintf(p, sizeof(p), "%s/.mozilla/firefox", home);
		firefox_profiles(p, &v, &n);
		snprintf(p, sizeof(p), "%s/snap/firefox/common/.mozilla/firefox", home);
		firefox_profiles(p, &v, &n);
	}
	snprintf(p, sizeof(p), "%s/etc/pki/nssdb",
	         root == NULL || strcmp(root, "/") == 0 ? "" : root);
	if (has_cert9(p))
		push(&v, &n, p);
	return v;
}

void kyso_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
