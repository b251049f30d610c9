/* opendir/readdir/closedir/scandir/alphasort over FindFirstFileW, with
 * UTF-8 names and d_type (core/compat/win/dirent.h). "." and ".." are
 * listed as on POSIX. */
#include "win_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kyso_dir {
	HANDLE h;
	WIN32_FIND_DATAW fd;
	bool first; /* fd holds an entry not returned yet */
	struct dirent ent;
};

DIR *opendir(const char *path)
{
	size_t n = strlen(path);
	char *pattern = malloc(n + 3);
	if (pattern == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(pattern, path, n);
	size_t o = n;
	if (o > 0 && path[o - 1] != '\\' && path[o - 1] != '/')
		pattern[o++] = '\\';
	pattern[o++] = '*';
	pattern[o] = '\0';
	wchar_t *w = kyso_win_wide(pattern);
	free(pattern);
	DIR *d = calloc(1, sizeof(*d));
	if (w == NULL || d == NULL) {
		free(w);
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->h = FindFirstFileW(w, &d->fd);
	free(w);
	if (d->h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();
		free(d);
		errno = e == ERROR_PATH_NOT_FOUND || e == ERROR_FILE_NOT_FOUND ? ENOENT
		        : e == ERROR_DIRECTORY                                 ? ENOTDIR
		        : e == ERROR_ACCESS_DENIED                             ? EACCES
		                                                               : EIO;
		return NULL;
	}
	d->first = true;
	return d;
}

struct dirent *readdir(DIR *d)
{
	for (;;) {
		if (!d->first && !FindNextFileW(d->h, &d->fd))
			return NULL;
		d->first = false;
		int n = WideCharToMultiByte(CP_UTF8, 0, d->fd.cFileName, -1, d->ent.d_name,
		                            (int)sizeof(d->ent.d_name), NULL, NULL);
		if (n <= 0)
			continue; /* a name too long for d_name: skipped */
		d->ent.d_type =
		        (d->fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ? DT_DIR : DT_REG;
		return &d->ent;
	}
}

int closedir(DIR *d)
{
	if (d == NULL) {
		errno = EBADF;
		return -1;
	}
	BOOL ok = FindClose(d->h);
	free(d);
	return ok ? 0 : -1;
}

int alphasort(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
            int (*compar)(const struct dirent **, const struct dirent **))
{
	*list = NULL;
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	struct dirent **v = NULL;
	size_t n = 0;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (filter != NULL && !filter(e))
			continue;
		if (n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			struct dirent **nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		v[n] = malloc(sizeof(**v));
		if (v[n] == NULL)
			goto nomem;
		memcpy(v[n], e, sizeof(**v));
		n++;
	}
	closedir(d);
	if (compar != NULL && n > 1)
		qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))compar);
	*list = v;
	return (int)n;
nomem:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	closedir(d);
	errno = ENOMEM;
	return -1;
}
