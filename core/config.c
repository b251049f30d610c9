/* kyso's config.json (kyso_config.h): read, joined, written. */
#include "kyso_config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kyso_config_t *kyso_config_new(void)
{
	kyso_config_t *c = calloc(1, sizeof(*c));
	if (c != NULL) {
		c->vnpt_plugin = true;
		c->vgca_sign_service = true;
	}
	return c;
}

static void list_free(char ***list)
{
	for (char **p = *list; p != NULL && *p != NULL; p++)
		free(*p);
	free(*list);
	*list = NULL;
}

void kyso_config_free(kyso_config_t **pc)
{
	if (pc == NULL || *pc == NULL)
		return;
	kyso_config_t *c = *pc;
	free(c->pkcs11_module);
	free(c->token_type);
	free(c->tsa_url);
	free(c->agent_pades);
	free(c->agent_tsa_url);
	free(c->report_url);
	free(c->report_token);
	free(c->org);
	if (c->redact_key != NULL)
		kyso_memzero(c->redact_key, strlen(c->redact_key));
	free(c->redact_key);
	list_free(&c->origins);
	list_free(&c->fetch_origins);
	json_decref(c->doc);
	free(c);
	*pc = NULL;
}

size_t kyso_config_list_len(char *const *list)
{
	size_t n = 0;
	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

kyso_err_t kyso_config_list_add(char ***list, const char *s)
{
	size_t n = kyso_config_list_len(*list);
	for (size_t i = 0; i < n; i++)
		if (strcmp((*list)[i], s) == 0)
			return KYSO_OK;
	char **nl = realloc(*list, (n + 2) * sizeof(*nl));
	if (nl == NULL)
		return KYSO_ERR_NOMEM;
	*list = nl;
	nl[n] = strdup(s);
	nl[n + 1] = NULL;
	return nl[n] != NULL ? KYSO_OK : KYSO_ERR_NOMEM;
}

static void take_string(char **dst, const json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));
	if (*dst == NULL && v != NULL && v[0] != '\0')
		*dst = strdup(v);
}

static void take_list(char ***dst, const json_t *doc, const char *key, const char *path)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(doc, key), i, v)
	{
		if (json_is_string(v))
			kyso_config_list_add(dst, json_string_value(v));
		else
			kyso_warn("%s: %s[%zu] ignored", path, key, i);
	}
}

/* Adds one file's keys to c (a key already set stays). */
static void merge(kyso_config_t *c, const json_t *doc, const char *path, bool first)
{
	take_string(&c->pkcs11_module, doc, "pkcs11_module");
	take_string(&c->token_type, doc, "token_type");
	take_string(&c->tsa_url, doc, "tsa_url");
	take_string(&c->agent_pades, doc, "agent_pades");
	take_string(&c->agent_tsa_url, doc, "agent_tsa_url");
	take_string(&c->report_url, doc, "report_url");
	take_string(&c->report_token, doc, "report_token");
	take_string(&c->org, doc, "org");
	take_string(&c->redact_key, doc, "redact_key");
	take_list(&c->origins, doc, "origins", path);
	take_list(&c->fetch_origins, doc, "agent_fetch_origins", path);
	const json_t *ag = json_object_get(doc, "agent");
	if (first) {
		c->has_agent = json_is_object(ag);
		c->vnpt_plugin = !json_is_false(json_object_get(ag, "vnpt_plugin"));
		c->vgca_sign_service = !json_is_false(json_object_get(ag, "vgca_sign_service"));
	}
	size_t n = strlen(c->source);
	snprintf(c->source + n, sizeof(c->source) - n, "%s%s", n > 0 ? ", " : "", path);
}

static json_t *load_doc(const char *path, bool *missing, kyso_error_t *err)
{
	struct stat st;
	*missing = stat(path, &st) != 0;
	if (*missing)
		return NULL;
	json_t *doc = kyso_json_load_file(path, err);
	if (doc != NULL && !json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("%s is not a JSON object."), path);
	}
	return doc;
}

kyso_err_t kyso_config_read_file(const char *path, kyso_config_t **out, kyso_error_t *err)
{
	*out = NULL;
	bool missing = false;
	json_t *doc = load_doc(path, &missing, err);
	if (missing)
		return KYSO_OK;
	if (doc == NULL)
		return err->code != KYSO_OK ? err->code
		                            : kyso_error_set(err, KYSO_ERR_BAD_INPUT, NULL);
	kyso_config_t *c = kyso_config_new();
	if (c == NULL) {
		json_decref(doc);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	merge(c, doc, path, true);
	c->doc = doc;
	*out = c;
	return KYSO_OK;
}

kyso_err_t kyso_config_parse(const char *text, const char *name, kyso_config_t **out,
                             kyso_error_t *err)
{
	*out = NULL;
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("%s is not a JSON object."), name);
	}
	kyso_config_t *c = kyso_config_new();
	if (c == NULL) {
		json_decref(doc);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	merge(c, doc, name, true);
	c->doc = doc;
	*out = c;
	return KYSO_OK;
}

char *kyso_config_path(bool user)
{
	const char *dir = user ? kyso_path_config_user() : kyso_path_config_system();
	char *p = NULL;
	if (dir == NULL || dir[0] == '\0' || asprintf(&p, "%s/config.json", dir) < 0)
		return NULL;
	return p;
}

kyso_config_t *kyso_config_load(void)
{
	kyso_config_t *c = kyso_config_new();
	if (c == NULL)
		return NULL;
	const char *env = getenv("KYSO_CONFIG");
	char *paths[3] = {env != NULL && env[0] != '\0' ? strdup(env) : NULL,
	                  kyso_config_path(true), kyso_config_path(false)};
	for (size_t i = 0; i < 3; i++) {
		if (paths[i] == NULL)
			continue;
		bool missing = false;
		kyso_error_t e;
		kyso_error_clear(&e);
		json_t *doc = load_doc(paths[i], &missing, &e);
		if (doc == NULL && !missing)
			kyso_warn("%s", kyso_error_message(&e));
		if (doc != NULL) {
			merge(c, doc, paths[i], c->doc == NULL);
			if (c->doc == NULL)
				c->doc = doc;
			else
				json_decref(doc);
		}
		free(paths[i]);
	}
	return c;
}

static json_t *list_json(char *const *list)
{
	json_t *a = json_array();
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

char *kyso_config_text(const kyso_config_t *c)
{
	json_t *doc = c->doc != NULL ? json_deep_copy(c->doc) : json_object();
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "schema", json_integer(1));
	if (c->pkcs11_module != NULL)
		json_object_set_new(doc, "pkcs11_module", json_string(c->pkcs11_module));
	if (c->token_type != NULL)
		json_object_set_new(doc, "token_type", json_string(c->token_type));
	if (c->tsa_url != NULL)
		json_object_set_new(doc, "tsa_url", json_string(c->tsa_url));
	if (c->agent_pades != NULL)
		json_object_set_new(doc, "agent_pades", json_string(c->agent_pades));
	if (c->agent_tsa_url != NULL)
		json_object_set_new(doc, "agent_tsa_url", json_string(c->agent_tsa_url));
	if (c->report_url != NULL)
		json_object_set_new(doc, "report_url", json_string(c->report_url));
	if (c->report_token != NULL)
		json_object_set_new(doc, "report_token", json_string(c->report_token));
	if (c->org != NULL)
		json_object_set_new(doc, "org", json_string(c->org));
	if (c->redact_key != NULL)
		json_object_set_new(doc, "redact_key", json_string(c->redact_key));
	json_object_set_new(doc, "origins", list_json(c->origins));
	if (c->fetch_origins != NULL)
		json_object_set_new(doc, "agent_fetch_origins", list_json(c->fetch_origins));
	else
		json_object_del(doc, "agent_fetch_origins");
	json_t *ag = json_object_get(doc, "agent");
	if (!json_is_object(ag)) {
		ag = json_object();
		json_object_set_new(doc, "agent", ag);
	}
	json_object_set_new(ag, "vnpt_plugin", json_boolean(c->vnpt_plugin));
	json_object_set_new(ag, "vgca_sign_service", json_boolean(c->vgca_sign_service));
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	char *nl = NULL;
	if (text != NULL && asprintf(&nl, "%s\n", text) < 0)
		nl = NULL;
	free(text);
	return nl;
}
