/* Internal helpers shared by the Windows implementations (core/<name>_win.c). */
#ifndef KYSO_WIN_INT_H
#define KYSO_WIN_INT_H

#include "kyso_core.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
/* argv as one command line quoted for CommandLineToArgvW and the C
 * runtime (allocated, UTF-8). */
char *kyso_win_quote_argv(const char *const argv[]);

#endif
#include <windows.h>

/* UTF-8 -> UTF-16, allocated (NULL on bad input or no memory). */
wchar_t *kyso_win_wide(const char *utf8);
/* UTF-16 -> UTF-8, allocated. */
char *kyso_win_utf8(const wchar_t *wide);
/* The system's text for a Win32 error code, UTF-8, without the trailing
 * newline; valid until the next call from the same thread. */
const char *kyso_win_strerror(DWORD code);
/* An environment variable as UTF-8 (allocated), NULL when unset or empty. */
char *kyso_win_getenv(const char *name);

/* argv as one command line quoted for CommandLineToArgvW and the C
 * runtime (allocated, UTF-8). */
char *kyso_win_quote_argv(const char *const argv[]);

#endif
