/* kyso_memfile on Windows: a temporary file (FILE_ATTRIBUTE_TEMPORARY, so it
 * mostly stays in the cache; FILE_FLAG_DELETE_ON_CLOSE) read back whole. */
#include "kyso_platform.h"
#include "win_int.h"

#include <fcntl.h>
#include <io.h>
#include <stdlib.h>

struct kyso_memfile {
	FILE *f;
};

static FILE *temp_stream(void)
{
	wchar_t dir[MAX_PATH + 1];
	wchar_t path[MAX_PATH + 16];
	DWORD n = GetTempPathW(MAX_PATH + 1, dir);
	if (n == 0 || n > MAX_PATH || GetTempFileNameW(dir, L"kys", 0, path) == 0)
		return NULL;
	HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	                       FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DeleteFileW(path);
		return NULL;
	}
	int fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		return NULL;
	}
	FILE *f = _fdopen(fd, "w+b");
	if (f == NULL)
		_close(fd);
	return f;
}

kyso_memfile_t *kyso_memfile_new(void)
{
	kyso_memfile_t *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->f = temp_stream();
	if (m->f == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

FILE *kyso_memfile_stream(kyso_memfile_t *m)
{
	return m->f;
}

char *kyso_memfile_finish(kyso_memfile_t *m, size_t *len)
{
	char *out = NULL;
	long size = -1;
	if (fflush(m->f) == 0 && fseek(m->f, 0, SEEK_END) == 0)
		size = ftell(m->f);
	if (size >= 0 && fseek(m->f, 0, SEEK_SET) == 0)
		out = malloc((size_t)size + 1);
	if (out != NULL && fread(out, 1, (size_t)size, m->f) == (size_t)size) {
		out[size] = '\0';
		if (len != NULL)
			*len = (size_t)size;
	} else {
		free(out);
		out = NULL;
	}
	if (fclose(m->f) != 0) {
		free(out);
		out = NULL;
	}
	free(m);
	return out;
}
