/* Showing a result on Windows: the default program for a file
 * (ShellExecuteW) and a key press on the console (_getwch). */
#include "kyso_platform.h"
#include "win_int.h"

#include <conio.h>
#include <io.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>

kyso_err_t kyso_open_document(const char *path, kyso_error_t *err)
{
	wchar_t *w = kyso_win_wide(path);
	if (w == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	HINSTANCE h = ShellExecuteW(NULL, L"open", w, NULL, NULL, SW_SHOWNORMAL);
	free(w);
	/* values up to 32 are errors (SE_ERR_*) */
	if ((INT_PTR)h <= 32)
		return kyso_error_set(err, KYSO_ERR_IO, _("Windows cannot open %s (error %d)"),
		                      path, (int)(INT_PTR)h);
	return KYSO_OK;
}

int kyso_wait_key(void)
{
	int c;
	if (_isatty(_fileno(stdin))) {
		wint_t k = _getwch();
		c = k == WEOF ? -1 : (int)k;
	} else {
		c = getchar();
		c = c == EOF ? -1 : c;
	}
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}
