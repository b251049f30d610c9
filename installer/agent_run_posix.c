/* Starting kyso-agent now (not only at the next login) and checking that it
 * answers on each protocol with the local CA as the only trust anchor.
 *
 * With a user systemd manager (the real system, not a staging root):
 * `systemctl --user start kyso-agent.service` (for `sudo kyso setup`: with
 * `--machine=USER@`). Without one (staging root, tests, a session without
 * systemd --user): the agent is spawned detached, exactly as the unit's
 * ExecStart runs it (same arguments, KYSO_CONFIG), its PID kept in
 * agent.pid next to the journal, its output in agent.log. */
#include "kyso_process.h"
#include "setup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNIT_NAME     "kyso-agent.service"
#define AGENT_PROGRAM "kyso-agent"

/* "USER@" for `systemctl --user --machine` when run through sudo, else NULL. */
static const char *sudo_machine(const kyso_setup_opts_t *o, char *buf, size_t cap)
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

bool kyso_setup_agent_systemd_available(const kyso_setup_opts_t *o)
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

bool kyso_setup_agent_is_running(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p)
{
	if (p->agent_systemd) {
		char buf[300];
		kyso_error_t e;
		kyso_error_clear(&e);
		return systemctl(sudo_machine(o, buf, sizeof(buf)), "is-active", UNIT_NAME, &e) ==
		       0;
	}
	return kyso_process_alive(kyso_setup_pidfile_read(p->agent_pidfile), AGENT_PROGRAM);
}

static kyso_err_t write_pidfile(const char *file, pid_t pid, kyso_error_t *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%d\n", (int)pid);
	return kyso_file_write_atomic(file, s, strlen(s), 0644, err);
}

/* The command line of a running process (for starting it again on undo). */
static json_t *proc_argv(long pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
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

static kyso_err_t start_process(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                kyso_setup_journal_t *j, bool restart, kyso_error_t *err)
{
	kyso_err_t rc = KYSO_OK;
	long old = kyso_setup_pidfile_read(p->agent_pidfile);
	if (restart && kyso_process_alive(old, AGENT_PROGRAM)) {
		rc = kyso_setup_journal_add(
		        j,
		        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "op", "agent-stop", "how",
		                  "process", "pidfile", p->agent_pidfile, "log", p->agent_log,
		                  "config", p->config_file, "argv", proc_argv(old)),
		        err);
		if (rc != KYSO_OK)
			return rc;
		kyso_process_stop(old, AGENT_PROGRAM);
	}
	if (access(p->agent_log, F_OK) != 0)
		rc = kyso_setup_jfs_will_create(j, p->agent_log, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_jfs_will_create(j, p->agent_pidfile, err);
	char **argv = kyso_setup_plan_agent_argv(p);
	if (rc == KYSO_OK && argv == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (rc == KYSO_OK)
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s, s:s}", "op", "agent-start",
		                                      "how", "process", "pidfile", p->agent_pidfile,
		                                      "program", p->agent_path),
		                            err);
	long pid = 0;
	/* the agent, as the unit runs it: the user's service, its config file */
	const kyso_detach_opts_t dopts = {.log = p->agent_log,
	                                  .env_name = "KYSO_CONFIG",
	                                  .env_value = p->config_file,
	                                  .as_sudo_caller = o->root[0] == '\0'};
	if (rc == KYSO_OK)
		rc = kyso_spawn_detached_opts((const char *const *)argv, &dopts, &pid, err);
	if (rc == KYSO_OK)
		rc = write_pidfile(p->agent_pidfile, (pid_t)pid, err);
	kyso_strv_free(argv);
	return rc;
}

static kyso_err_t start_systemd(const kyso_setup_opts_t *o, kyso_setup_journal_t *j, bool restart,
                                kyso_error_t *err)
{
	char buf[300];
	const char *m = sudo_machine(o, buf, sizeof(buf));
	/* the manager must read the unit setup just wrote */
	if (systemctl(m, "daemon-reload", NULL, err) != 0)
		kyso_warn("systemctl --user daemon-reload failed");
	kyso_err_t rc = KYSO_OK;
	if (restart)
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s?}", "op", "agent-stop", "how",
		                                      "systemd", "machine", m),
		                            err);
	if (rc == KYSO_OK)
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s?}", "op", "agent-start",
		                                      "how", "systemd", "machine", m),
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

kyso_err_t kyso_setup_agent_start(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                  kyso_setup_journal_t *j, bool restart, kyso_error_t *err)
{
	return p->agent_systemd ? start_systemd(o, j, restart, err)
	                        : start_process(o, p, j, restart, err);
}

/* ---- undo ------------------------------------------------------------------------------------ */

static const char *jstr(const json_t *e, const char *k)
{
	return json_string_value(json_object_get(e, k));
}

void kyso_setup_agent_undo_start(const json_t *e, json_t *problems)
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
	kyso_process_stop(kyso_setup_pidfile_read(jstr(e, "pidfile")), AGENT_PROGRAM);
}

void kyso_setup_agent_undo_stop(const json_t *e, json_t *problems)
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
	long pid = 0;
	const char *pidfile = jstr(e, "pidfile");
	const kyso_detach_opts_t dopts = {.log = jstr(e, "log") ? jstr(e, "log") : "/dev/null",
	                                  .env_name = "KYSO_CONFIG",
	                                  .env_value = jstr(e, "config") ? jstr(e, "config") : "",
	                                  .as_sudo_caller = true};
	if (argv == NULL || n == 0 ||
	    kyso_spawn_detached_opts((const char *const *)argv, &dopts, &pid, &err) != KYSO_OK ||
	    (pidfile != NULL && write_pidfile(pidfile, (pid_t)pid, &err) != KYSO_OK)) {
		if (problems != NULL)
			json_array_append_new(problems, json_string(_("Cannot start kyso-agent "
			                                              "again as it ran before")));
	}
	kyso_strv_free(argv);
}
