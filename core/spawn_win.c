/* Child processes: CreateProcessW with stdout on a pipe, stdin from NUL and
 * a timeout (TerminateProcess). Windows implementation of kyso_spawn(). */
#include "win_int.h"

#include <stdlib.h>
#include <string.h>

static wchar_t *command_line(const char *const argv[])
{
	char *cl = kyso_win_quote_argv(argv);
	wchar_t *w = kyso_win_wide(cl);
	free(cl);
	return w;
}

static kyso_err_t keep_output(kyso_buf_t *out, size_t out_max, const char *chunk, DWORD n)
{
	if (out == NULL || out->len >= out_max)
		return KYSO_OK;
	size_t take = n;
	if (take > out_max - out->len)
		take = out_max - out->len;
	return kyso_buf_append(out, chunk, take);
}

/* Reads the pipe until the child closes it or the deadline passes. */
static kyso_err_t read_child(HANDLE rd, HANDLE proc, kyso_buf_t *out, size_t out_max,
                             uint64_t deadline, bool *timed_out)
{
	char chunk[4096];
	*timed_out = false;
	for (;;) {
		DWORD avail = 0;
		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
			return KYSO_OK; /* broken pipe: every writer closed it */
		if (avail > 0) {
			DWORD n = 0;
			if (!ReadFile(rd, chunk, avail < sizeof(chunk) ? avail : sizeof(chunk), &n,
			              NULL) ||
			    n == 0)
				return KYSO_OK;
			kyso_err_t rc = keep_output(out, out_max, chunk, n);
			if (rc != KYSO_OK)
				return rc;
			continue;
		}
		if (deadline != 0 && kyso_now_ms() >= deadline) {
			*timed_out = true;
			return KYSO_OK;
		}
		/* nothing to read: wait a little for the child (or more output) */
		if (WaitForSingleObject(proc, 10) == WAIT_OBJECT_0) {
			/* exited: drain what is left, without blocking on grandchildren */
			while (PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL) && avail > 0) {
				DWORD n = 0;
				if (!ReadFile(rd, chunk,
				              avail < sizeof(chunk) ? avail : sizeof(chunk), &n,
				              NULL) ||
				    n == 0)
					break;
				kyso_err_t rc = keep_output(out, out_max, chunk, n);
				if (rc != KYSO_OK)
					return rc;
			}
			return KYSO_OK;
		}
	}
}

kyso_err_t kyso_spawn(const char *const argv[], kyso_buf_t *out, size_t out_max, int timeout_ms,
                      int *status, kyso_error_t *err)
{
	*status = -1;
	wchar_t *cmd = command_line(argv);
	if (cmd == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("Cannot build a command line for %s"), argv[0]);
	SECURITY_ATTRIBUTES sa = {.nLength = sizeof(sa), .bInheritHandle = TRUE};
	HANDLE rd = NULL, wr = NULL;
	if (!CreatePipe(&rd, &wr, &sa, 0)) {
		free(cmd);
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "CreatePipe: %s",
		                      kyso_win_strerror(GetLastError()));
	}
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	HANDLE nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
	                         OPEN_EXISTING, 0, NULL);
	STARTUPINFOW si = {.cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES};
	si.hStdInput = nul;
	si.hStdOutput = wr;
	si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	PROCESS_INFORMATION pi;
	BOOL ok =
	        CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi);
	DWORD create_err = GetLastError();
	free(cmd);
	CloseHandle(wr);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (!ok) {
		CloseHandle(rd);
		if (create_err == ERROR_FILE_NOT_FOUND || create_err == ERROR_PATH_NOT_FOUND)
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("Program not found: %s"),
			                      argv[0]);
		/* a vendor installer that asks for administrator rights, started
		 * from a program that does not have them */
		if (create_err == 740 /* ERROR_ELEVATION_REQUIRED */)
			return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
			                      _("%s needs administrator rights: run kyso as "
			                        "administrator"),
			                      argv[0]);
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "%s: %s", argv[0],
		                      kyso_win_strerror(create_err));
	}
	CloseHandle(pi.hThread);
	uint64_t deadline = timeout_ms > 0 ? kyso_now_ms() + (uint64_t)timeout_ms : 0;
	bool timed_out = false;
	kyso_err_t rc = read_child(rd, pi.hProcess, out, out_max, deadline, &timed_out);
	CloseHandle(rd);
	if (timed_out || rc != KYSO_OK)
		TerminateProcess(pi.hProcess, 1);
	DWORD wait_ms = INFINITE;
	if (!timed_out && deadline != 0) {
		uint64_t now = kyso_now_ms();
		wait_ms = now >= deadline ? 0 : (DWORD)(deadline - now);
	}
	if (WaitForSingleObject(pi.hProcess, wait_ms) == WAIT_TIMEOUT) {
		/* closed its output but did not exit in time */
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, INFINITE);
		timed_out = true;
	}
	DWORD code = 0;
	BOOL have_code = GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	if (rc != KYSO_OK)
		return kyso_error_set(err, rc, _("Reading the output of %s failed"), argv[0]);
	if (timed_out)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("%s did not finish in %d ms"),
		                      argv[0], timeout_ms);
	if (have_code)
		*status = (int)code;
	return KYSO_OK;
}
