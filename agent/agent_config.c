/* Configuration and the access rules: origin allow-list (kyso config files
 * written by `kyso setup --origin`, plus --origin), the Host check against DNS
 * rebinding, and which URLs the VGCA protocol may download from / upload to. */
#include "agent.h"
#include "kyso_config.h"
#include "kyso_deploy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag_config_init(ag_config_t *c)
{
	memset(c, 0, sizeof(*c));
	c->kyso_port = 4453;
	int vnpt[] = {4433, 4434, 4435, 9201, 9202};
	memcpy(c->vnpt_ports, vnpt, sizeof(vnpt));
	c->n_vnpt_ports = 5;
	c->vgca_port = 8987;
	c->kyso_on = c->vnpt_on = c->vgca_on = true;
	c->queue_max = 32;
	c->timeout_secs = 10;
	c->msg_secs = 30;
	c->idle_secs = 300;
	c->max_conns = 256;
	c->max_per_origin = 32;
	c->pin_cache_secs = AG_PIN_CACHE_DEFAULT_SECS;
	c->ipv6 = true;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ag_config_free(ag_config_t *c)
{
	strv_free(c->origins, c->norigins);
	strv_free(c->fetch_origins, c->nfetch);
	strv_free(c->ca_files, c->nca);
	free(c->state_dir);
	free(c->pinentry);
	free(c->module);
	free(c->slot);
	free(c->tokenlabel);
	free(c->key_id);
	free(c->chain_file);
	free(c->pades);
	free(c->tsa_url);
	free(c->setup_tsa_url);
	memset(c, 0, sizeof(*c));
}

/* "HTTPS://Example.gov.vn:443/" -> "https://example.gov.vn"; NULL if it is not
 * an http(s) origin */
static char *origin_normalize(const char *in)
{
	const char *p = strstr(in, "://");
	if (p == NULL)
		return NULL;
	size_t sl = (size_t)(p - in);
	char scheme[8];
	if (sl == 0 || sl >= sizeof(scheme))
		return NULL;
	for (size_t i = 0; i < sl; i++)
		scheme[i] = (char)tolower((unsigned char)in[i]);
	scheme[sl] = '\0';
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		return NULL;
	const char *h = p + 3;
	size_t hl = strcspn(h, "/?#");
	if (hl == 0 || hl > 255 || h[hl] == '?' || h[hl] == '#' ||
	    (h[hl] == '/' && h[hl + 1] != '\0'))
		return NULL;
	char host[256];
	for (size_t i = 0; i < hl; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= ' ' || c == '@' || c == '\\' || c >= 0x7f)
			return NULL;
		host[i] = (char)tolower(c);
	}
	host[hl] = '\0';
	/* drop the default port */
	size_t n = strlen(host);
	if (strcmp(scheme, "https") == 0 && n > 4 && strcmp(host + n - 4, ":443") == 0)
		host[n - 4] = '\0';
	if (strcmp(scheme, "http") == 0 && n > 3 && strcmp(host + n - 3, ":80") == 0)
		host[n - 3] = '\0';
	char *out = NULL;
	if (asprintf(&out, "%s://%s", scheme, host) < 0)
		return NULL;
	return out;
}

static kyso_err_t strv_add(char ***v, size_t *n, char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0) {
			free(s);
			return KYSO_OK;
		}
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return KYSO_ERR_NOMEM;
	}
	nv[(*n)++] = s;
	*v = nv;
	return KYSO_OK;
}

kyso_err_t ag_config_add_origin(ag_config_t *c, const char *origin, kyso_error_t *err)
{
	char *o = origin_normalize(origin);
	if (o == NULL)
		return kyso_error_set(
		        err, KYSO_ERR_USAGE,
		        _("\"%s\" is not a web origin like https://vanban.example.gov.vn"), origin);
	return strv_add(&c->origins, &c->norigins, o);
}

/* The origins of kyso's configuration ($KYSO_CONFIG, the user's, the
 * system's config.json: kyso_config_load). */
void ag_config_load_files(ag_config_t *c)
{
	kyso_config_t *cfg = kyso_config_load();
	if (cfg == NULL)
		return;
	kyso_error_t err;
	for (size_t i = 0; i < kyso_config_list_len(cfg->origins); i++) {
		kyso_error_clear(&err);
		if (ag_config_add_origin(c, cfg->origins[i], &err) != KYSO_OK)
			kyso_warn("%s: origin %s ignored", cfg->source, cfg->origins[i]);
	}
	for (size_t i = 0; i < kyso_config_list_len(cfg->fetch_origins); i++) {
		char *o = origin_normalize(cfg->fetch_origins[i]);
		if (o != NULL)
			strv_add(&c->fetch_origins, &c->nfetch, o);
	}
	if (cfg->agent_pades != NULL && c->pades == NULL)
		c->pades = strdup(cfg->agent_pades);
	if (cfg->agent_tsa_url != NULL && c->tsa_url == NULL)
		c->tsa_url = strdup(cfg->agent_tsa_url);
	if (cfg->tsa_url != NULL && c->setup_tsa_url == NULL)
		c->setup_tsa_url = strdup(cfg->tsa_url);
	if (cfg->source[0] != '\0')
		kyso_debug("agent: origins read from %s", cfg->source);
	kyso_config_free(&cfg);
	/* the agency's deploy.json: its origins and fetch origins too */
	kyso_error_t derr;
	kyso_error_clear(&derr);
	kyso_deploy_t *d = NULL;
	if (kyso_deploy_load(NULL, &d, &derr) != KYSO_OK)
		kyso_warn("%s", derr.msg);
	for (size_t i = 0; d != NULL && d->origins != NULL && d->origins[i] != NULL; i++)
		ag_config_add_origin(c, d->origins[i], &derr);
	for (size_t i = 0; d != NULL && d->fetch_origins != NULL && d->fetch_origins[i] != NULL;
	     i++) {
		char *o = origin_normalize(d->fetch_origins[i]);
		if (o != NULL)
			strv_add(&c->fetch_origins, &c->nfetch, o);
	}
	kyso_deploy_free(&d);
}

bool ag_origin_allowed(const ag_config_t *c, const char *origin)
{
	if (origin == NULL || *origin == '\0')
		return false;
	char *o = origin_normalize(origin);
	if (o == NULL)
		return false;
	bool ok = false;
	for (size_t i = 0; i < c->norigins && !ok; i++)
		ok = strcmp(c->origins[i], o) == 0;
	free(o);
	return ok;
}

bool ag_host_ok(const char *host)
{
	if (host == NULL)
		return false;
	char h[300];
	size_t n = strlen(host);
	if (n == 0 || n >= sizeof(h))
		return false;
	for (size_t i = 0; i <= n; i++)
		h[i] = (char)tolower((unsigned char)host[i]);
	char *port = NULL;
	if (h[0] == '[') {
		char *e = strchr(h, ']');
		if (e == NULL)
			return false;
		port = e[1] == ':' ? e + 2 : (e[1] == '\0' ? NULL : h);
		if (port == h)
			return false;
		e[1] = '\0';
	} else {
		char *colon = strchr(h, ':');
		if (colon != NULL) {
			*colon = '\0';
			port = colon + 1;
		}
	}
	if (port != NULL) {
		if (*port == '\0' || strlen(port) > 5)
			return false;
		for (char *p = port; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return strcmp(h, "localhost") == 0 || strcmp(h, "127.0.0.1") == 0 ||
	       strcmp(h, "[::1]") == 0;
}

bool ag_url_allowed(const ag_config_t *c, const char *origin, const char *url, char **abs)
{
	*abs = NULL;
	if (url == NULL || origin == NULL)
		return false;
	char *full = NULL;
	if (url[0] == '/' && url[1] != '/') {
		char *o = origin_normalize(origin);
		if (o == NULL || asprintf(&full, "%s%s", o, url) < 0)
			full = NULL;
		free(o);
	} else {
		full = strdup(url);
	}
	if (full == NULL)
		return false;
	for (char *p = full; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '\\') {
			free(full);
			return false;
		}
	/* origin of the URL: scheme://authority */
	const char *sep = strstr(full, "://");
	char *uo = NULL;
	if (sep != NULL) {
		size_t alen = strcspn(sep + 3, "/?#");
		char *tmp = strndup(full, (size_t)(sep + 3 - full) + alen);
		uo = tmp != NULL ? origin_normalize(tmp) : NULL;
		free(tmp);
	}
	char *po = origin_normalize(origin);
	bool ok = uo != NULL && po != NULL && strcmp(uo, po) == 0;
	for (size_t i = 0; i < c->nfetch && !ok && uo != NULL; i++)
		ok = strcmp(c->fetch_origins[i], uo) == 0;
	free(uo);
	free(po);
	if (!ok) {
		free(full);
		return false;
	}
	*abs = full;
	return true;
}

bool ag_tsa_from_page(const ag_config_t *c, const ag_request_t *rq)
{
	const char *u = rq->tsa_url;
	if (u == NULL || *u == '\0')
		return false;
	return !((c->tsa_url != NULL && strcmp(u, c->tsa_url) == 0) ||
	         (c->setup_tsa_url != NULL && strcmp(u, c->setup_tsa_url) == 0));
}
