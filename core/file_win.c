/* Files: atomic write (temp file + FlushFileBuffers + MoveFileExW with
 * MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) and whole-file reads.
 * Windows implementation; paths are UTF-8. The mode argument is ignored:
 * new files inherit the folder's ACL. */
#include "core_int.h"
#include "win_int.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

struct kyso_atomic_file {
	wchar_t *path;
	wchar_t *tmp;
	char *path_utf8;
	FILE *fp;
};

static void atomic_file_free(kyso_atomic_file_t *af)
{
	free(af->path);
	free(af->tmp);
	free(af->path_utf8);
	free(af);
}

/* Creates "<path>.tmp-<pid>-<n>" exclusively; returns its handle. */
static HANDLE create_temp(kyso_atomic_file_t *af)
{
	static volatile LONG counter;
	size_t cap = wcslen(af->path) + 48;
	af->tmp = malloc(cap * sizeof(wchar_t));
	if (af->tmp == NULL)
		return INVALID_HANDLE_VALUE;
	for (int attempt = 0; attempt < 100; attempt++) {
		_snwprintf(af->tmp, cap, L"%ls.tmp-%lu-%ld", af->path,
		           (unsigned long)GetCurrentProcessId(), InterlockedIncrement(&counter));
		af->tmp[cap - 1] = L'\0';
		HANDLE h = CreateFileW(af->tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
		                       FILE_ATTRIBUTE_NORMAL, NULL);
		if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_EXISTS)
			return h;
	}
	return INVALID_HANDLE_VALUE;
}

kyso_atomic_file_t *kyso_atomic_file_new(const char *path, unsigned mode, kyso_error_t *err)
{
	(void)mode; /* ACLs are inherited from the folder */
	kyso_atomic_file_t *af = calloc(1, sizeof(*af));
	if (af == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	af->path = kyso_win_wide(path);
	af->path_utf8 = strdup(path);
	if (af->path == NULL || af->path_utf8 == NULL) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not a valid UTF-8 path: %s"), path);
		atomic_file_free(af);
		return NULL;
	}
	HANDLE h = create_temp(af);
	if (h == INVALID_HANDLE_VALUE) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot create a temporary file next to %s: %s"),
		               path, kyso_win_strerror(GetLastError()));
		atomic_file_free(af);
		return NULL;
	}
	int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
	} else {
		af->fp = _fdopen(fd, "wb");
		if (af->fp == NULL)
			_close(fd);
	}
	if (af->fp == NULL) {
		kyso_error_set(err, KYSO_ERR_IO, "%s: %s", path, strerror(errno));
		DeleteFileW(af->tmp);
		atomic_file_free(af);
		return NULL;
	}
	return af;
}

FILE *kyso_atomic_file_stream(kyso_atomic_file_t *af)
{
	return af->fp;
}

void kyso_atomic_file_abort(kyso_atomic_file_t **afp)
{
	if (afp == NULL || *afp == NULL)
		return;
	kyso_atomic_file_t *af = *afp;
	if (af->fp != NULL)
		fclose(af->fp);
	if (!DeleteFileW(af->tmp) && GetLastError() != ERROR_FILE_NOT_FOUND)
		kyso_warn("cannot remove the temporary file for %s: %s", af->path_utf8,
		          kyso_win_strerror(GetLastError()));
	atomic_file_free(af);
	*afp = NULL;
}

void kyso_atomic_file_sync_start(kyso_atomic_file_t *af)
{
	(void)af; /* FlushFileBuffers in the commit writes everything */
}

kyso_err_t kyso_atomic_file_commit(kyso_atomic_file_t **afp, kyso_error_t *err)
{
	kyso_atomic_file_t *af = *afp;
	bool bad = ferror(af->fp) || fflush(af->fp) != 0;
	const char *why = bad ? strerror(errno) : NULL;
	/* NOLINTNEXTLINE(performance-no-int-to-ptr): the CRT hands out handles as intptr_t */
	if (!bad && !FlushFileBuffers((HANDLE)_get_osfhandle(_fileno(af->fp)))) {
		bad = true;
		why = kyso_win_strerror(GetLastError());
	}
	if (fclose(af->fp) != 0 && !bad) {
		bad = true;
		why = strerror(errno);
	}
	af->fp = NULL;
	if (bad) {
		kyso_error_set(err, KYSO_ERR_IO, _("Writing %s failed: %s"), af->path_utf8, why);
		kyso_atomic_file_abort(afp);
		return KYSO_ERR_IO;
	}
	if (!MoveFileExW(af->tmp, af->path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot replace %s: %s"), af->path_utf8,
		               kyso_win_strerror(GetLastError()));
		kyso_atomic_file_abort(afp);
		return KYSO_ERR_IO;
	}
	atomic_file_free(af);
	*afp = NULL;
	return KYSO_OK;
}

kyso_err_t kyso_file_read_all(const char *path, size_t max, uint8_t **out, size_t *len,
                              kyso_error_t *err)
{
	*out = NULL;
	*len = 0;
	wchar_t *wpath = kyso_win_wide(path);
	if (wpath == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not a valid UTF-8 path: %s"),
		                      path);
	FILE *fp = _wfopen(wpath, L"rb");
	free(wpath);
	if (fp == NULL)
		return kyso_error_set(err, errno == ENOENT ? KYSO_ERR_NOT_FOUND : KYSO_ERR_IO,
		                      "%s: %s", path, strerror(errno));
	return kyso_core_read_stream(fp, path, max, out, len, err);
}
