/* dlopen family over LoadLibraryExW/GetProcAddress for the Windows build
 * (core/posix_compat_win.c). A path with a folder loads the DLL with its own
 * folder searched for its dependencies (LOAD_WITH_ALTERED_SEARCH_PATH), the
 * way vendor PKCS#11 modules expect. A bare name is looked up in kyso's
 * folder and System32 only; a Linux soname ("libharfbuzz.so.0") is read as
 * the DLL names of that library's Windows builds ("libharfbuzz-0.dll", then
 * "libharfbuzz.dll"), so code that loads optional libraries on demand needs
 * no per-OS names. */
#ifndef KYSO_COMPAT_DLFCN_H
#define KYSO_COMPAT_DLFCN_H

#ifdef __cplusplus
extern "C" {
#endif

#define RTLD_LAZY   0x1
#define RTLD_NOW    0x2
#define RTLD_LOCAL  0x0
#define RTLD_GLOBAL 0x100

void *dlopen(const char *path, int flags);
void *dlsym(void *handle, const char *name);
int dlclose(void *handle);
char *dlerror(void);

#ifdef __cplusplus
}
#endif
#endif
