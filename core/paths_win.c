/* Per-OS paths: Windows implementation.
 *   system config  %ProgramData%\kyso
 *   user config    %APPDATA%\kyso
 *   user state     %LOCALAPPDATA%\kyso
 *   data, locale   <exe dir>\share\kyso, <exe dir>\share\locale (install
 *                  tree), or <exe dir>\..\share\... (build tree)
 * KYSO_SYSCONFDIR, KYSO_DATADIR and KYSO_LOCALEDIR override as on Linux. */
#include "win_int.h"

#include <shlobj.h>
#include <stdlib.h>
#include <string.h>

#define KYSO_PATH_MAX 4096

static char path_sys[KYSO_PATH_MAX];
static char path_cfg_user[KYSO_PATH_MAX];
static char path_state_user[KYSO_PATH_MAX];
static char path_data[KYSO_PATH_MAX];
static char path_locale[KYSO_PATH_MAX];
static char path_exe[KYSO_PATH_MAX];

static bool is_dir(const char *p)
{
	wchar_t *w = kyso_win_wide(p);
	if (w == NULL)
		return false;
	DWORD a = GetFileAttributesW(w);
	free(w);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

/* env override, else the known folder + "\kyso", else env fallback. */
static const char *folder_path(char *dst, size_t cap, const char *override, const KNOWNFOLDERID *id,
                               const char *env_fallback)
{
	char *env = override != NULL ? kyso_win_getenv(override) : NULL;
	if (env != NULL) {
		snprintf(dst, cap, "%s", env);
		free(env);
		return dst;
	}
	wchar_t *w = NULL;
	char *base = NULL;
	if (SHGetKnownFolderPath(id, KF_FLAG_DONT_VERIFY, NULL, &w) == S_OK)
		base = kyso_win_utf8(w);
	CoTaskMemFree(w);
	if (base == NULL)
		base = kyso_win_getenv(env_fallback);
	snprintf(dst, cap, "%s\\kyso", base != NULL ? base : "C:\\ProgramData");
	free(base);
	return dst;
}

const char *kyso_path_config_system(void)
{
	return folder_path(path_sys, sizeof(path_sys), "KYSO_SYSCONFDIR", &FOLDERID_ProgramData,
	                   "ProgramData");
}

const char *kyso_path_config_user(void)
{
	return folder_path(path_cfg_user, sizeof(path_cfg_user), NULL, &FOLDERID_RoamingAppData,
	                   "APPDATA");
}

const char *kyso_path_state_user(void)
{
	return folder_path(path_state_user, sizeof(path_state_user), NULL, &FOLDERID_LocalAppData,
	                   "LOCALAPPDATA");
}

const char *kyso_path_exe_dir(void)
{
	if (path_exe[0] != '\0')
		return path_exe;
	wchar_t w[KYSO_PATH_MAX];
	DWORD n = GetModuleFileNameW(NULL, w, KYSO_PATH_MAX);
	if (n == 0 || n >= KYSO_PATH_MAX)
		return path_exe;
	wchar_t *slash = wcsrchr(w, L'\\');
	if (slash != NULL)
		*slash = L'\0';
	char *u = kyso_win_utf8(w);
	if (u != NULL)
		snprintf(path_exe, sizeof(path_exe), "%s", u);
	free(u);
	return path_exe;
}

/* <exe>\share\<sub> (installed) or <exe>\..\share\<sub> (build tree). */
static bool exe_relative(char *dst, size_t cap, const char *sub)
{
	const char *exe = kyso_path_exe_dir();
	if (*exe == '\0')
		return false;
	snprintf(dst, cap, "%s\\share\\%s", exe, sub);
	if (is_dir(dst))
		return true;
	snprintf(dst, cap, "%s\\..\\share\\%s", exe, sub);
	return is_dir(dst);
}

static const char *data_path(char *dst, size_t cap, const char *env_name, const char *sub)
{
	char *env = kyso_win_getenv(env_name);
	if (env != NULL) {
		snprintf(dst, cap, "%s", env);
		free(env);
		return dst;
	}
	if (dst[0] == '\0' && !exe_relative(dst, cap, sub))
		snprintf(dst, cap, "%s\\share\\%s", kyso_path_exe_dir(), sub);
	return dst;
}

const char *kyso_path_data(void)
{
	return data_path(path_data, sizeof(path_data), "KYSO_DATADIR", "kyso");
}

const char *kyso_path_roots_local(void)
{
	static char dir[KYSO_PATH_MAX];
	char *env = kyso_win_getenv("KYSO_ROOTS_D");
	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s\\roots", kyso_path_config_system());
	free(env);
	return dir;
}

const char *kyso_path_locale(void)
{
	return data_path(path_locale, sizeof(path_locale), "KYSO_LOCALEDIR", "locale");
}

uint64_t kyso_now_ms(void)
{
	return (uint64_t)GetTickCount64();
}
