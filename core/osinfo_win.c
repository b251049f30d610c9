/* OS description and UTF-8 console on Windows. RtlGetVersion reports the
 * real version (GetVersionEx lies to programs without a manifest). */
#include "kyso_platform.h"
#include "win_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);

void kyso_os_info(kyso_os_info_t *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "Windows");
	OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof(v)};
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC fp = ntdll != NULL ? GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	rtl_get_version_fn get;
	memcpy(&get, &fp, sizeof(get));
	if (get != NULL && get(&v) == 0)
		snprintf(info->release, sizeof(info->release), "%lu.%lu.%lu",
		         (unsigned long)v.dwMajorVersion, (unsigned long)v.dwMinorVersion,
		         (unsigned long)v.dwBuildNumber);
	SYSTEM_INFO si;
	GetNativeSystemInfo(&si);
	const char *m = "unknown";
	switch (si.wProcessorArchitecture) {
	case PROCESSOR_ARCHITECTURE_AMD64:
		m = "x86_64";
		break;
	case PROCESSOR_ARCHITECTURE_ARM64:
		m = "aarch64";
		break;
	case PROCESSOR_ARCHITECTURE_INTEL:
		m = "i686";
		break;
	default:
		break;
	}
	snprintf(info->machine, sizeof(info->machine), "%s", m);
}

void kyso_console_attach(void)
{
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	if (out != NULL && out != INVALID_HANDLE_VALUE)
		return; /* redirected, or a console program */
	if (!AttachConsole(ATTACH_PARENT_PROCESS))
		return; /* started without a console (logon, Explorer): stay silent */
	if (freopen("CONOUT$", "w", stdout) == NULL || freopen("CONOUT$", "w", stderr) == NULL)
		kyso_debug("freopen(CONOUT$): %s", strerror(errno));
}

void kyso_console_utf8(void)
{
	if (!SetConsoleOutputCP(CP_UTF8))
		kyso_debug("SetConsoleOutputCP(CP_UTF8): %s", kyso_win_strerror(GetLastError()));
}
