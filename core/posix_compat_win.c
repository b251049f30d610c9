/* POSIX functions mingw-w64 lacks, over Win32 (declared in
 * core/compat/win/: kyso_win_posix.h, dlfcn.h, sys/utsname.h). */
#include "kyso_platform.h"
#include "win_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

char *kyso_compat_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = malloc(len + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *kyso_compat_strcasestr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = haystack; *p != '\0'; p++)
		if (_strnicmp(p, needle, n) == 0)
			return (char *)p;
	return n == 0 ? (char *)haystack : NULL;
}

int kyso_compat_setenv(const char *name, const char *value, int overwrite)
{
	if (name == NULL || *name == '\0' || strchr(name, '=') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (!overwrite && getenv(name) != NULL)
		return 0;
	/* _putenv_s updates the C runtime's copy and the process environment */
	return _putenv_s(name, value) == 0 ? 0 : -1;
}

int kyso_compat_unsetenv(const char *name)
{
	return kyso_compat_setenv(name, "", 1);
}

char *kyso_compat_realpath(const char *path, char *resolved)
{
	wchar_t *w = kyso_win_wide(path);
	if (w == NULL) {
		errno = EINVAL;
		return NULL;
	}
	wchar_t full[MAX_PATH * 4];
	DWORD n = GetFullPathNameW(w, (DWORD)(sizeof(full) / sizeof(full[0])), full, NULL);
	DWORD attr = n > 0 ? GetFileAttributesW(full) : INVALID_FILE_ATTRIBUTES;
	free(w);
	if (n == 0 || n >= sizeof(full) / sizeof(full[0]) || attr == INVALID_FILE_ATTRIBUTES) {
		errno = ENOENT;
		return NULL;
	}
	char *u = kyso_win_utf8(full);
	if (u == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (resolved == NULL)
		return u;
	/* callers pass PATH_MAX (260 on mingw) buffers */
	if (strlen(u) >= 260) {
		free(u);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(resolved, u, strlen(u) + 1);
	free(u);
	return resolved;
}

time_t kyso_compat_timegm(struct tm *tm)
{
	return _mkgmtime(tm);
}

int kyso_compat_mkdir(const char *path, unsigned mode)
{
	(void)mode; /* ACLs are inherited from the parent folder */
	wchar_t *w = kyso_win_wide(path);
	if (w == NULL) {
		errno = EINVAL;
		return -1;
	}
	int r = _wmkdir(w);
	free(w);
	return r;
}

ssize_t kyso_compat_readlink(const char *path, char *buf, size_t size)
{
	(void)path;
	(void)buf;
	(void)size;
	errno = EINVAL; /* not a symbolic link */
	return -1;
}

/* Fills the trailing X's (before a suffix of suffixlen chars) with random
 * characters and creates the file exclusively. */
static int fill_template(char *tmpl, int suffixlen, size_t *xpos)
{
	size_t len = strlen(tmpl);
	if (suffixlen < 0 || len < (size_t)suffixlen + 6 ||
	    strncmp(tmpl + len - (size_t)suffixlen - 6, "XXXXXX", 6) != 0) {
		errno = EINVAL;
		return -1;
	}
	*xpos = len - (size_t)suffixlen - 6;
	return 0;
}

static void random_letters(char *dst)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static volatile LONG counter;
	uint64_t v = (uint64_t)GetTickCount64() * 6364136223846793005u +
	             (uint64_t)GetCurrentProcessId() * 1442695040888963407u +
	             (uint64_t)InterlockedIncrement(&counter) * 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 6; i++) {
		dst[i] = set[v % (sizeof(set) - 1)];
		v /= sizeof(set) - 1;
		v ^= v << 13;
	}
}

int kyso_compat_mkstemps(char *tmpl, int suffixlen)
{
	size_t x;
	if (fill_template(tmpl, suffixlen, &x) != 0)
		return -1;
	for (int attempt = 0; attempt < 100; attempt++) {
		random_letters(tmpl + x);
		wchar_t *w = kyso_win_wide(tmpl);
		if (w == NULL) {
			errno = EINVAL;
			return -1;
		}
		int fd = _wopen(w, _O_RDWR | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
		free(w);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

char *kyso_compat_mkdtemp(char *tmpl)
{
	size_t x;
	if (fill_template(tmpl, 0, &x) != 0)
		return NULL;
	for (int attempt = 0; attempt < 100; attempt++) {
		random_letters(tmpl + x);
		if (kyso_compat_mkdir(tmpl, 0700) == 0)
			return tmpl;
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

char *kyso_compat_ttyname(int fd)
{
	(void)fd;
	errno = ENOTTY; /* consoles have no device name */
	return NULL;
}

int kyso_compat_symlink(const char *target, const char *linkpath)
{
	(void)target;
	(void)linkpath;
	errno = EPERM; /* symbolic links need a privilege on Windows */
	return -1;
}

int kyso_compat_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	void (*prev)(int) = SIG_DFL;
	if (act != NULL && sig != SIGPIPE) {
		prev = signal(sig, act->sa_handler);
		if (prev == SIG_ERR) {
			errno = EINVAL;
			return -1;
		}
	}
	if (old != NULL) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = prev;
	}
	return 0;
}

int kyso_compat_sigemptyset(_sigset_t *set)
{
	*set = 0;
	return 0;
}

/* ---- dlfcn ---------------------------------------------------------------- */

static __thread char dl_msg[512];
static __thread bool dl_failed;

static void dl_fail(const char *what, const char *name, DWORD code)
{
	snprintf(dl_msg, sizeof(dl_msg), "%s: %s", name != NULL ? name : what,
	         kyso_win_strerror(code));
	dl_failed = true;
}

/* A Linux library name "libfoo.so.6" / "libfoo.so" as the DLL names the
 * Windows builds of that library use: "libfoo-6.dll" (MSYS2, libtool) and
 * "libfoo.dll" (CMake). Fills up to two names; returns how many. */
static int soname_to_dll(const char *name, char out[2][256])
{
	const char *so = strstr(name, ".so");
	if (so == NULL || (so[3] != '\0' && so[3] != '.'))
		return 0;
	int base = (int)(so - name);
	const char *ver = so[3] == '.' ? so + 4 : "";
	size_t vlen = strcspn(ver, ".");
	int n = 0;
	if (vlen > 0)
		snprintf(out[n++], 256, "%.*s-%.*s.dll", base, name, (int)vlen, ver);
	snprintf(out[n++], 256, "%.*s.dll", base, name);
	return n;
}

/* A bare DLL name is looked up in kyso's own folder, then System32 (not in
 * the current directory or PATH); its dependencies likewise. */
#define KYSO_DL_BARE (LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32)

static HMODULE load_one(const char *path, DWORD *e)
{
	wchar_t *w = kyso_win_wide(path);
	if (w == NULL) {
		*e = ERROR_INVALID_NAME;
		return NULL;
	}
	bool has_dir = strchr(path, '\\') != NULL || strchr(path, '/') != NULL;
	for (wchar_t *p = w; *p != L'\0'; p++)
		if (*p == L'/')
			*p = L'\\'; /* LOAD_WITH_ALTERED_SEARCH_PATH wants backslashes */
	HMODULE h = LoadLibraryExW(w, NULL, has_dir ? LOAD_WITH_ALTERED_SEARCH_PATH : KYSO_DL_BARE);
	*e = GetLastError();
	free(w);
	return h;
}

void *dlopen(const char *path, int flags)
{
	(void)flags;
	if (path == NULL)
		return GetModuleHandleW(NULL);
	DWORD e = 0;
	HMODULE h = NULL;
	char dll[2][256];
	int n = (strchr(path, '\\') == NULL && strchr(path, '/') == NULL) ? soname_to_dll(path, dll)
	                                                                  : 0;
	for (int i = 0; i < n && h == NULL; i++)
		h = load_one(dll[i], &e);
	if (h == NULL && n == 0)
		h = load_one(path, &e);
	if (h == NULL)
		dl_fail("dlopen", n > 0 ? dll[n - 1] : path, e);
	return (void *)h;
}

void *dlsym(void *handle, const char *name)
{
	FARPROC f = GetProcAddress((HMODULE)handle, name);
	if (f == NULL) {
		dl_fail("dlsym", name, GetLastError());
		return NULL;
	}
	void *p;
	memcpy(&p, &f, sizeof(p));
	return p;
}

int dlclose(void *handle)
{
	if (FreeLibrary((HMODULE)handle))
		return 0;
	dl_fail("dlclose", NULL, GetLastError());
	return -1;
}

char *dlerror(void)
{
	if (!dl_failed)
		return NULL;
	dl_failed = false;
	return dl_msg;
}

/* ---- uname ---------------------------------------------------------------- */

int uname(struct utsname *un)
{
	kyso_os_info_t os;
	kyso_os_info(&os);
	memset(un, 0, sizeof(*un));
	snprintf(un->sysname, sizeof(un->sysname), "%s", os.name);
	snprintf(un->release, sizeof(un->release), "%s", os.release);
	snprintf(un->version, sizeof(un->version), "%s", os.release);
	snprintf(un->machine, sizeof(un->machine), "%s", os.machine);
	wchar_t host[64];
	DWORD n = (DWORD)(sizeof(host) / sizeof(host[0]));
	if (GetComputerNameW(host, &n)) {
		char *h = kyso_win_utf8(host);
		if (h != NULL)
			snprintf(un->nodename, sizeof(un->nodename), "%s", h);
		free(h);
	}
	return 0;
}
