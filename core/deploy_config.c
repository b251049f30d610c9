/* deploy.json reader: one typed struct, one message per wrong field. */
#include "kyso_deploy.h"

#include "kyso_platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *kyso_deploy_path(void)
{
	char *s = NULL;
	if (asprintf(&s, "%s/deploy.json", kyso_path_config_system()) < 0)
		return NULL;
	return s;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void kyso_deploy_free(kyso_deploy_t **d)
{
	if (d == NULL || *d == NULL)
		return;
	strv_free((*d)->origins);
	strv_free((*d)->fetch_origins);
	free((*d)->tsa_url);
	free((*d)->tsa_account);
	free((*d)->report_url);
	if ((*d)->report_key != NULL)
		memset((*d)->report_key, 0, strlen((*d)->report_key));
	free((*d)->report_key);
	free(*d);
	*d = NULL;
}

static bool has_scheme(const char *s, bool http_ok)
{
	return strncmp(s, "https://", 8) == 0 || (http_ok && strncmp(s, "http://", 7) == 0);
}

/* "https://host[:port]" with no path, query or space */
static bool is_origin(const char *s)
{
	if (!has_scheme(s, true))
		return false;
	const char *host = strstr(s, "://") + 3;
	return host[0] != '\0' && strpbrk(host, "/?# \t") == NULL;
}

static bool is_url(const char *s, bool http_ok)
{
	return has_scheme(s, http_ok) && strstr(s, "://")[3] != '\0' &&
	       strpbrk(s, " \t\r\n") == NULL;
}

static kyso_err_t origin_list(const json_t *v, const char *name, const char *field, char ***out,
                              kyso_error_t *err)
{
	if (v == NULL)
		return KYSO_OK;
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	char **list = json_is_array(v) ? calloc(n + 1, sizeof(*list)) : NULL;
	for (size_t i = 0; list != NULL && i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (s == NULL || !is_origin(s)) {
			strv_free(list);
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
			                      _("%s: \"%s\" item %zu is not a web origin such as "
			                        "https://vanban.example.gov.vn (no path)"),
			                      name, field, i + 1);
		}
		list[i] = strdup(s);
	}
	if (list == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s: \"%s\" must be a list of web origins"), name, field);
	*out = list;
	return KYSO_OK;
}

/* optional text field of obj; check: 0 any non-empty, 1 http(s) URL, 2 https URL, 3 key */
static kyso_err_t text_field(const json_t *obj, const char *key, const char *name,
                             const char *field, int check, char **out, kyso_error_t *err)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return KYSO_OK;
	const char *s = json_string_value(v);
	if (s == NULL || s[0] == '\0')
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s: \"%s\" must be a non-empty text"), name, field);
	if ((check == 1 || check == 2) && !is_url(s, check == 1))
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      check == 1
		                              ? _("%s: \"%s\" must be an http:// or https:// URL")
		                              : _("%s: \"%s\" must be an https:// URL"),
		                      name, field);
	if (check == 3 && strlen(s) < 16)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s: \"%s\" must be at least 16 characters long"), name,
		                      field);
	*out = strdup(s);
	return *out != NULL ? KYSO_OK : kyso_error_set(err, KYSO_ERR_NOMEM, "strdup");
}

static kyso_err_t known_keys(const json_t *obj, const char *const keys[], const char *name,
                             const char *prefix, kyso_error_t *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v)
	{
		bool known = false;
		for (size_t i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(keys[i], k) == 0;
		if (!known)
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
			                      _("%s: unknown field \"%s%s\""), name, prefix, k);
	}
	return KYSO_OK;
}

static kyso_err_t section(const json_t *doc, const char *key, const char *name, const json_t **out,
                          kyso_error_t *err)
{
	*out = json_object_get(doc, key);
	if (*out != NULL && !json_is_object(*out))
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("%s: \"%s\" must be an object"),
		                      name, key);
	return KYSO_OK;
}

static kyso_err_t fill(const json_t *doc, const char *name, kyso_deploy_t *d, kyso_error_t *err)
{
	static const char *const top[] = {"$schema", "origins", "fetch_origins",
	                                  "tsa",     "report",  NULL};
	static const char *const tsa_keys[] = {"url", "account", NULL};
	static const char *const report_keys[] = {"url", "key", NULL};
	const json_t *tsa = NULL, *report = NULL;
	kyso_err_t rc = known_keys(doc, top, name, "", err);
	if (rc == KYSO_OK)
		rc = origin_list(json_object_get(doc, "origins"), name, "origins", &d->origins,
		                 err);
	if (rc == KYSO_OK)
		rc = origin_list(json_object_get(doc, "fetch_origins"), name, "fetch_origins",
		                 &d->fetch_origins, err);
	if (rc == KYSO_OK)
		rc = section(doc, "tsa", name, &tsa, err);
	if (rc == KYSO_OK && tsa != NULL) {
		rc = known_keys(tsa, tsa_keys, name, "tsa.", err);
		if (rc == KYSO_OK)
			rc = text_field(tsa, "url", name, "tsa.url", 1, &d->tsa_url, err);
		if (rc == KYSO_OK)
			rc = text_field(tsa, "account", name, "tsa.account", 0, &d->tsa_account,
			                err);
	}
	if (rc == KYSO_OK)
		rc = section(doc, "report", name, &report, err);
	if (rc == KYSO_OK && report != NULL) {
		rc = known_keys(report, report_keys, name, "report.", err);
		if (rc == KYSO_OK)
			rc = text_field(report, "url", name, "report.url", 2, &d->report_url, err);
		if (rc == KYSO_OK)
			rc = text_field(report, "key", name, "report.key", 3, &d->report_key, err);
	}
	return rc;
}

kyso_err_t kyso_deploy_parse(const char *text, size_t len, const char *name, kyso_deploy_t **out,
                             kyso_error_t *err)
{
	*out = NULL;
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s: not valid JSON (line %d: %s)"), name, je.line,
		                      je.text);
	kyso_err_t rc = KYSO_OK;
	kyso_deploy_t *d = calloc(1, sizeof(*d));
	if (d == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, "calloc");
	else if (!json_is_object(doc))
		rc = kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                    _("%s: must be a JSON object (docs/deploy.schema.json)"), name);
	else
		rc = fill(doc, name, d, err);
	json_decref(doc);
	if (rc != KYSO_OK)
		kyso_deploy_free(&d);
	*out = d;
	return rc;
}

/* What the MSI's properties left in HKLM\Software\kyso\Deploy (Windows;
 * nothing elsewhere), as a deploy.json document; NULL when there is none. */
#define DEPLOY_REG_KEY "Software\\kyso\\Deploy"
static json_t *registry_doc(void)
{
	static const char *const names[][2] = {{"Origins", "origins"},
	                                       {"FetchOrigins", "fetch_origins"},
	                                       {"ReportUrl", "report.url"},
	                                       {"ReportKey", "report.key"}};
	json_t *doc = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		kyso_error_t e;
		char *v = NULL;
		if (kyso_reg_get_string(KYSO_REG_MACHINE, DEPLOY_REG_KEY, names[i][0], &v, &e) !=
		            KYSO_OK ||
		    v == NULL || v[0] == '\0') {
			free(v);
			continue;
		}
		if (doc == NULL)
			doc = json_object();
		if (i < 2) { /* a list: separated by commas or spaces */
			json_t *arr = json_array();
			for (char *save = NULL, *t = strtok_r(v, ", ", &save); t != NULL;
			     t = strtok_r(NULL, ", ", &save))
				json_array_append_new(arr, json_string(t));
			json_object_set_new(doc, names[i][1], arr);
		} else {
			json_t *rep = json_object_get(doc, "report");
			if (rep == NULL)
				json_object_set_new(doc, "report", rep = json_object());
			json_object_set_new(rep, names[i][1] + 7, json_string(v));
		}
		free(v);
	}
	return doc;
}

static kyso_err_t from_registry(kyso_deploy_t **out, kyso_error_t *err)
{
	json_t *doc = registry_doc();
	if (doc == NULL)
		return KYSO_OK;
	kyso_deploy_t *d = calloc(1, sizeof(*d));
	kyso_err_t rc = d != NULL ? fill(doc, "HKLM\\" DEPLOY_REG_KEY, d, err)
	                          : kyso_error_set(err, KYSO_ERR_NOMEM, "calloc");
	json_decref(doc);
	if (rc != KYSO_OK)
		kyso_deploy_free(&d);
	*out = d;
	return rc;
}

kyso_err_t kyso_deploy_load(const char *file, kyso_deploy_t **out, kyso_error_t *err)
{
	*out = NULL;
	char *def = file == NULL ? kyso_deploy_path() : NULL;
	const char *path = file != NULL ? file : def;
	if (path == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "asprintf");
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		int e = errno;
		kyso_err_t rc = KYSO_OK;
		if (e != ENOENT)
			rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot read %s: %s"), path,
			                    strerror(e));
		else if (file == NULL) /* no deploy.json: the MSI's properties, if any */
			rc = from_registry(out, err);
		free(def);
		return rc;
	}
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	bool big = n == sizeof(buf);
	fclose(f);
	kyso_err_t rc =
	        big ? kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("%s: larger than 64 KiB"), path)
	            : kyso_deploy_parse(buf, n, path, out, err);
	free(def);
	return rc;
}
