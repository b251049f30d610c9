/* Registration: NSS databases (modutil), kyso's config.json, the agent's
 * systemd user unit, vendor plugin ports. */
#include "kyso_config.h"
#include "setup_int.h"

#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

char *kyso_setup_nss_module_name(const kyso_token_type_t *t)
{
	char *s = NULL;
	if (asprintf(&s, "kyso-%s", kyso_token_type_id(t)) < 0)
		return NULL;
	return s;
}

static kyso_err_t modutil(const char *const argv[], kyso_buf_t *out, int *status, kyso_error_t *err)
{
	kyso_err_t rc = kyso_spawn(argv, out, 1u << 20, 120 * 1000, status, err);
	if (rc == KYSO_ERR_NOT_FOUND)
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
		                      _("modutil is not installed (Debian package libnss3-tools)"));
	return rc;
}

kyso_err_t kyso_setup_nss_module_present(const char *db, const char *name, const char *module,
                                         bool *present, kyso_error_t *err)
{
	*present = false;
	char dbarg[4200];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"modutil", "-dbdir", dbarg, "-list", NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_err_t rc = modutil(argv, &out, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("modutil -list failed on %s"),
		                    db);
	if (rc == KYSO_OK && kyso_buf_append(&out, "", 1) == KYSO_OK) {
		/* "  2. kyso-feitian-epass2003\n" */
		char needle[300];
		snprintf(needle, sizeof(needle), ". %s\n", name);
		*present = strstr((const char *)out.data, needle) != NULL;
		/* the same library under another name counts too: NSS refuses a
		 * second entry for it */
		snprintf(needle, sizeof(needle), "library name: %s\n",
		         module != NULL ? module : "");
		if (module != NULL && strstr((const char *)out.data, needle) != NULL)
			*present = true;
	}
	kyso_buf_free(&out);
	return rc;
}

kyso_err_t kyso_setup_nss_module_add(kyso_setup_journal_t *j, const char *db, const char *name,
                                     const char *module, kyso_error_t *err)
{
	kyso_err_t rc = kyso_setup_journal_add(
	        j, json_pack("{s:s, s:s, s:s}", "op", "nss-module", "db", db, "name", name), err);
	if (rc != KYSO_OK)
		return rc;
	char dbarg[4200];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"modutil",  "-dbdir", dbarg,    "-add", name,
	                      "-libfile", module,   "-force", NULL};
	int status = -1;
	rc = modutil(argv, NULL, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(
		        err, KYSO_ERR_CHILD_PROCESS,
		        _("modutil could not add %s to the NSS database %s (exit status %d)"),
		        module, db, status);
	return rc;
}

kyso_err_t kyso_setup_nss_module_delete(const char *db, const char *name, kyso_error_t *err)
{
	bool present = false;
	kyso_err_t rc = kyso_setup_nss_module_present(db, name, NULL, &present, err);
	if (rc != KYSO_OK || !present)
		return rc;
	char dbarg[4200];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"modutil", "-dbdir", dbarg, "-delete", name, "-force", NULL};
	int status = -1;
	rc = modutil(argv, NULL, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("modutil could not remove %s from the NSS database %s"), name,
		                    db);
	return rc;
}

static kyso_err_t join_strings(kyso_buf_t *b, const char *label, char *const *list)
{
	kyso_err_t rc = kyso_buf_printf(b, "%s: ", label);
	size_t n = kyso_config_list_len(list);
	for (size_t i = 0; i < n && rc == KYSO_OK; i++)
		rc = kyso_buf_printf(b, "%s%s", i > 0 ? ", " : "", list[i]);
	if (rc == KYSO_OK && n == 0)
		rc = kyso_buf_printf(b, "-");
	return rc;
}

char *kyso_setup_config_origins_detail(const char *config_text)
{
	kyso_config_t *c = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_config_parse(config_text, "config.json", &c, &e);
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_err_t rc = join_strings(&b, _("origins"), c != NULL ? c->origins : NULL);
	if (rc == KYSO_OK)
		rc = kyso_buf_printf(&b, "; ");
	if (rc == KYSO_OK)
		rc = join_strings(&b, _("fetch origins"), c != NULL ? c->fetch_origins : NULL);
	kyso_config_free(&c);
	return kyso_buf_take_string(&b, rc);
}

void kyso_setup_plan_add_config(kyso_setup_plan_t *p, const char *existing, const char *text)
{
	if (text == NULL) {
		kyso_setup_plan_add(p, ACT_CONFIG, AST_SKIPPED, p->config_file, NULL, NULL,
		                    _("no PKCS#11 module"));
		return;
	}
	char *d = kyso_setup_config_origins_detail(text);
	kyso_setup_plan_add(p, ACT_CONFIG,
	                    existing != NULL && strcmp(existing, text) == 0 ? AST_IN_PLACE
	                                                                    : AST_TODO,
	                    p->config_file, NULL, NULL, d);
	free(d);
}

char *kyso_setup_agent_unit_text(const char *exec_start, const char *config_file)
{
	char *s = NULL;
	if (asprintf(&s,
	             "# Written by kyso setup; removed by \"kyso setup --uninstall\".\n"
	             "[Unit]\n"
	             "Description=kyso signing agent (web signing component)\n"
	             "Documentation=man:kyso-agent(1)\n"
	             "\n"
	             "[Service]\n"
	             "Environment=KYSO_CONFIG=%s\n"
	             "ExecStart=%s\n"
	             "Restart=on-failure\n"
	             "RestartSec=5\n"
	             "# exit 2 = usage/configuration error: restarting will not help\n"
	             "RestartPreventExitStatus=2\n"
	             "PrivateTmp=yes\n"
	             "NoNewPrivileges=yes\n"
	             "\n"
	             "[Install]\n"
	             "WantedBy=default.target\n",
	             config_file, exec_start) < 0)
		return NULL;
	return s;
}

bool kyso_setup_port_in_use(int port)
{
	char msg[256];
	kyso_sock_t s = kyso_tcp_connect("127.0.0.1", port, 2000, msg, sizeof(msg));
	if (s == KYSO_SOCK_INVALID)
		return false;
	kyso_sock_close(s);
	return true;
}
