/* UTF-8/UTF-16 conversion and Win32 error text for core's Windows code. */
#include "win_int.h"

#include <stdlib.h>
#include <string.h>

wchar_t *kyso_win_wide(const char *utf8)
{
	if (utf8 == NULL)
		return NULL;
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
	if (n <= 0)
		return NULL;
	wchar_t *w = malloc((size_t)n * sizeof(wchar_t));
	if (w == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

char *kyso_win_utf8(const wchar_t *wide)
{
	if (wide == NULL)
		return NULL;
	int n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
	if (n <= 0)
		return NULL;
	char *s = malloc((size_t)n);
	if (s == NULL)
		return NULL;
	if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, s, n, NULL, NULL) != n) {
		free(s);
		return NULL;
	}
	return s;
}

const char *kyso_win_strerror(DWORD code)
{
	static __thread char text[512];
	wchar_t wbuf[512];
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
	                         code, 0, wbuf, (DWORD)(sizeof(wbuf) / sizeof(wbuf[0])), NULL);
	while (n > 0 && (wbuf[n - 1] == L'\n' || wbuf[n - 1] == L'\r' || wbuf[n - 1] == L' '))
		wbuf[--n] = L'\0';
	if (n == 0 ||
	    WideCharToMultiByte(CP_UTF8, 0, wbuf, -1, text, (int)sizeof(text), NULL, NULL) <= 0)
		snprintf(text, sizeof(text), "Windows error %lu", (unsigned long)code);
	return text;
}

char *kyso_win_getenv(const char *name)
{
	wchar_t *wname = kyso_win_wide(name);
	if (wname == NULL)
		return NULL;
	wchar_t buf[32768];
	DWORD n = GetEnvironmentVariableW(wname, buf, (DWORD)(sizeof(buf) / sizeof(buf[0])));
	free(wname);
	if (n == 0 || n >= sizeof(buf) / sizeof(buf[0]))
		return NULL;
	return kyso_win_utf8(buf);
}

/* Appends one argument quoted the way CommandLineToArgvW and the C runtime
 * split it again (backslashes before a quote are doubled). */
static kyso_err_t quote_arg(kyso_buf_t *cl, const char *arg)
{
	kyso_err_t rc = KYSO_OK;
	if (cl->len > 0)
		rc = kyso_buf_append(cl, " ", 1);
	if (rc == KYSO_OK && *arg != '\0' && strpbrk(arg, " \t\n\v\"") == NULL)
		return kyso_buf_append(cl, arg, strlen(arg));
	if (rc == KYSO_OK)
		rc = kyso_buf_append(cl, "\"", 1);
	for (const char *p = arg; rc == KYSO_OK; p++) {
		size_t bs = 0;
		while (*p == '\\') {
			bs++;
			p++;
		}
		size_t times = *p == '\0' ? bs * 2 : *p == '"' ? bs * 2 + 1 : bs;
		for (size_t i = 0; i < times && rc == KYSO_OK; i++)
			rc = kyso_buf_append(cl, "\\", 1);
		if (*p == '\0' || rc != KYSO_OK)
			break;
		rc = kyso_buf_append(cl, p, 1);
	}
	if (rc == KYSO_OK)
		rc = kyso_buf_append(cl, "\"", 1);
	return rc;
}

char *kyso_win_quote_argv(const char *const argv[])
{
	kyso_buf_t cl;
	kyso_buf_init(&cl);
	for (size_t i = 0; argv[i] != NULL; i++)
		if (quote_arg(&cl, argv[i]) != KYSO_OK)
			goto fail;
	if (kyso_buf_append(&cl, "", 1) != KYSO_OK)
		goto fail;
	return (char *)cl.data;
fail:
	kyso_buf_free(&cl);
	return NULL;
}
