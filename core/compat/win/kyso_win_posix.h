/* POSIX names that mingw-w64 lacks, for the Windows build only. The build
 * force-includes this header (-include, see core/CMakeLists.txt) into every
 * kyso C file so the libraries keep one portable source; the functions are
 * implemented over Win32 in core/posix_compat_win.c. Paths are UTF-8. */
#ifndef KYSO_WIN_POSIX_H
#define KYSO_WIN_POSIX_H

#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

char *kyso_compat_strndup(const char *s, size_t n);
int kyso_compat_setenv(const char *name, const char *value, int overwrite);
int kyso_compat_unsetenv(const char *name);
char *kyso_compat_realpath(const char *path, char *resolved);

#define strndup  kyso_compat_strndup
#define setenv   kyso_compat_setenv
#define unsetenv kyso_compat_unsetenv
#define realpath kyso_compat_realpath

/* sigaction over signal(): only sa_handler is honoured (Windows delivers
 * SIGINT/SIGBREAK from the console and nothing else that matters here). */
struct sigaction {
	void (*sa_handler)(int);
	_sigset_t sa_mask;
	int sa_flags;
};
#ifndef SA_RESTART
#define SA_RESTART 0
#endif
int kyso_compat_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int kyso_compat_sigemptyset(_sigset_t *set);
#define sigaction(s, a, o) kyso_compat_sigaction((s), (a), (o))
#define sigemptyset(set)   kyso_compat_sigemptyset(set)

#ifdef __cplusplus
}
#endif
#endif
