/* Per-OS paths: POSIX (Linux) implementation. */
#include "kyso_process.h"
#include "kyso_core.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef KYSO_INSTALL_DATADIR
#define KYSO_INSTALL_DATADIR "/usr/share/kyso"
#endif

static char path_data[PATH_MAX];
static char path_cfg_user[PATH_MAX];
static char path_state_user[PATH_MAX];

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kyso_path_config_system(void)
{
	const char *env = getenv("KYSO_SYSCONFDIR");
	return env != NULL && *env != '\0' ? env : "/etc/kyso";
}

static void home_based(char *dst, size_t cap, const char *xdg_var, const char *fallback)
{
	const char *xdg = getenv(xdg_var);
	const char *home = getenv("HOME");
	if (xdg != NULL && *xdg == '/')
		snprintf(dst, cap, "%s/kyso", xdg);
	else
		snprintf(dst, cap, "%s/%s/kyso", home != NULL ? home : "/tmp", fallback);
}

const char *kyso_path_config_user(void)
{
	home_based(path_cfg_user, sizeof(path_cfg_user), "XDG_CONFIG_HOME", ".config");
	return path_cfg_user;
}

const char *kyso_path_state_user(void)
{
	home_based(path_state_user, sizeof(path_state_user), "XDG_STATE_HOME", ".local/state");
	return path_state_user;
}

const char *kyso_path_exe_dir(void)
{
	static char dir[PATH_MAX];
	if (dir[0] != '\0')
		return dir;
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		dir[0] = '\0';
		return dir;
	}
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	return dir;
}

/* <exe>/../share/<sub> (programs in bin/) or <exe>/../../share/<sub>
 * (subcommand programs in libexec/kyso/), when it exists: install and build
 * trees alike. */
static bool exe_relative(char *dst, size_t cap, const char *sub)
{
	const char *exe = kyso_path_exe_dir();
	if (*exe == '\0')
		return false;
	snprintf(dst, cap, "%s/../share/%s", exe, sub);
	if (is_dir(dst))
		return true;
	snprintf(dst, cap, "%s/../../share/%s", exe, sub);
	return is_dir(dst);
}

/* KYSO_DATADIR, else <exe>/../share/kyso, else the compiled-in path. */
const char *kyso_path_data(void)
{
	const char *env = kyso_test_hook("KYSO_DATADIR");
	if (env != NULL && *env != '\0')
		return env;
	if (path_data[0] == '\0' && !exe_relative(path_data, sizeof(path_data), "kyso"))
		snprintf(path_data, sizeof(path_data), "%s", KYSO_INSTALL_DATADIR);
	return path_data;
}

const char *kyso_path_roots_local(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("KYSO_ROOTS_D");
	if (env != NULL && *env != '\0')
		return env;
	snprintf(dir, sizeof(dir), "%s/roots.d", kyso_path_config_system());
	return dir;
}

/* KYSO_LOCALEDIR, else <exe>/../share/locale, else the compiled-in path. */
const char *kyso_path_locale(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("KYSO_LOCALEDIR");
	if (env != NULL && *env != '\0')
		return env;
	if (dir[0] == '\0' && !exe_relative(dir, sizeof(dir), "locale"))
		snprintf(dir, sizeof(dir), "%s/../locale", KYSO_INSTALL_DATADIR);
	return dir;
}

uint64_t kyso_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
