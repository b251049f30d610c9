/* Program lookup on Windows: a name with a directory part as it is (an
 * existing file, not a folder), else SearchPathW (the program's folder, the
 * current folder, System32, Windows, PATH), ".exe" added when it has none. */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>
#include <string.h>

static bool is_file(const wchar_t *w)
{
	DWORD a = GetFileAttributesW(w);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

char *kyso_find_program(const char *name)
{
	if (name == NULL || *name == '\0')
		return NULL;
	wchar_t *w = kyso_win_wide(name);
	if (w == NULL)
		return NULL;
	char *out = NULL;
	if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL) {
		if (is_file(w))
			out = strdup(name);
	} else {
		wchar_t full[MAX_PATH * 4];
		DWORD n = SearchPathW(NULL, w, L".exe", MAX_PATH * 4, full, NULL);
		if (n > 0 && n < MAX_PATH * 4 && is_file(full))
			out = kyso_win_utf8(full);
	}
	free(w);
	return out;
}
