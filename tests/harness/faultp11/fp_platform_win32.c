/* Windows side of the platform shim (not built or tested on Linux). */
#include "fp_platform.h"

#include <stdio.h>
#include <windows.h>

void *fp_dl_open(const char *path, char *err, size_t errlen)
{
	HMODULE h = LoadLibraryA(path);

	if (!h)
		snprintf(err, errlen, "LoadLibrary(%s) failed: error %lu", path, GetLastError());
	return (void *)h;
}

void *fp_dl_sym(void *h, const char *name)
{
	return (void *)GetProcAddress((HMODULE)h, name);
}

void fp_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

unsigned long long fp_now_ms(void)
{
	return (unsigned long long)GetTickCount64();
}

const char *fp_default_target(void)
{
	return "softhsm2-x64.dll";
}
