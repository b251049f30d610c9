/* kyso_process: programs kyso starts and leaves running (kyso setup starts
 * kyso-agent now, not only at the next logon), and the pieces setup needs
 * to tell whether what it registered is already in place. One
 * implementation per OS: core/process_win.c, core/process_posix.c.
 * (An addition to kyso_platform.h, kept apart while that header was being
 * changed by another port.) */
#ifndef KYSO_PROCESS_H
#define KYSO_PROCESS_H

#include "kyso_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts argv[0] (a full path) with argv, detached: no console, stdin from
 * the null device, stdout and stderr appended to log (created when
 * missing), not a child that waits for kyso. *pid gets its process id.
 * POSIX: double fork, setsid; Windows: CreateProcessW with
 * CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW. */
kyso_err_t kyso_spawn_detached(const char *const argv[], const char *log, long *pid,
                               kyso_error_t *err);

/* kyso_spawn_detached with more to say about the child. */
typedef struct {
	const char *log;      /* as above (required) */
	const char *env_name; /* set env_name=env_value in the child; NULL: none */
	const char *env_value;
	/* POSIX: when kyso runs as root under sudo, the child runs as the sudo
	 * caller (groups, HOME, USER; XDG_STATE_HOME/XDG_CONFIG_HOME unset): a
	 * user's service started by `sudo kyso setup`. Windows: ignored. */
	bool as_sudo_caller;
} kyso_detach_opts_t;
kyso_err_t kyso_spawn_detached_opts(const char *const argv[], const kyso_detach_opts_t *o,
                                    long *pid, kyso_error_t *err);

/* Is pid a running process whose program file name contains name
 * ("kyso-agent")? false for a process that exited or a recycled id. */
bool kyso_process_alive(long pid, const char *name);

/* Stops pid when kyso_process_alive(pid, name): POSIX SIGTERM, then SIGKILL
 * after 10 s; Windows TerminateProcess. Waits up to 15 s for it to end. */
void kyso_process_stop(long pid, const char *name);

/* Waits (up to timeout_ms) until no process has path open, so that it can
 * be deleted: Windows closes an ended process's files a little after the
 * process itself has ended. Returns at once for a missing file or NULL, and
 * elsewhere (POSIX deletes open files). */
void kyso_file_wait_unused(const char *path, int timeout_ms);

/* The command line kyso_autostart_set(name, argv) registers, as
 * kyso_autostart_get() returns it (allocated): compare the two to tell
 * whether the autostart entry is already as wanted. */
char *kyso_autostart_command(const char *const argv[]);

/* Does the registry key exist (Windows; false elsewhere)? */
bool kyso_reg_key_exists(kyso_reg_root_t root, const char *key);
/* Deletes the key when it has neither values nor subkeys (a key kyso
 * created, once kyso's values are gone); a key that is missing or not empty
 * is left alone and is not an error. KYSO_ERR_UNSUPPORTED without a
 * registry. */
kyso_err_t kyso_reg_delete_key_if_empty(kyso_reg_root_t root, const char *key, kyso_error_t *err);
/* The names of key's direct subkeys as a new JSON array of strings (*names,
 * the caller's reference); a missing key gives an empty array.
 * KYSO_ERR_UNSUPPORTED without a registry. */
kyso_err_t kyso_reg_subkeys(kyso_reg_root_t root, const char *key, json_t **names,
                            kyso_error_t *err);

/* A test-hook environment variable (KYSO_APT, KYSO_DATADIR, KYSO_ROOT,
 * KYSO_SETUP_FAIL_AFTER, ...): getenv(name), except in a process running as
 * root (Windows: always) in a build without KYSO_TEST_HOOKS, where it is
 * NULL: a user's environment passed through sudo steers nothing. */
const char *kyso_test_hook(const char *name);

/* First call of a program that holds secrets or runs privileged: Linux:
 * not dumpable (no core file, no ptrace by other processes of the same user
 * that are not its parent: prctl(PR_SET_DUMPABLE, 0)) and RLIMIT_CORE 0;
 * Windows: DLLs load only from System32 and the program's own folder
 * (SetDefaultDllDirectories), never from the current folder. */
void kyso_process_harden(void);

#ifdef __cplusplus
}
#endif
#endif
