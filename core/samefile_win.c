/* Same-file test on Windows: stat() has no inode numbers (st_ino is 0), so
 * the volume serial number and file index of both opened files. */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>

static bool file_id(const char *path, BY_HANDLE_FILE_INFORMATION *fi)
{
	wchar_t *w = kyso_win_wide(path);
	if (w == NULL)
		return false;
	HANDLE h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	                       OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return false;
	bool ok = GetFileInformationByHandle(h, fi) != 0;
	CloseHandle(h);
	return ok;
}

bool kyso_same_file(const char *a, const char *b)
{
	BY_HANDLE_FILE_INFORMATION fa, fb;
	return file_id(a, &fa) && file_id(b, &fb) &&
	       fa.dwVolumeSerialNumber == fb.dwVolumeSerialNumber &&
	       fa.nFileIndexHigh == fb.nFileIndexHigh && fa.nFileIndexLow == fb.nFileIndexLow;
}
