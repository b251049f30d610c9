/* PKCS#11 module lookup on Windows: $KYSO_P11_PATH (';'-separated), the
 * executable's folder, %SystemRoot%\System32 (where VNPT-CA, Viettel-CA,
 * FPT-CA, ... drivers put their *_csp11.dll), then %ProgramFiles%\<vendor>\
 * and %ProgramFiles(x86)%\<vendor>\ up to two folder levels deep. */
#include "core_int.h"
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>
#include <string.h>

char *kyso_core_p11_file_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p == NULL)
		return NULL;
	snprintf(p, n, "%s\\%s", dir, name);
	wchar_t *w = kyso_win_wide(p);
	DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	free(w);
	if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) == 0)
		return p;
	free(p);
	return NULL;
}

/* name in dir or in its subfolders, depth levels down. */
static char *search_tree(const char *dir, const char *name, int depth)
{
	char *hit = kyso_core_p11_file_in(dir, name);
	if (hit != NULL || depth == 0)
		return hit;
	size_t pn = strlen(dir) + 3;
	char *pattern = malloc(pn);
	if (pattern == NULL)
		return NULL;
	snprintf(pattern, pn, "%s\\*", dir);
	wchar_t *wp = kyso_win_wide(pattern);
	free(pattern);
	if (wp == NULL)
		return NULL;
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(wp, &fd);
	free(wp);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	do {
		if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0 ||
		    wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
			continue;
		char *sub = kyso_win_utf8(fd.cFileName);
		if (sub == NULL)
			continue;
		size_t sn = strlen(dir) + strlen(sub) + 2;
		char *subdir = malloc(sn);
		if (subdir != NULL) {
			snprintf(subdir, sn, "%s\\%s", dir, sub);
			hit = search_tree(subdir, name, depth - 1);
			free(subdir);
		}
		free(sub);
	} while (hit == NULL && FindNextFileW(h, &fd));
	FindClose(h);
	return hit;
}

static char *search_env_dir(const char *env, const char *sub, const char *name, int depth)
{
	char *base = kyso_win_getenv(env);
	if (base == NULL)
		return NULL;
	size_t n = strlen(base) + strlen(sub) + 2;
	char *dir = malloc(n);
	char *hit = NULL;
	if (dir != NULL) {
		snprintf(dir, n, "%s%s%s", base, *sub != '\0' ? "\\" : "", sub);
		hit = search_tree(dir, name, depth);
		free(dir);
	}
	free(base);
	return hit;
}

char *kyso_p11_module_find(const char *root, const char *name)
{
	(void)root;
	if (name == NULL || *name == '\0')
		return NULL;
	/* a path: just check it */
	if (strchr(name, '\\') != NULL || strchr(name, '/') != NULL || strchr(name, ':') != NULL) {
		wchar_t *w = kyso_win_wide(name);
		DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
		free(w);
		return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) == 0
		               ? strdup(name)
		               : NULL;
	}
	char *hit = NULL;
	char *env = kyso_win_getenv("KYSO_P11_PATH");
	if (env != NULL) {
		hit = kyso_core_p11_search_list(env, ';', name);
		free(env);
	}
	if (hit == NULL && *kyso_path_exe_dir() != '\0')
		hit = kyso_core_p11_file_in(kyso_path_exe_dir(), name);
	if (hit == NULL) {
		wchar_t sys[MAX_PATH];
		UINT n = GetSystemDirectoryW(sys, MAX_PATH);
		char *s = n > 0 && n < MAX_PATH ? kyso_win_utf8(sys) : NULL;
		if (s != NULL)
			hit = kyso_core_p11_file_in(s, name);
		free(s);
	}
	if (hit == NULL)
		hit = search_env_dir("ProgramFiles", "", name, 2);
	if (hit == NULL)
		hit = search_env_dir("ProgramFiles(x86)", "", name, 2);
	return hit;
}
