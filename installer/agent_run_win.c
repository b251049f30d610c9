/* Starting kyso-agent now on Windows (not only at the next logon, which is
 * the HKCU Run value's job): the agent is started detached as the Run value
 * starts it (same arguments), its process id kept in agent.pid next to the
 * journal, its output in agent.log. There is no service manager to ask:
 * "running" is that process being a live kyso-agent. Checking the answers
 * is agent_check.c's. */
#include "setup_int.h"
#include "kyso_process.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AGENT_NAME "kyso-agent"

bool kyso_setup_agent_systemd_available(const kyso_setup_opts_t *o)
{
	(void)o;
	return false;
}

bool kyso_setup_agent_is_running(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p)
{
	(void)o;
	return kyso_process_alive(kyso_setup_pidfile_read(p->agent_pidfile), AGENT_NAME);
}

static kyso_err_t write_pidfile(const char *file, long pid, kyso_error_t *err)
{
	char s[32];
	snprintf(s, sizeof(s), "%ld\n", pid);
	return kyso_file_write_atomic(file, s, strlen(s), 0644, err);
}

kyso_err_t kyso_setup_agent_start(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                  kyso_setup_journal_t *j, bool restart, kyso_error_t *err)
{
	(void)o;
	kyso_err_t rc = KYSO_OK;
	char **argv = kyso_setup_plan_agent_argv(p);
	if (argv == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	long old = kyso_setup_pidfile_read(p->agent_pidfile);
	if (restart && kyso_process_alive(old, AGENT_NAME)) {
		/* started again with the same command line on undo */
		json_t *a = json_array();
		for (size_t i = 0; argv[i] != NULL; i++)
			json_array_append_new(a, json_string(argv[i]));
		rc = kyso_setup_journal_add(
		        j,
		        json_pack("{s:s, s:s, s:s, s:s, s:o}", "op", "agent-stop", "how", "process",
		                  "pidfile", p->agent_pidfile, "log", p->agent_log, "argv", a),
		        err);
		if (rc == KYSO_OK)
			kyso_process_stop(old, AGENT_NAME);
	}
	if (rc == KYSO_OK && access(p->agent_log, F_OK) != 0)
		rc = kyso_setup_jfs_will_create(j, p->agent_log, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_jfs_will_create(j, p->agent_pidfile, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "op",
		                                      "agent-start", "how", "process", "pidfile",
		                                      p->agent_pidfile, "log", p->agent_log,
		                                      "program", p->agent_path),
		                            err);
	long pid = 0;
	if (rc == KYSO_OK)
		rc = kyso_spawn_detached((const char *const *)argv, p->agent_log, &pid, err);
	if (rc == KYSO_OK)
		rc = write_pidfile(p->agent_pidfile, pid, err);
	kyso_strv_free(argv);
	return rc;
}

static const char *jstr(const json_t *e, const char *k)
{
	return json_string_value(json_object_get(e, k));
}

void kyso_setup_agent_undo_start(const json_t *e, json_t *problems)
{
	(void)problems;
	kyso_process_stop(kyso_setup_pidfile_read(jstr(e, "pidfile")), AGENT_NAME);
	/* the log it kept open: undo deletes it next */
	kyso_file_wait_unused(jstr(e, "log"), 5000);
}

void kyso_setup_agent_undo_stop(const json_t *e, json_t *problems)
{
	const json_t *a = json_object_get(e, "argv");
	size_t n = json_array_size(a);
	const char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv != NULL && i < n; i++)
		argv[i] = json_string_value(json_array_get(a, i));
	long pid = 0;
	kyso_error_t err;
	kyso_error_clear(&err);
	const char *pidfile = jstr(e, "pidfile");
	const char *log = jstr(e, "log");
	if (argv == NULL || n == 0 || argv[0] == NULL || log == NULL ||
	    kyso_spawn_detached(argv, log, &pid, &err) != KYSO_OK ||
	    (pidfile != NULL && write_pidfile(pidfile, pid, &err) != KYSO_OK)) {
		if (problems != NULL)
			json_array_append_new(problems, json_string(_("Cannot start kyso-agent "
			                                              "again as it ran before")));
	}
	free(argv);
}
