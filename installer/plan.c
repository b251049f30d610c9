/* The install plan: what setup will do for one token type, each item with
 * its state now (to do, already in place, vendor file missing, ...).
 * Building the plan changes nothing. */
#include "kyso_config.h"
#include "setup_int.h"
#include "browser_int.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *kyso_setup_path(const kyso_setup_opts_t *o, const char *path)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s", o->root, path) < 0)
		return NULL;
	return s;
}

char *kyso_setup_read_text(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (access(path, F_OK) != 0 ||
	    kyso_file_read_all(path, 4u << 20, &data, &len, &e) != KYSO_OK)
		return NULL;
	char *s = realloc(data, len + 1);
	if (s == NULL) {
		free(data);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

kyso_err_t kyso_setup_sha256_file(const char *path, char hex[65], kyso_error_t *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot read %s"), path);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	kyso_err_t rc = KYSO_OK;
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "SHA-256");
	unsigned char buf[65536];
	size_t n;
	while (rc == KYSO_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "SHA-256");
	if (rc == KYSO_OK && ferror(f))
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot read %s"), path);
	unsigned char md[32];
	unsigned mdlen = 0;
	if (rc == KYSO_OK && EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "SHA-256");
	EVP_MD_CTX_free(ctx);
	fclose(f);
	if (rc == KYSO_OK) {
		kyso_hex_encode(md, 32, hex);
		for (char *c = hex; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
	}
	return rc;
}

kyso_setup_action_t *kyso_setup_plan_add(kyso_setup_plan_t *p, kyso_setup_act_kind_t kind,
                                         kyso_setup_act_status_t st, const char *target,
                                         const char *source, const char *sha256, const char *detail)
{
	kyso_setup_action_t *more = realloc(p->acts, (p->nacts + 1) * sizeof(*more));
	if (more == NULL)
		return NULL;
	p->acts = more;
	kyso_setup_action_t *a = &p->acts[p->nacts++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->status = st;
	a->target = target != NULL ? strdup(target) : NULL;
	a->source = source != NULL ? strdup(source) : NULL;
	a->sha256 = sha256 != NULL ? strdup(sha256) : NULL;
	a->detail = detail != NULL ? strdup(detail) : NULL;
	return a;
}

void kyso_setup_act_set_detail(kyso_setup_action_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(a->detail);
	if (vasprintf(&a->detail, fmt, ap) < 0)
		a->detail = NULL;
	va_end(ap);
}

void kyso_setup_plan_free(kyso_setup_plan_t *p)
{
	for (size_t i = 0; i < p->nacts; i++) {
		free(p->acts[i].target);
		free(p->acts[i].source);
		free(p->acts[i].sha256);
		free(p->acts[i].detail);
	}
	free(p->acts);
	free(p->module);
	free(p->journal_dir);
	free(p->report_dir);
	free(p->config_file);
	free(p->unit_file);
	free(p->agent_path);
	json_decref(p->missing);
	json_decref(p->vendor_ports);
	free(p->agent_state);
	free(p->ca_pem);
	free(p->old_ca_pem);
	free(p->ca_system);
	free(p->agent_pidfile);
	free(p->agent_log);
	memset(p, 0, sizeof(*p));
}

const char *kyso_setup_act_kind_id(kyso_setup_act_kind_t k)
{
	static const char *const ids[] = {
	        "package",     "bundle-file",    "bundle-deb",       "probe",        "p11-kit",
	        "nss",         "config",         "agent-unit",       "agent-enable", "selftest",
	        "report",      "browser-policy", "agent-ca",         "ca-system",    "ca-nss",
	        "agent-start", "vendor-plugin",  "vendor-installer", "autostart"};
	return (size_t)k < sizeof(ids) / sizeof(ids[0]) ? ids[k] : "?";
}

const char *kyso_setup_act_status_id(kyso_setup_act_status_t s)
{
	static const char *const ids[] = {"todo",    "in-place", "missing", "bad-hash",
	                                  "skipped", "done",     "failed"};
	return (size_t)s < sizeof(ids) / sizeof(ids[0]) ? ids[s] : "?";
}

char *kyso_setup_config_text(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                             const char *existing)
{
	kyso_config_t *c = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	/* a damaged file is replaced: setup rewrites what it knows */
	if (existing == NULL || kyso_config_parse(existing, p->config_file, &c, &e) != KYSO_OK)
		c = kyso_config_new();
	if (c == NULL)
		return NULL;
	if (p->module != NULL) {
		free(c->pkcs11_module);
		c->pkcs11_module = strdup(p->module);
	}
	free(c->token_type);
	c->token_type = strdup(kyso_token_type_id(p->type));
	if (o->org != NULL && *o->org != '\0') {
		free(c->org);
		c->org = strdup(o->org);
	}
	if (o->redact_key != NULL && *o->redact_key != '\0') {
		if (c->redact_key != NULL)
			kyso_memzero(c->redact_key, strlen(c->redact_key));
		free(c->redact_key);
		c->redact_key = strdup(o->redact_key);
	}
	/* origins: the ones already allowed plus --origin, no duplicates */
	size_t i;
	const json_t *v;
	json_array_foreach(o->origins, i, v)
	{
		kyso_config_list_add(&c->origins, json_string_value(v));
	}
	/* the agent's fetch origins (--fetch-origin) the same way */
	json_array_foreach(o->fetch_origins, i, v)
	{
		kyso_config_list_add(&c->fetch_origins, json_string_value(v));
	}
	c->vnpt_plugin = !kyso_setup_plan_proto_off(p, AGENT_PROTO_VNPT);
	c->vgca_sign_service = !kyso_setup_plan_proto_off(p, AGENT_PROTO_VGCA);
	char *text = kyso_config_text(c);
	kyso_config_free(&c);
	return text;
}

/* kyso's config.json: the module path for kyso sign and the agent, the
 * origins (written without a module too: the agent reads its origins there) */
void kyso_setup_plan_config(const kyso_setup_opts_t *o, kyso_setup_plan_t *p)
{
	char *existing = kyso_setup_read_text(p->config_file);
	char *text = kyso_setup_config_text(o, p, existing);
	kyso_setup_plan_add_config(p, existing, text);
	free(existing);
	free(text);
}

bool kyso_setup_plan_has_work(const kyso_setup_plan_t *p)
{
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].status == AST_TODO && p->acts[i].kind != ACT_PROBE &&
		    p->acts[i].kind != ACT_SELFTEST && p->acts[i].kind != ACT_REPORT)
			return true;
	return false;
}

bool kyso_setup_file_has(const char *path, const char *text)
{
	char *cur = kyso_setup_read_text(path);
	bool same = cur != NULL && strcmp(cur, text) == 0;
	free(cur);
	return same;
}

/* A vendor file from the bundle (a->source, NULL without --bundle; a->sha256):
 * missing (named, with where to put it), no SHA-256 in the catalog, the wrong
 * SHA-256, or for a .deb its package name and whether it is installed. Leaves
 * a->status as it is when the file can be installed. */
void kyso_setup_plan_check_bundle_file(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                       kyso_setup_action_t *a, const char *file, bool deb)
{
	const char *src = a->source;
	char hex[65] = "";
	kyso_error_t e;
	kyso_error_clear(&e);
	if (src == NULL || access(src, R_OK) != 0) {
		a->status = AST_MISSING;
		if (o->bundle != NULL)
			kyso_setup_act_set_detail(a, _("vendor file %s is missing: put it at %s"),
			                          file, src);
		else
			kyso_setup_act_set_detail(
			        a,
			        _("vendor file %s is needed: get it from the vendor and run "
			          "kyso setup --bundle DIR with the file in DIR"),
			        file);
		json_array_append_new(p->missing, json_pack("{s:s, s:s?, s:s?}", "file", file,
		                                            "where", o->bundle != NULL ? src : NULL,
		                                            "sha256", a->sha256));
	} else if (a->sha256 == NULL) {
		a->status = AST_BAD_HASH;
		kyso_setup_act_set_detail(
		        a,
		        _("the catalog has no SHA-256 for %s: kyso installs only checked "
		          "vendor files"),
		        file);
	} else if (kyso_setup_sha256_file(src, hex, &e) != KYSO_OK || strcmp(hex, a->sha256) != 0) {
		a->status = AST_BAD_HASH;
		kyso_setup_act_set_detail(a, _("%s has SHA-256 %s, the catalog expects %s"), src,
		                          hex, a->sha256);
	} else if (deb) {
		char *name = kyso_setup_pkg_deb_name(src);
		free(a->target);
		a->target = name;
		if (name == NULL) {
			a->status = AST_BAD_HASH;
			kyso_setup_act_set_detail(a, _("%s is not a Debian package"), src);
		} else if (!kyso_setup_pkg_available(o)) {
			a->status = AST_SKIPPED;
			kyso_setup_act_set_detail(a, "%s", _("staging root without KYSO_APT"));
		} else if (kyso_setup_pkg_state(o, name) == PKG_INSTALLED) {
			a->status = AST_IN_PLACE;
		}
	}
}

/* The vendor's own plugin/service on its port (VNPT-CA Plugin 4433, VGCA
 * Sign Service 8987): kyso-agent leaves that protocol off. Decided once, at
 * the first setup, and kept in config.json ("agent"), so that kyso-agent
 * itself listening there later does not change the decision. */
void kyso_setup_plan_vendor_ports(kyso_setup_plan_t *p)
{
	kyso_config_t *c = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_config_read_file(p->config_file, &c, &e);
	if (c != NULL && c->has_agent) {
		if (!c->vnpt_plugin)
			json_array_append_new(p->vendor_ports, json_integer(p->vnpt_port));
		if (!c->vgca_sign_service)
			json_array_append_new(p->vendor_ports, json_integer(p->vgca_port));
	} else {
		const int ports[] = {p->vnpt_port, p->vgca_port};
		for (size_t i = 0; i < 2; i++)
			if (kyso_setup_port_in_use(ports[i]))
				json_array_append_new(p->vendor_ports, json_integer(ports[i]));
	}
	kyso_config_free(&c);
}

/* The agent's ports: 4453 (kyso), 4433 (VNPT-CA Plugin), 8987 (VGCA Sign
 * Service), or KYSO_AGENT_PORTS. */
kyso_err_t kyso_setup_plan_agent_ports(kyso_setup_plan_t *p, kyso_error_t *err)
{
	/* KYSO_AGENT_PORTS="KYSO,VNPT,VGCA" (tests, a machine where they are taken) */
	p->kyso_port = 4453;
	p->vnpt_port = 4433;
	p->vgca_port = 8987;
	const char *ports = getenv("KYSO_AGENT_PORTS");
	if (ports != NULL && ports[0] != '\0') {
		int k = 0, v = 0, g = 0;
		if (sscanf(ports, "%d,%d,%d", &k, &v, &g) != 3 || k <= 0 || k > 65535 || v <= 0 ||
		    v > 65535 || g <= 0 || g > 65535)
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("KYSO_AGENT_PORTS must be KYSO,VNPT,VGCA port numbers, "
			          "not \"%s\""),
			        ports);
		p->kyso_port = k;
		p->vnpt_port = v;
		p->vgca_port = g;
	}
	return KYSO_OK;
}

bool kyso_setup_plan_proto_off(const kyso_setup_plan_t *p, int proto)
{
	int port = proto == AGENT_PROTO_VNPT ? p->vnpt_port : p->vgca_port;
	size_t i;
	const json_t *v;
	json_array_foreach(p->vendor_ports, i, v)
	{
		if (json_integer_value(v) == port)
			return true;
	}
	return false;
}

static bool strv_add(char ***v, size_t *n, const char *s)
{
	char **more = realloc(*v, (*n + 2) * sizeof(**v));
	if (more == NULL)
		return false;
	*v = more;
	more[*n] = strdup(s);
	more[*n + 1] = NULL;
	return more[(*n)++] != NULL;
}

char **kyso_setup_plan_agent_argv(const kyso_setup_plan_t *p)
{
	char **v = NULL;
	size_t n = 0;
	char num[16];
	bool ok = strv_add(&v, &n, p->agent_path);
	if (ok && p->kyso_port != 4453) {
		snprintf(num, sizeof(num), "%d", p->kyso_port);
		ok = strv_add(&v, &n, "--kyso-port") && strv_add(&v, &n, num);
	}
	if (ok && kyso_setup_plan_proto_off(p, AGENT_PROTO_VNPT)) {
		ok = strv_add(&v, &n, "--vnpt-ports") && strv_add(&v, &n, "");
	} else if (ok && p->vnpt_port != 4433) {
		snprintf(num, sizeof(num), "%d", p->vnpt_port);
		ok = strv_add(&v, &n, "--vnpt-ports") && strv_add(&v, &n, num);
	}
	if (ok && (kyso_setup_plan_proto_off(p, AGENT_PROTO_VGCA) || p->vgca_port != 8987)) {
		snprintf(num, sizeof(num), "%d",
		         kyso_setup_plan_proto_off(p, AGENT_PROTO_VGCA) ? 0 : p->vgca_port);
		ok = strv_add(&v, &n, "--vgca-port") && strv_add(&v, &n, num);
	}
	if (!ok) {
		kyso_strv_free(v);
		return NULL;
	}
	return v;
}

char *kyso_setup_plan_agent_unit(const kyso_setup_plan_t *p)
{
	char **argv = kyso_setup_plan_agent_argv(p);
	if (argv == NULL)
		return NULL;
	/* ExecStart: the arguments, "" for an empty one */
	size_t len = 1;
	for (size_t i = 0; argv[i] != NULL; i++)
		len += strlen(argv[i]) + 3;
	char *cmd = malloc(len);
	size_t off = 0;
	for (size_t i = 0; cmd != NULL && argv[i] != NULL; i++) {
		int n = snprintf(cmd + off, len - off, "%s%s", i > 0 ? " " : "",
		                 argv[i][0] != '\0' ? argv[i] : "\"\"");
		if (n > 0)
			off += (size_t)n;
	}
	if (cmd != NULL && off == 0)
		cmd[0] = '\0';
	kyso_strv_free(argv);
	char *unit = cmd != NULL ? kyso_setup_agent_unit_text(cmd, p->config_file) : NULL;
	free(cmd);
	return unit;
}

/* ---- output ------------------------------------------------------------------- */

json_t *kyso_setup_plan_to_json(const kyso_setup_plan_t *p)
{
	json_t *acts = json_array();
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *a = &p->acts[i];
		json_array_append_new(acts, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "kind",
		                                      kyso_setup_act_kind_id(a->kind), "status",
		                                      kyso_setup_act_status_id(a->status), "target",
		                                      a->target, "source", a->source, "sha256",
		                                      a->sha256, "detail", a->detail));
	}
	return json_pack("{s:s?, s:s?, s:s?, s:o, s:O}", "token_type",
	                 p->type != NULL ? kyso_token_type_id(p->type) : NULL, "token_name",
	                 p->type != NULL ? kyso_token_type_name(p->type) : NULL, "module",
	                 p->module, "actions", acts, "missing", p->missing);
}

static const char *status_text(kyso_setup_act_status_t s)
{
	switch (s) {
	case AST_TODO:
		return _("to do");
	case AST_IN_PLACE:
		return _("already in place");
	case AST_MISSING:
		return _("MISSING");
	case AST_BAD_HASH:
		return _("WRONG FILE");
	case AST_SKIPPED:
		return _("skipped");
	case AST_DONE:
		return _("done");
	case AST_FAILED:
		return _("FAILED");
	}
	return "?";
}

static const char *kind_text(kyso_setup_act_kind_t k)
{
	switch (k) {
	case ACT_PACKAGE:
		return _("install package");
	case ACT_BUNDLE_FILE:
		return _("install vendor file");
	case ACT_BUNDLE_DEB:
		return _("install vendor package");
	case ACT_PROBE:
		return _("load the PKCS#11 module");
	case ACT_P11KIT:
		return _("register with p11-kit");
	case ACT_NSS:
		return _("register in NSS database");
	case ACT_CONFIG:
		return _("write kyso configuration");
	case ACT_AGENT_UNIT:
		return _("install the agent service");
	case ACT_AGENT_ENABLE:
		return _("enable the agent service");
	case ACT_SELFTEST:
		return _("sign the sample PDF (self-test)");
	case ACT_REPORT:
		return _("write the install report");
	case ACT_AGENT_CA:
		return _("create the agent's local CA");
	case ACT_CA_SYSTEM:
		return _("trust the local CA (system store)");
	case ACT_CA_NSS:
		return _("trust the local CA in NSS database");
	case ACT_AGENT_START:
		return _("start the agent now");
	case ACT_VENDOR_PLUGIN:
		return _("install the vendor's plugin");
	case ACT_BROWSER_POLICY:
		return _("pre-approve the web system in the browser policy");
	case ACT_VENDOR_INSTALLER:
		return _("run the vendor's driver installer");
	case ACT_AUTOSTART:
		return _("start the agent at logon");
	}
	return "?";
}

/* Characters (not bytes) of a UTF-8 string, for column padding. */
static int utf8_width(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void kyso_setup_plan_print(const kyso_setup_plan_t *p, FILE *out)
{
	fprintf(out, _("Token: %s (%s)\n"), kyso_token_type_name(p->type),
	        kyso_token_type_id(p->type));
	fprintf(out, _("PKCS#11 module: %s\n"), p->module != NULL ? p->module : _("(none)"));
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *a = &p->acts[i];
		const char *st = status_text(a->status);
		int pad = 16 - utf8_width(st);
		fprintf(out, "  [%s%*s] %s", st, pad > 0 ? pad : 0, "", kind_text(a->kind));
		if (a->target != NULL)
			fprintf(out, ": %s", a->target);
		fputc('\n', out);
		if (a->detail != NULL)
			fprintf(out, "                     %s\n", a->detail);
	}
}
