/* Detached programs on Windows (kyso_process.h): CreateProcessW without a
 * console, output appended to a log file; liveness and the program file
 * from the process handle; TerminateProcess. Registry key helpers. */
#include "kyso_process.h"
#include "win_int.h"

#include <stdlib.h>
#include <string.h>

kyso_err_t kyso_spawn_detached(const char *const argv[], const char *log, long *pid,
                               kyso_error_t *err)
{
	const kyso_detach_opts_t o = {.log = log};
	return kyso_spawn_detached_opts(argv, &o, pid, err);
}

/* The child inherits kyso's environment: env_name is set in ours around
 * CreateProcessW and put back after (setup is single-threaded). */
kyso_err_t kyso_spawn_detached_opts(const char *const argv[], const kyso_detach_opts_t *o,
                                    long *pid, kyso_error_t *err)
{
	const char *log = o->log;
	*pid = 0;
	char *cl = kyso_win_quote_argv(argv);
	wchar_t *cmd = cl != NULL ? kyso_win_wide(cl) : NULL;
	wchar_t *wlog = kyso_win_wide(log);
	free(cl);
	if (cmd == NULL || wlog == NULL) {
		free(cmd);
		free(wlog);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("Cannot build a command line for %s"), argv[0]);
	}
	SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .bInheritHandle = TRUE};
	HANDLE out = CreateFileW(wlog, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
	                         OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD open_err = GetLastError();
	free(wlog);
	if (out == INVALID_HANDLE_VALUE) {
		free(cmd);
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot write %s: %s"), log,
		                      kyso_win_strerror(open_err));
	}
	HANDLE nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
	                         OPEN_EXISTING, 0, NULL);
	STARTUPINFOW si = {.cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES};
	si.hStdInput = nul;
	si.hStdOutput = out;
	si.hStdError = out;
	PROCESS_INFORMATION pi;
	wchar_t *wname = o->env_name != NULL ? kyso_win_wide(o->env_name) : NULL;
	wchar_t *wval = wname != NULL ? kyso_win_wide(o->env_value) : NULL;
	wchar_t old[2048];
	DWORD had = wname != NULL ? GetEnvironmentVariableW(wname, old, 2048) : 0;
	if (wname != NULL)
		SetEnvironmentVariableW(wname, wval);
	BOOL ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE,
	                         CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW, NULL, NULL, &si, &pi);
	DWORD create_err = GetLastError();
	if (wname != NULL)
		SetEnvironmentVariableW(wname, had > 0 && had < 2048 ? old : NULL);
	free(wname);
	free(wval);
	free(cmd);
	CloseHandle(out);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (!ok) {
		if (create_err == ERROR_FILE_NOT_FOUND || create_err == ERROR_PATH_NOT_FOUND)
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("Program not found: %s"),
			                      argv[0]);
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("Cannot run %s: %s"), argv[0],
		                      kyso_win_strerror(create_err));
	}
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	*pid = (long)pi.dwProcessId;
	return KYSO_OK;
}

/* The process, opened with access, when it runs and its program file name
 * contains name; NULL otherwise. */
static HANDLE open_named(long pid, const char *name, DWORD access)
{
	if (pid <= 0)
		return NULL;
	HANDLE h = OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	if (h == NULL)
		return NULL;
	DWORD code = 0;
	wchar_t wpath[MAX_PATH * 2];
	DWORD n = (DWORD)(sizeof(wpath) / sizeof(wpath[0]));
	bool ok = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE &&
	          QueryFullProcessImageNameW(h, 0, wpath, &n);
	char *path = ok ? kyso_win_utf8(wpath) : NULL;
	ok = path != NULL && strstr(path, name) != NULL;
	free(path);
	if (!ok) {
		CloseHandle(h);
		return NULL;
	}
	return h;
}

bool kyso_process_alive(long pid, const char *name)
{
	HANDLE h = open_named(pid, name, 0);
	if (h == NULL)
		return false;
	CloseHandle(h);
	return true;
}

void kyso_process_stop(long pid, const char *name)
{
	HANDLE h = open_named(pid, name, PROCESS_TERMINATE | SYNCHRONIZE);
	if (h == NULL)
		return;
	if (TerminateProcess(h, 1))
		WaitForSingleObject(h, 15000);
	CloseHandle(h);
}

bool kyso_reg_key_exists(kyso_reg_root_t root, const char *key)
{
	wchar_t *wkey = kyso_win_wide(key);
	if (wkey == NULL)
		return false;
	HKEY k = NULL;
	LSTATUS st =
	        RegOpenKeyExW(root == KYSO_REG_MACHINE ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER,
	                      wkey, 0, KEY_READ | KEY_WOW64_64KEY, &k);
	free(wkey);
	if (st != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

kyso_err_t kyso_reg_delete_key_if_empty(kyso_reg_root_t root, const char *key, kyso_error_t *err)
{
	wchar_t *wkey = kyso_win_wide(key);
	if (wkey == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), key);
	HKEY top = root == KYSO_REG_MACHINE ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;
	HKEY k = NULL;
	LSTATUS st = RegOpenKeyExW(top, wkey, 0, KEY_READ | KEY_WOW64_64KEY, &k);
	DWORD subkeys = 1, values = 1;
	if (st == ERROR_SUCCESS) {
		st = RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL,
		                      NULL, NULL, NULL);
		RegCloseKey(k);
		if (st == ERROR_SUCCESS && subkeys == 0 && values == 0)
			st = RegDeleteKeyExW(top, wkey, KEY_WOW64_64KEY, 0);
	}
	free(wkey);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND && st != ERROR_PATH_NOT_FOUND)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot delete the registry key %s\\%s: %s"),
		                      root == KYSO_REG_MACHINE ? "HKLM" : "HKCU", key,
		                      kyso_win_strerror((DWORD)st));
	return KYSO_OK;
}

kyso_err_t kyso_reg_subkeys(kyso_reg_root_t root, const char *key, json_t **names,
                            kyso_error_t *err)
{
	*names = json_array();
	wchar_t *wkey = kyso_win_wide(key);
	if (*names == NULL || wkey == NULL) {
		json_decref(*names);
		*names = NULL;
		if (wkey == NULL)
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"),
			                      key);
		free(wkey);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	HKEY k = NULL;
	LSTATUS st =
	        RegOpenKeyExW(root == KYSO_REG_MACHINE ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER,
	                      wkey, 0, KEY_READ | KEY_WOW64_64KEY, &k);
	free(wkey);
	if (st == ERROR_FILE_NOT_FOUND || st == ERROR_PATH_NOT_FOUND)
		return KYSO_OK;
	for (DWORD i = 0; st == ERROR_SUCCESS; i++) {
		wchar_t name[256]; /* a key name has at most 255 characters */
		DWORD len = 256;
		st = RegEnumKeyExW(k, i, name, &len, NULL, NULL, NULL, NULL);
		if (st != ERROR_SUCCESS)
			break;
		char *u = kyso_win_utf8(name);
		if (u == NULL || json_array_append_new(*names, json_string(u)) != 0)
			st = ERROR_NOT_ENOUGH_MEMORY;
		free(u);
	}
	if (k != NULL)
		RegCloseKey(k);
	if (st != ERROR_NO_MORE_ITEMS) {
		json_decref(*names);
		*names = NULL;
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot read the registry key %s\\%s: %s"),
		                      root == KYSO_REG_MACHINE ? "HKLM" : "HKCU", key,
		                      kyso_win_strerror((DWORD)st));
	}
	return KYSO_OK;
}

void kyso_file_wait_unused(const char *path, int timeout_ms)
{
	wchar_t *w = path != NULL ? kyso_win_wide(path) : NULL;
	for (int waited = 0; w != NULL && waited < timeout_ms; waited += 100) {
		HANDLE h = CreateFileW(w, GENERIC_READ, 0, NULL, OPEN_EXISTING,
		                       FILE_ATTRIBUTE_NORMAL, NULL);
		if (h != INVALID_HANDLE_VALUE) {
			CloseHandle(h);
			break;
		}
		if (GetLastError() != ERROR_SHARING_VIOLATION)
			break;
		Sleep(100);
	}
	free(w);
}
