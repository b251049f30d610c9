/* The Local Network Access policy content, independent of the platform:
 * where each Chromium-based browser reads machine policies, which origins
 * go into them and the JSON text. Written by step_browser_policy.c on
 * Linux; the Windows installer writes the same origins as registry lists
 * under windows_key (<key>\LoopbackNetworkAllowedForUrls\1 = origin, ...). */
#include "browser_int.h"
#include "kyso_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const browser_policy_place_t places[] = {
        {"chrome", "/etc/opt/chrome/policies/managed", "SOFTWARE\\Policies\\Google\\Chrome"},
        {"chromium", "/etc/chromium/policies/managed", "SOFTWARE\\Policies\\Chromium"},
        {"edge", "/etc/opt/edge/policies/managed", "SOFTWARE\\Policies\\Microsoft\\Edge"},
};

const browser_policy_place_t *kyso_setup_browser_policy_places(size_t *n)
{
	*n = sizeof(places) / sizeof(places[0]);
	return places;
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

bool kyso_setup_browser_origin_normalize(const char *origin, char *norm, size_t cap)
{
	const char *scheme;
	const char *s;
	unsigned long def_port;
	if (origin == NULL || strchr(origin, '*') != NULL)
		return false;
	if (strncasecmp(origin, "https://", 8) == 0) {
		scheme = "https";
		s = origin + 8;
		def_port = 443;
	} else if (strncasecmp(origin, "http://", 7) == 0) {
		scheme = "http";
		s = origin + 7;
		def_port = 80;
	} else {
		return false;
	}
	char host[256];
	size_t h = 0;
	if (*s == '[') { /* IPv6 literal */
		const char *end = strchr(s, ']');
		if (end == NULL || (size_t)(end - s) + 1 >= sizeof(host))
			return false;
		for (const char *c = s + 1; c < end; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
				return false;
		h = (size_t)(end - s) + 1;
		memcpy(host, s, h);
		s = end + 1;
	} else {
		while (host_char(*s) && h + 1 < sizeof(host))
			host[h++] = (char)tolower((unsigned char)*s++);
	}
	host[h] = '\0';
	if (h == 0 || host[0] == '.' || host[0] == '-')
		return false;
	unsigned long port = 0;
	if (*s == ':') {
		char *end = NULL;
		if (!isdigit((unsigned char)s[1]))
			return false;
		port = strtoul(s + 1, &end, 10);
		if (port == 0 || port > 65535)
			return false;
		s = end;
	}
	if (*s == '/') /* "https://host/" is still an origin; a path is not */
		s++;
	if (*s != '\0')
		return false;
	int n = port != 0 && port != def_port
	                ? snprintf(norm, cap, "%s://%s:%lu", scheme, host, port)
	                : snprintf(norm, cap, "%s://%s", scheme, host);
	return n > 0 && (size_t)n < cap;
}

static bool has(const json_t *arr, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

json_t *kyso_setup_browser_policy_origins(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                          json_t *skipped, kyso_error_t *err)
{
	json_t *out = json_array();
	if (out == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	char norm[512];
	size_t i;
	const json_t *v;
	/* --origin first: a wildcard or a path there is the caller's mistake */
	json_array_foreach(o->origins, i, v)
	{
		if (!kyso_setup_browser_origin_normalize(json_string_value(v), norm,
		                                         sizeof(norm))) {
			kyso_error_set(err, KYSO_ERR_USAGE,
			               _("--origin \"%s\" is not a web origin: give "
			                 "scheme://host[:port] without a path and without \"*\" "
			                 "(browsers pre-approve exactly these origins)"),
			               json_string_value(v));
			json_decref(out);
			return NULL;
		}
	}
	kyso_config_t *c = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (p->config_file != NULL)
		kyso_config_read_file(p->config_file, &c, &e);
	json_t *all = json_array();
	for (size_t k = 0; c != NULL && k < kyso_config_list_len(c->origins); k++)
		json_array_append_new(all, json_string(c->origins[k]));
	kyso_config_free(&c);
	json_array_extend(all, o->origins);
	json_array_foreach(all, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		if (!kyso_setup_browser_origin_normalize(s, norm, sizeof(norm))) {
			if (skipped != NULL)
				json_array_append_new(skipped, json_string(s));
			continue;
		}
		if (!has(out, norm))
			json_array_append_new(out, json_string(norm));
	}
	json_decref(all);
	return out;
}

char *kyso_setup_browser_policy_text(const json_t *origins)
{
	json_t *doc = json_pack("{s:O, s:O}", BROWSER_POLICY_LOOPBACK, origins, BROWSER_POLICY_LNA,
	                        origins);
	if (doc == NULL)
		return NULL;
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return NULL;
	size_t n = strlen(text);
	char *nl = realloc(text, n + 2);
	if (nl == NULL) {
		free(text);
		return NULL;
	}
	nl[n] = '\n';
	nl[n + 1] = '\0';
	return nl;
}

void kyso_setup_browser_policy_detail(kyso_setup_action_t *a, const char *browser,
                                      const json_t *origins, const json_t *skipped)
{
	char *list = json_dumps(origins, JSON_COMPACT);
	if (json_array_size(skipped) > 0) {
		char *bad = json_dumps(skipped, JSON_COMPACT);
		kyso_setup_act_set_detail(a, _("%s: %s (left out of config.json's origins: %s)"),
		                          browser, list != NULL ? list : "",
		                          bad != NULL ? bad : "");
		free(bad);
	} else {
		kyso_setup_act_set_detail(a, "%s: %s", browser, list != NULL ? list : "");
	}
	free(list);
}
