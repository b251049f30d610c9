/* POSIX names that mingw-w64 lacks, for the Windows build only. The build
 * force-includes this header (-include, see core/CMakeLists.txt) into every
 * kyso C file so the libraries keep one portable source; the functions are
 * implemented over Win32 in core/posix_compat_win.c. Paths are UTF-8. */
#ifndef KYSO_WIN_POSIX_H
#define KYSO_WIN_POSIX_H

/* localtime_r/gmtime_r (inline in mingw's time.h) */
#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS 200112L
#endif

/* <windows.h>, wherever a library header pulls it in (curl.h through
 * winsock2.h, ...), without wincrypt.h: its X509_NAME and friends are macros
 * that break OpenSSL's types. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif

/* Headers declaring what the macros below replace come first. */
#include <direct.h>
#include <io.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

char *kyso_compat_strndup(const char *s, size_t n);
char *kyso_compat_strcasestr(const char *haystack, const char *needle);
int kyso_compat_setenv(const char *name, const char *value, int overwrite);
int kyso_compat_unsetenv(const char *name);
char *kyso_compat_realpath(const char *path, char *resolved);

time_t kyso_compat_timegm(struct tm *tm);
int kyso_compat_mkdir(const char *path, unsigned mode);
ssize_t kyso_compat_readlink(const char *path, char *buf, size_t size);
int kyso_compat_mkstemps(char *tmpl, int suffixlen);
char *kyso_compat_mkdtemp(char *tmpl);
char *kyso_compat_ttyname(int fd);
int kyso_compat_symlink(const char *target, const char *linkpath);

#define timegm kyso_compat_timegm
/* Windows has no POSIX symlinks: lstat is stat, readlink fails with EINVAL */
#define lstat stat
#ifndef S_ISLNK
#define S_ISLNK(m) 0
#endif
#define readlink          kyso_compat_readlink
#define mkdir(path, mode) kyso_compat_mkdir((path), (unsigned)(mode))
#define mkstemps          kyso_compat_mkstemps
#define mkdtemp           kyso_compat_mkdtemp
#define ttyname           kyso_compat_ttyname
#define symlink           kyso_compat_symlink
#define strndup           kyso_compat_strndup
#define strcasestr        kyso_compat_strcasestr
#define setenv            kyso_compat_setenv
#define unsetenv          kyso_compat_unsetenv
#define realpath          kyso_compat_realpath

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
/* Windows has no SIGPIPE (a write to a closed socket fails with an error);
 * sigaction(SIGPIPE, ...) succeeds and does nothing. */
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
int kyso_compat_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int kyso_compat_sigemptyset(_sigset_t *set);
#define sigaction(s, a, o) kyso_compat_sigaction((s), (a), (o))
#define sigemptyset(set)   kyso_compat_sigemptyset(set)

#ifdef __cplusplus
}
#endif
#endif
