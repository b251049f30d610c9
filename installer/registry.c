/* Registration: NSS databases (modutil), kyso's config.json, the agent's
 * systemd user unit, vendor plugin ports. */
#include "setup_int.h"

#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

char *nss_module_name(const kyso_token_type_t *t)
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

kyso_err_t nss_module_present(const char *db, const char *name, const char *module, bool *present,
                              kyso_error_t *err)
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

kyso_err_t nss_module_add(journal_t *j, const char *db, const char *name, const char *module,
                          kyso_error_t *err)
{
	kyso_err_t rc = journal_add(
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

kyso_err_t nss_module_delete(const char *db, const char *name, kyso_error_t *err)
{
	bool present = false;
	kyso_err_t rc = nss_module_present(db, name, NULL, &present, err);
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

/* doc[key] := doc[key] plus the strings of add not in it yet */
static void merge_unique(json_t *doc, const char *key, const json_t *add)
{
	json_t *have = json_object_get(doc, key);
	if (!json_is_array(have)) {
		have = json_array();
		json_object_set_new(doc, key, have);
	}
	size_t i, k;
	json_t *v, *w;
	json_array_foreach(add, i, v)
	{
		bool found = false;
		json_array_foreach(have, k, w)
		{
			found = found || json_equal(v, w);
		}
		if (!found)
			json_array_append(have, v);
	}
}

static kyso_err_t join_strings(kyso_buf_t *b, const char *label, const json_t *arr)
{
	kyso_err_t rc = kyso_buf_printf(b, "%s: ", label);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (rc == KYSO_OK && json_is_string(v))
			rc = kyso_buf_printf(b, "%s%s", i > 0 ? ", " : "", json_string_value(v));
	}
	if (rc == KYSO_OK && json_array_size(arr) == 0)
		rc = kyso_buf_printf(b, "-");
	return rc;
}

char *config_origins_detail(const char *config_text)
{
	json_t *doc = json_loads(config_text, 0, NULL);
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_err_t rc = join_strings(&b, _("origins"), json_object_get(doc, "origins"));
	if (rc == KYSO_OK)
		rc = kyso_buf_printf(&b, "; ");
	if (rc == KYSO_OK)
		rc = join_strings(&b, _("fetch origins"),
		                  json_object_get(doc, "agent_fetch_origins"));
	json_decref(doc);
	return kyso_buf_take_string(&b, rc);
}

void plan_add_config(plan_t *p, const char *existing, const char *text)
{
	if (text == NULL) {
		plan_add(p, ACT_CONFIG, AST_SKIPPED, p->config_file, NULL, NULL,
		         _("no PKCS#11 module"));
		return;
	}
	char *d = config_origins_detail(text);
	plan_add(p, ACT_CONFIG,
	         existing != NULL && strcmp(existing, text) == 0 ? AST_IN_PLACE : AST_TODO,
	         p->config_file, NULL, NULL, d);
	free(d);
}

char *config_text(const setup_opts_t *o, const plan_t *p, const char *existing)
{
	json_t *doc = NULL;
	if (existing != NULL) {
		json_error_t je;
		doc = json_loads(existing, 0, &je);
		if (!json_is_object(doc)) {
			json_decref(doc);
			doc = NULL;
		}
	}
	if (doc == NULL)
		doc = json_object();
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "schema", json_integer(1));
	if (p->module != NULL)
		json_object_set_new(doc, "pkcs11_module", json_string(p->module));
	json_object_set_new(doc, "token_type", json_string(kyso_token_type_id(p->type)));
	/* origins: the ones already allowed plus --origin, no duplicates; the same for
	 * the agent's fetch origins (--fetch-origin) */
	merge_unique(doc, "origins", o->origins);
	if (json_array_size(o->fetch_origins) > 0)
		merge_unique(doc, "agent_fetch_origins", o->fetch_origins);
	json_t *agent = json_pack("{s:b, s:b}", "vnpt_plugin", 1, "vgca_sign_service", 1);
	if (plan_proto_off(p, AGENT_PROTO_VNPT))
		json_object_set_new(agent, "vnpt_plugin", json_false());
	if (plan_proto_off(p, AGENT_PROTO_VGCA))
		json_object_set_new(agent, "vgca_sign_service", json_false());
	json_object_set_new(doc, "agent", agent);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	if (text == NULL)
		return NULL;
	char *nl = NULL;
	if (asprintf(&nl, "%s\n", text) < 0)
		nl = NULL;
	free(text);
	return nl;
}

char *agent_unit_text(const char *exec_start, const char *config_file)
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

bool port_in_use(int port)
{
	char msg[256];
	kyso_sock_t s = kyso_tcp_connect("127.0.0.1", port, 2000, msg, sizeof(msg));
	if (s == KYSO_SOCK_INVALID)
		return false;
	kyso_sock_close(s);
	return true;
}
