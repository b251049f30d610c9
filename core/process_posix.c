/* Detached programs on POSIX (kyso_process.h): double fork with setsid, the
 * PID handed back through a pipe, optionally as the sudo caller; liveness from /proc; SIGTERM then
 * SIGKILL. The registry helpers: no registry here. */
#include "kyso_process.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: drops root to the sudo caller; exits 126 when it cannot. */
static void drop_to_sudo_caller(void)
{
	const char *u = getenv("SUDO_USER");
	if (geteuid() != 0 || u == NULL || strcmp(u, "root") == 0)
		return;
	const struct passwd *pw = getpwnam(u);
	if (pw == NULL)
		_exit(126);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		_exit(126);
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_CONFIG_HOME");
}

kyso_err_t kyso_spawn_detached(const char *const argv[], const char *log, long *pid,
                               kyso_error_t *err)
{
	const kyso_detach_opts_t o = {.log = log};
	return kyso_spawn_detached_opts(argv, &o, pid, err);
}

kyso_err_t kyso_spawn_detached_opts(const char *const argv[], const kyso_detach_opts_t *o,
                                    long *pid, kyso_error_t *err)
{
	*pid = 0;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "pipe: %s", strerror(errno));
	pid_t mid = fork();
	if (mid < 0) {
		close(fds[0]);
		close(fds[1]);
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "fork: %s", strerror(errno));
	}
	if (mid == 0) {
		close(fds[0]);
		if (setsid() < 0)
			_exit(125);
		pid_t child = fork();
		if (child != 0) {
			ssize_t w = write(fds[1], &child, sizeof(child));
			_exit(w == (ssize_t)sizeof(child) ? 0 : 125);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		int in = open("/dev/null", O_RDONLY);
		int lg = open(o->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || lg < 0 || dup2(in, 0) < 0 || dup2(lg, 1) < 0 || dup2(lg, 2) < 0 ||
		    chdir("/") != 0)
			_exit(125);
		if (o->as_sudo_caller)
			drop_to_sudo_caller();
		if (o->env_name != NULL && setenv(o->env_name, o->env_value, 1) != 0)
			_exit(125);
		execv(argv[0], (char *const *)argv);
		int e = errno;
		ssize_t w = write(fds[1], &e, sizeof(e));
		(void)!w;
		_exit(127);
	}
	close(fds[1]);
	int ws = 0;
	while (waitpid(mid, &ws, 0) < 0 && errno == EINTR)
		;
	pid_t child = 0;
	int exec_errno = 0;
	ssize_t n = read(fds[0], &child, sizeof(child));
	ssize_t m = n == (ssize_t)sizeof(child) ? read(fds[0], &exec_errno, sizeof(exec_errno)) : 0;
	close(fds[0]);
	if (n != (ssize_t)sizeof(child) || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("Cannot start %s"), argv[0]);
	if (m == (ssize_t)sizeof(exec_errno))
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("Cannot run %s: %s"), argv[0],
		                      strerror(exec_errno));
	*pid = (long)child;
	return KYSO_OK;
}

bool kyso_process_alive(long pid, const char *name)
{
	if (pid <= 1 || pid > INT_MAX || kill((pid_t)pid, 0) != 0)
		return false;
	char path[64], exe[PATH_MAX], line[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool zombie = false;
	if (fgets(line, sizeof(line), f) != NULL) {
		const char *rp = strrchr(line, ')');
		zombie = rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
	}
	fclose(f);
	if (zombie)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0 && (errno == EACCES || errno == EPERM)) {
		/* a non-dumpable process (kyso_process_harden): its exe link is
		 * root's, its name (comm, 15 bytes) is still readable */
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "r");
		if (f == NULL)
			return false;
		bool got = fgets(exe, 16, f) != NULL;
		fclose(f);
		if (!got)
			return false;
		exe[strcspn(exe, "\n")] = '\0';
		return exe[0] != '\0' && strncmp(exe, name, strlen(exe)) == 0;
	}
	if (n <= 0)
		return false;
	exe[n] = '\0';
	return strstr(exe, name) != NULL;
}

void kyso_process_stop(long pid, const char *name)
{
	if (!kyso_process_alive(pid, name))
		return;
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < 100 && kyso_process_alive(pid, name); i++)
		usleep(100 * 1000);
	if (kyso_process_alive(pid, name)) {
		kill((pid_t)pid, SIGKILL);
		for (int i = 0; i < 50 && kyso_process_alive(pid, name); i++)
			usleep(100 * 1000);
	}
}

bool kyso_reg_key_exists(kyso_reg_root_t root, const char *key)
{
	(void)root;
	(void)key;
	return false;
}

kyso_err_t kyso_reg_delete_key_if_empty(kyso_reg_root_t root, const char *key, kyso_error_t *err)
{
	(void)root;
	(void)key;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("This system has no Windows registry"));
}

kyso_err_t kyso_reg_subkeys(kyso_reg_root_t root, const char *key, json_t **names,
                            kyso_error_t *err)
{
	(void)root;
	(void)key;
	*names = NULL;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("This system has no Windows registry"));
}

void kyso_file_wait_unused(const char *path, int timeout_ms)
{
	(void)path;
	(void)timeout_ms;
}
