/* Starting kyso-agent now (not only at the next login) and checking that it
 * answers on each protocol with the local CA as the only trust anchor.
 *
 * With a user systemd manager (the real system, not a staging root):
 * `systemctl --user start kyso-agent.service` (for `sudo kyso setup`: with
 * `--machine=USER@`). Without one (staging root, tests, a session without
 * systemd --user): the agent is spawned detached, exactly as the unit's
 * ExecStart runs it (same arguments, KYSO_CONFIG), its PID kept in
 * agent.pid next to the journal, its output in agent.log. */
#include "setup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_NAME "kyso-agent.service"

/* "USER@" for `systemctl --user --machine` when run through sudo, else NULL. */
static const char *sudo_machine(const setup_opts_t *o, char *buf, size_t cap)
{
	const char *u = getenv("SUDO_USER");
	if (o->root[0] != '\0' || geteuid() != 0 || u == NULL || u[0] == '\0' ||
	    strcmp(u, "root") == 0)
		return NULL;
	snprintf(buf, cap, "%s@", u);
	return buf;
}

static int systemctl(const char *machine, const char *verb, const char *unit, kyso_error_t *err)
{
	const char *argv[8];
	size_t n = 0;
	argv[n++] = "systemctl";
	argv[n++] = "--user";
	if (machine != NULL) {
		argv[n++] = "--machine";
		argv[n++] = machine;
	}
	argv[n++] = verb;
	if (unit != NULL)
		argv[n++] = unit;
	argv[n] = NULL;
	int status = -1;
	if (kyso_spawn(argv, NULL, 1u << 16, 60 * 1000, &status, err) != KYSO_OK)
		return -1;
	return status;
}

bool agent_systemd_available(const setup_opts_t *o)
{
	if (o->root[0] != '\0')
		return false; /* the unit is under the staging root: no manager reads it */
	const char *no = getenv("KYSO_SETUP_NO_SYSTEMD");
	if (no != NULL && no[0] != '\0')
		return false;
	char buf[300];
	kyso_error_t e;
	kyso_error_clear(&e);
	return systemctl(sudo_machine(o, buf, sizeof(buf)), "show-environment", NULL, &e) == 0;
}

/* Is pid a live kyso-agent (not a zombie, not a recycled PID)? */
static bool pid_is_agent(pid_t pid)
{
	if (pid <= 1 || kill(pid, 0) != 0)
		return false;
	char path[64], exe[PATH_MAX], stat_line[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool zombie = false;
	if (fgets(stat_line, sizeof(stat_line), f) != NULL) {
		const char *rp = strrchr(stat_line, ')');
		zombie = rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
	}
	fclose(f);
	if (zombie)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	return strstr(exe, "kyso-agent") != NULL;
}

bool agent_is_running(const setup_opts_t *o, const plan_t *p)
{
	if (p->agent_systemd) {
		char buf[300];
		kyso_error_t e;
		kyso_error_clear(&e);
		return systemctl(sudo_machine(o, buf, sizeof(buf)), "is-active", UNIT_NAME, &e) ==
		       0;
	}
	return pid_is_agent((pid_t)pidfile_read(p->agent_pidfile));
}

/* SIGTERM, up to 10 s, then SIGKILL. */
static void stop_pid(pid_t pid)
{
	if (!pid_is_agent(pid))
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && pid_is_agent(pid); i++)
		usleep(100 * 1000);
	if (pid_is_agent(pid)) {
		kill(pid, SIGKILL);
		for (int i = 0; i < 50 && pid_is_agent(pid); i++)
			usleep(100 * 1000);
	}
}

/* Drops root to the sudo caller (the agent is that user's service). */
static void drop_to_caller(void)
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

/* Starts argv detached (own session, reparented); returns its PID. */
static kyso_err_t spawn_detached(bool drop, char *const argv[], const char *config, const char *log,
                                 pid_t *out, kyso_error_t *err)
{
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
		pid_t pid = fork();
		if (pid != 0) {
			ssize_t w = write(fds[1], &pid, sizeof(pid));
			_exit(w == (ssize_t)sizeof(pid) ? 0 : 125);
		}
		/* the agent, as the unit runs it */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		int in = open("/dev/null", O_RDONLY);
		int lg = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || lg < 0 || dup2(in, 0) < 0 || dup2(lg, 1) < 0 || dup2(lg, 2) < 0)
			_exit(125);
		if (chdir("/") != 0)
			_exit(125);
		if (drop)
			drop_to_caller();
		setenv("KYSO_CONFIG", config, 1);
		execv(argv[0], argv);
		int e = errno;
		ssize_t w = write(fds[1], &e, sizeof(e));
		(void)!w;
		_exit(127);
	}
	close(fds[1]);
	int ws = 0;
	while (waitpid(mid, &ws, 0) < 0 && errno == EINTR)
		;
	pid_t pid = 0;
	int exec_errno = 0;
	ssize_t n = read(fds[0], &pid, sizeof(pid));
	ssize_t m = n == (ssize_t)sizeof(pid) ? read(fds[0], &exec_errno, sizeof(exec_errno)) : 0;
	close(fds[0]);
	if (n != (ssize_t)sizeof(pid) || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, "%s",
		                      _("Cannot start kyso-agent in the background"));
	if (m == (ssize_t)sizeof(exec_errno))
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("Cannot run %s: %s"), argv[0],
		                      strerror(exec_errno));
	*out = pid;
	return KYSO_OK;
}

static kyso_err_t write_pidfile(const char *file, pid_t pid, kyso_error_t *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%d\n", (int)pid);
	return kyso_file_write_atomic(file, s, strlen(s), 0644, err);
}

/* The command line of a running process (for starting it again on undo). */
static json_t *proc_argv(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	json_t *a = json_array();
	if (kyso_file_read_all(path, 1u << 16, &data, &len, &e) == KYSO_OK) {
		for (size_t i = 0; i < len;) {
			size_t l = strnlen((const char *)data + i, len - i);
			json_array_append_new(a, json_stringn((const char *)data + i, l));
			i += l + 1;
		}
	}
	free(data);
	return a;
}

static kyso_err_t start_process(const setup_opts_t *o, plan_t *p, journal_t *j, bool restart,
                                kyso_error_t *err)
{
	kyso_err_t rc = KYSO_OK;
	pid_t old = (pid_t)pidfile_read(p->agent_pidfile);
	if (restart && pid_is_agent(old)) {
		rc = journal_add(j,
		                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "op", "agent-stop",
		                           "how", "process", "pidfile", p->agent_pidfile, "log",
		                           p->agent_log, "config", p->config_file, "argv",
		                           proc_argv(old)),
		                 err);
		if (rc != KYSO_OK)
			return rc;
		stop_pid(old);
	}
	if (access(p->agent_log, F_OK) != 0)
		rc = jfs_will_create(j, p->agent_log, err);
	if (rc == KYSO_OK)
		rc = jfs_will_create(j, p->agent_pidfile, err);
	char **argv = plan_agent_argv(p);
	if (rc == KYSO_OK && argv == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (rc == KYSO_OK)
		rc = journal_add(j,
		                 json_pack("{s:s, s:s, s:s, s:s}", "op", "agent-start", "how",
		                           "process", "pidfile", p->agent_pidfile, "program",
		                           p->agent_path),
		                 err);
	pid_t pid = 0;
	if (rc == KYSO_OK)
		rc = spawn_detached(o->root[0] == '\0', argv, p->config_file, p->agent_log, &pid,
		                    err);
	if (rc == KYSO_OK)
		rc = write_pidfile(p->agent_pidfile, pid, err);
	kyso_strv_free(argv);
	return rc;
}

static kyso_err_t start_systemd(const setup_opts_t *o, journal_t *j, bool restart,
                                kyso_error_t *err)
{
	char buf[300];
	const char *m = sudo_machine(o, buf, sizeof(buf));
	/* the manager must read the unit setup just wrote */
	if (systemctl(m, "daemon-reload", NULL, err) != 0)
		kyso_warn("systemctl --user daemon-reload failed");
	kyso_err_t rc = KYSO_OK;
	if (restart)
		rc = journal_add(j,
		                 json_pack("{s:s, s:s, s:s?}", "op", "agent-stop", "how", "systemd",
		                           "machine", m),
		                 err);
	if (rc == KYSO_OK)
		rc = journal_add(j,
		                 json_pack("{s:s, s:s, s:s?}", "op", "agent-start", "how",
		                           "systemd", "machine", m),
		                 err);
	if (rc != KYSO_OK)
		return rc;
	int st = systemctl(m, restart ? "restart" : "start", UNIT_NAME, err);
	if (st != 0)
		return st < 0 ? err->code
		              : kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                               _("systemctl --user %s %s failed (exit status %d): "
		                                 "see journalctl --user -u %s"),
		                               restart ? "restart" : "start", UNIT_NAME, st,
		                               UNIT_NAME);
	return KYSO_OK;
}

kyso_err_t agent_start(const setup_opts_t *o, plan_t *p, journal_t *j, bool restart,
                       kyso_error_t *err)
{
	return p->agent_systemd ? start_systemd(o, j, restart, err)
	                        : start_process(o, p, j, restart, err);
}

/* ---- undo ------------------------------------------------------------------------------------ */

static const char *jstr(const json_t *e, const char *k)
{
	return json_string_value(json_object_get(e, k));
}

void agent_undo_start(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	const char *how = jstr(e, "how");
	if (how != NULL && strcmp(how, "systemd") == 0) {
		int st = systemctl(jstr(e, "machine"), "stop", UNIT_NAME, &err);
		if (st != 0 && problems != NULL)
			json_array_append_new(
			        problems,
			        json_sprintf(_("systemctl --user stop %s failed"), UNIT_NAME));
		return;
	}
	stop_pid((pid_t)pidfile_read(jstr(e, "pidfile")));
}

void agent_undo_stop(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	const char *how = jstr(e, "how");
	if (how != NULL && strcmp(how, "systemd") == 0) {
		if (systemctl(jstr(e, "machine"), "start", UNIT_NAME, &err) != 0 &&
		    problems != NULL)
			json_array_append_new(
			        problems,
			        json_sprintf(_("systemctl --user start %s failed"), UNIT_NAME));
		return;
	}
	/* the agent ran before: start it again with its former command line */
	const json_t *a = json_object_get(e, "argv");
	size_t n = json_array_size(a);
	char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv != NULL && i < n; i++)
		argv[i] = strdup(json_string_value(json_array_get(a, i)));
	pid_t pid = 0;
	const char *pidfile = jstr(e, "pidfile");
	if (argv == NULL || n == 0 ||
	    spawn_detached(true, argv, jstr(e, "config") ? jstr(e, "config") : "",
	                   jstr(e, "log") ? jstr(e, "log") : "/dev/null", &pid, &err) != KYSO_OK ||
	    (pidfile != NULL && write_pidfile(pidfile, pid, &err) != KYSO_OK)) {
		if (problems != NULL)
			json_array_append_new(problems, json_string(_("Cannot start kyso-agent "
			                                              "again as it ran before")));
	}
	kyso_strv_free(argv);
}
