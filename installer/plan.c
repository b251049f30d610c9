/* The install plan: what setup will do for one token type, each item with
 * its state now (to do, already in place, vendor file missing, ...).
 * Building the plan changes nothing. */
#include "setup_int.h"
#include "browser_int.h"

#include <limits.h>
#include <pwd.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *setup_path(const setup_opts_t *o, const char *path)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s", o->root, path) < 0)
		return NULL;
	return s;
}

char *read_text(const char *path)
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

kyso_err_t sha256_file(const char *path, char hex[65], kyso_error_t *err)
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

action_t *plan_add(plan_t *p, act_kind_t kind, act_status_t st, const char *target,
                   const char *source, const char *sha256, const char *detail)
{
	action_t *more = realloc(p->acts, (p->nacts + 1) * sizeof(*more));
	if (more == NULL)
		return NULL;
	p->acts = more;
	action_t *a = &p->acts[p->nacts++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->status = st;
	a->target = target != NULL ? strdup(target) : NULL;
	a->source = source != NULL ? strdup(source) : NULL;
	a->sha256 = sha256 != NULL ? strdup(sha256) : NULL;
	a->detail = detail != NULL ? strdup(detail) : NULL;
	return a;
}

void act_set_detail(action_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(a->detail);
	if (vasprintf(&a->detail, fmt, ap) < 0)
		a->detail = NULL;
	va_end(ap);
}

void plan_free(plan_t *p)
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
	free(p->ca_system);
	free(p->agent_pidfile);
	free(p->agent_log);
	memset(p, 0, sizeof(*p));
}

const char *act_kind_id(act_kind_t k)
{
	static const char *const ids[] = {
	        "package",     "bundle-file",    "bundle-deb", "probe",        "p11-kit",
	        "nss",         "config",         "agent-unit", "agent-enable", "selftest",
	        "report",      "browser-policy", "agent-ca",   "ca-system",    "ca-nss",
	        "agent-start", "vendor-plugin"};
	return (size_t)k < sizeof(ids) / sizeof(ids[0]) ? ids[k] : "?";
}

const char *act_status_id(act_status_t s)
{
	static const char *const ids[] = {"todo",    "in-place", "missing", "bad-hash",
	                                  "skipped", "done",     "failed"};
	return (size_t)s < sizeof(ids) / sizeof(ids[0]) ? ids[s] : "?";
}

bool plan_has_work(const plan_t *p)
{
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].status == AST_TODO && p->acts[i].kind != ACT_PROBE &&
		    p->acts[i].kind != ACT_SELFTEST && p->acts[i].kind != ACT_REPORT)
			return true;
	return false;
}

static bool file_has(const char *path, const char *text)
{
	char *cur = read_text(path);
	bool same = cur != NULL && strcmp(cur, text) == 0;
	free(cur);
	return same;
}

static const char *os_driver_str(const json_t *drv, const char *key)
{
	return json_string_value(json_object_get(drv, key));
}

/* Packages from the catalog. */
static void plan_packages(const setup_opts_t *o, const json_t *drv, plan_t *p)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "packages"), i, v)
	{
		const char *name = json_string_value(v);
		if (!pkg_available(o)) {
			action_t *a = plan_add(p, ACT_PACKAGE, AST_SKIPPED, name, NULL, NULL, NULL);
			if (a != NULL)
				act_set_detail(
				        a, "%s",
				        _("staging root without KYSO_APT: packages are left to "
				          "the package manager (the kyso .deb depends on them)"));
			continue;
		}
		pkg_state_t st = pkg_state(o, name);
		plan_add(p, ACT_PACKAGE, st == PKG_INSTALLED ? AST_IN_PLACE : AST_TODO, name, NULL,
		         NULL, st == PKG_UNKNOWN ? _("state unknown") : NULL);
	}
}

/* A vendor file from the bundle (a->source, NULL without --bundle; a->sha256):
 * missing (named, with where to put it), no SHA-256 in the catalog, the wrong
 * SHA-256, or for a .deb its package name and whether it is installed. Leaves
 * a->status as it is when the file can be installed. */
void plan_check_bundle_file(const setup_opts_t *o, plan_t *p, action_t *a, const char *file,
                            bool deb)
{
	const char *src = a->source;
	char hex[65] = "";
	kyso_error_t e;
	kyso_error_clear(&e);
	if (src == NULL || access(src, R_OK) != 0) {
		a->status = AST_MISSING;
		if (o->bundle != NULL)
			act_set_detail(a, _("vendor file %s is missing: put it at %s"), file, src);
		else
			act_set_detail(a,
			               _("vendor file %s is needed: get it from the vendor and run "
			                 "kyso setup --bundle DIR with the file in DIR"),
			               file);
		json_array_append_new(p->missing, json_pack("{s:s, s:s?, s:s?}", "file", file,
		                                            "where", o->bundle != NULL ? src : NULL,
		                                            "sha256", a->sha256));
	} else if (a->sha256 == NULL) {
		a->status = AST_BAD_HASH;
		act_set_detail(a,
		               _("the catalog has no SHA-256 for %s: kyso installs only checked "
		                 "vendor files"),
		               file);
	} else if (sha256_file(src, hex, &e) != KYSO_OK || strcmp(hex, a->sha256) != 0) {
		a->status = AST_BAD_HASH;
		act_set_detail(a, _("%s has SHA-256 %s, the catalog expects %s"), src, hex,
		               a->sha256);
	} else if (deb) {
		char *name = pkg_deb_name(src);
		free(a->target);
		a->target = name;
		if (name == NULL) {
			a->status = AST_BAD_HASH;
			act_set_detail(a, _("%s is not a Debian package"), src);
		} else if (!pkg_available(o)) {
			a->status = AST_SKIPPED;
			act_set_detail(a, "%s", _("staging root without KYSO_APT"));
		} else if (pkg_state(o, name) == PKG_INSTALLED) {
			a->status = AST_IN_PLACE;
		}
	}
}

/* Vendor files from the bundle: each checked against the catalog SHA-256. */
static void plan_bundle(const setup_opts_t *o, const json_t *drv, plan_t *p)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(drv, "bundle"), i, b)
	{
		const char *file = json_string_value(json_object_get(b, "file"));
		const char *sha = json_string_value(json_object_get(b, "sha256"));
		const char *kind = json_string_value(json_object_get(b, "kind"));
		if (file == NULL)
			continue;
		const char *base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
		bool deb = (kind != NULL && strcmp(kind, "deb") == 0) ||
		           (kind == NULL && strlen(base) > 4 &&
		            strcmp(base + strlen(base) - 4, ".deb") == 0);
		bool module = (kind != NULL && strcmp(kind, "module") == 0) ||
		              (kind == NULL && strstr(base, ".so") != NULL);
		if (!deb && !module) {
			/* e.g. a Windows installer (kind "exe"/"msi") or a tarball */
			action_t *a =
			        plan_add(p, ACT_BUNDLE_FILE, AST_SKIPPED, NULL, NULL, NULL, NULL);
			if (a != NULL)
				act_set_detail(
				        a,
				        _("vendor file %s (kind \"%s\") is not installed on Linux"),
				        file, kind != NULL ? kind : "?");
			continue;
		}
		char src[PATH_MAX] = "";
		if (o->bundle != NULL)
			snprintf(src, sizeof(src), "%s/%s", o->bundle, file);
		char *dest = NULL;
		if (!deb) {
			char rel[PATH_MAX];
			snprintf(rel, sizeof(rel), "/usr/lib/kyso/vendor/%s", base);
			dest = setup_path(o, rel);
		}
		char *sha_lc = sha != NULL ? strdup(sha) : NULL;
		for (char *c = sha_lc; c != NULL && *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
		action_t *a = plan_add(p, deb ? ACT_BUNDLE_DEB : ACT_BUNDLE_FILE, AST_TODO,
		                       deb ? NULL : dest, src[0] ? src : NULL, sha_lc, NULL);
		free(sha_lc);
		if (a == NULL) {
			free(dest);
			continue;
		}
		/* already installed? */
		char hex[65];
		kyso_error_t e;
		kyso_error_clear(&e);
		if (!deb && a->sha256 != NULL && access(dest, F_OK) == 0 &&
		    sha256_file(dest, hex, &e) == KYSO_OK && strcmp(hex, a->sha256) == 0) {
			a->status = AST_IN_PLACE;
		} else {
			plan_check_bundle_file(o, p, a, file, deb);
		}
		if (!deb && p->module == NULL && dest != NULL) {
			/* a vendor module file is the module when the catalog names it */
			size_t k;
			const json_t *m;
			json_array_foreach(json_object_get(drv, "modules"), k, m)
			{
				if (json_string_value(m) != NULL &&
				    strcmp(json_string_value(m), base) == 0 &&
				    a->status != AST_MISSING && a->status != AST_BAD_HASH)
					p->module = strdup(dest);
			}
		}
		free(dest);
	}
}

/* The PKCS#11 module: catalog paths, then module names in the usual places. */
static void resolve_module(const setup_opts_t *o, const json_t *drv, plan_t *p)
{
	if (p->module != NULL)
		return;
	const char *builtin = os_driver_str(drv, "builtin");
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "paths"), i, v)
	{
		char *path = kyso_module_find(o->root, json_string_value(v));
		if (path != NULL) {
			p->module = path;
			return;
		}
	}
	json_array_foreach(json_object_get(drv, "modules"), i, v)
	{
		char *path = kyso_module_find(o->root, json_string_value(v));
		/* kyso's own module also comes with kyso itself (build tree, package) */
		if (path == NULL && builtin != NULL && o->root[0] != '\0')
			path = kyso_module_find(NULL, json_string_value(v));
		if (path != NULL) {
			p->module = path;
			p->module_builtin = builtin != NULL;
			return;
		}
	}
	/* not there yet: where a package should put it */
	const char *first = json_string_value(json_array_get(json_object_get(drv, "paths"), 0));
	if (first != NULL)
		p->module = setup_path(o, first);
}

const char *setup_home(const setup_opts_t *o)
{
	/* "sudo kyso setup" on the real system: the browsers to register in are
	 * the ones of the user who ran sudo, not root's */
	const char *sudo_user = getenv("SUDO_USER");
	if (o->root[0] == '\0' && sudo_user != NULL && sudo_user[0] != '\0' &&
	    strcmp(sudo_user, "root") != 0) {
		const struct passwd *pw = getpwnam(sudo_user);
		if (pw != NULL && pw->pw_dir != NULL)
			return pw->pw_dir;
	}
	const char *home = getenv("HOME");
	return home != NULL ? home : "/tmp";
}

static char *home_path(const setup_opts_t *o, const char *rel)
{
	const char *home = setup_home(o);
	char *s = NULL;
	if (asprintf(&s, "%s/%s", home, rel) < 0)
		return NULL;
	return s;
}

static void plan_registration(const setup_opts_t *o, const kyso_token_type_t *type, plan_t *p)
{
	const char *id = kyso_token_type_id(type);
	char *mod_text = p->module != NULL ? kyso_p11kit_module_text(p->module) : NULL;
	char *p11 = kyso_p11kit_module_file(o->root, o->user, id);
	if (mod_text == NULL)
		plan_add(p, ACT_P11KIT, AST_SKIPPED, p11, NULL, NULL, _("no PKCS#11 module"));
	else
		plan_add(p, ACT_P11KIT, file_has(p11, mod_text) ? AST_IN_PLACE : AST_TODO, p11,
		         NULL, NULL, NULL);
	free(p11);
	free(mod_text);

	/* NSS databases */
	char **dbs = kyso_nss_dbs_find(o->root, setup_home(o));
	char *name = nss_module_name(type);
	char *sysdb = setup_path(o, "/etc/pki/nssdb");
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		if (o->user && sysdb != NULL && strcmp(dbs[i], sysdb) == 0)
			continue; /* --user leaves the system database alone */
		if (p->module == NULL) {
			plan_add(p, ACT_NSS, AST_SKIPPED, dbs[i], NULL, NULL,
			         _("no PKCS#11 module"));
			continue;
		}
		bool present = false;
		kyso_error_t e;
		kyso_error_clear(&e);
		if (nss_module_present(dbs[i], name, p->module, &present, &e) != KYSO_OK)
			plan_add(p, ACT_NSS, AST_TODO, dbs[i], NULL, NULL, kyso_error_message(&e));
		else
			plan_add(p, ACT_NSS, present ? AST_IN_PLACE : AST_TODO, dbs[i], NULL, NULL,
			         NULL);
	}
	if (dbs == NULL || dbs[0] == NULL)
		plan_add(p, ACT_NSS, AST_SKIPPED, NULL, NULL, NULL,
		         _("no NSS database found (no Firefox profile, no ~/.pki/nssdb)"));
	kyso_strv_free(dbs);
	free(name);
	free(sysdb);

	/* kyso config: module path for kyso sign and the agent, origins */
	char *existing = read_text(p->config_file);
	/* written without a module too: the agent reads its origins there */
	char *text = config_text(o, p, existing);
	if (text == NULL)
		plan_add(p, ACT_CONFIG, AST_SKIPPED, p->config_file, NULL, NULL,
		         _("no PKCS#11 module"));
	else
		plan_add(p, ACT_CONFIG,
		         existing != NULL && strcmp(existing, text) == 0 ? AST_IN_PLACE : AST_TODO,
		         p->config_file, NULL, NULL, NULL);
	free(existing);
	free(text);
}

/* The vendor's own plugin/service on its port (VNPT-CA Plugin 4433, VGCA
 * Sign Service 8987): kyso-agent leaves that protocol off. Decided once, at
 * the first setup, and kept in config.json ("agent"), so that kyso-agent
 * itself listening there later does not change the decision. */
static void vendor_ports(plan_t *p)
{
	char *existing = read_text(p->config_file);
	json_error_t je;
	json_t *doc = existing != NULL ? json_loads(existing, 0, &je) : NULL;
	const json_t *agent = json_object_get(doc, "agent");
	if (json_is_object(agent)) {
		if (json_is_false(json_object_get(agent, "vnpt_plugin")))
			json_array_append_new(p->vendor_ports, json_integer(p->vnpt_port));
		if (json_is_false(json_object_get(agent, "vgca_sign_service")))
			json_array_append_new(p->vendor_ports, json_integer(p->vgca_port));
	} else {
		const int ports[] = {p->vnpt_port, p->vgca_port};
		for (size_t i = 0; i < 2; i++)
			if (port_in_use(ports[i]))
				json_array_append_new(p->vendor_ports, json_integer(ports[i]));
	}
	json_decref(doc);
	free(existing);
}

bool plan_proto_off(const plan_t *p, int proto)
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

char **plan_agent_argv(const plan_t *p)
{
	char **v = NULL;
	size_t n = 0;
	char num[16];
	bool ok = strv_add(&v, &n, p->agent_path);
	if (ok && p->kyso_port != 4453) {
		snprintf(num, sizeof(num), "%d", p->kyso_port);
		ok = strv_add(&v, &n, "--kyso-port") && strv_add(&v, &n, num);
	}
	if (ok && plan_proto_off(p, AGENT_PROTO_VNPT)) {
		ok = strv_add(&v, &n, "--vnpt-ports") && strv_add(&v, &n, "");
	} else if (ok && p->vnpt_port != 4433) {
		snprintf(num, sizeof(num), "%d", p->vnpt_port);
		ok = strv_add(&v, &n, "--vnpt-ports") && strv_add(&v, &n, num);
	}
	if (ok && (plan_proto_off(p, AGENT_PROTO_VGCA) || p->vgca_port != 8987)) {
		snprintf(num, sizeof(num), "%d",
		         plan_proto_off(p, AGENT_PROTO_VGCA) ? 0 : p->vgca_port);
		ok = strv_add(&v, &n, "--vgca-port") && strv_add(&v, &n, num);
	}
	if (!ok) {
		kyso_strv_free(v);
		return NULL;
	}
	return v;
}

char *plan_agent_unit(const plan_t *p)
{
	char **argv = plan_agent_argv(p);
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
	char *unit = cmd != NULL ? agent_unit_text(cmd, p->config_file) : NULL;
	free(cmd);
	return unit;
}

/* Start now: the agent setup started before keeps running unless its unit
 * or configuration changes (then it is restarted to read them). */
static void plan_agent_start(const setup_opts_t *o, plan_t *p)
{
	p->agent_running = agent_is_running(o, p);
	bool changed = false;
	for (size_t i = 0; i < p->nacts; i++) {
		const action_t *a = &p->acts[i];
		if (a->status == AST_TODO &&
		    (a->kind == ACT_CONFIG || a->kind == ACT_AGENT_UNIT || a->kind == ACT_AGENT_CA))
			changed = true;
	}
	const char *target =
	        p->agent_systemd ? "kyso-agent.service (systemctl --user)" : p->agent_pidfile;
	action_t *a =
	        plan_add(p, ACT_AGENT_START, p->agent_running && !changed ? AST_IN_PLACE : AST_TODO,
	                 target, NULL, NULL, NULL);
	if (a == NULL)
		return;
	if (p->agent_running && changed)
		act_set_detail(a, "%s", _("restart: its settings change"));
	else if (!p->agent_systemd && a->status == AST_TODO)
		act_set_detail(a, "%s",
		               o->root[0] != '\0'
		                       ? _("staging root: started in the background as the unit "
		                           "would run it (PID in this file)")
		                       : _("no systemd user manager: started in the background as "
		                           "the unit would run it; systemd starts it at the next "
		                           "login"));
}

/* The agent's local CA and where browsers look for trust anchors. */
static void plan_trust(const setup_opts_t *o, plan_t *p)
{
	if (o->no_agent)
		return;
	char ca_file[PATH_MAX];
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", p->agent_state);
	kyso_error_t e;
	kyso_error_clear(&e);
	p->ca_pem = local_ca_read(p->agent_state, &e);
	bool bad = p->ca_pem == NULL && access(ca_file, F_OK) == 0;
	action_t *a = plan_add(p, ACT_AGENT_CA, p->ca_pem != NULL ? AST_IN_PLACE : AST_TODO,
	                       ca_file, NULL, NULL, NULL);
	if (a != NULL && bad) {
		a->status = AST_SKIPPED;
		a->problem = true;
		act_set_detail(a, "%s", kyso_error_message(&e));
	}
	const char *why_not = bad ? _("the local CA is not acceptable (above)") : NULL;
	/* system store */
	if (o->user) {
		plan_add(p, ACT_CA_SYSTEM, AST_SKIPPED, NULL, NULL, NULL,
		         _("--user: the system trust store needs root; the browsers' NSS "
		           "databases have the CA"));
	} else if (why_not != NULL) {
		plan_add(p, ACT_CA_SYSTEM, AST_SKIPPED, p->ca_system, NULL, NULL, why_not);
	} else {
		char *cur = read_text(p->ca_system);
		action_t *s = plan_add(p, ACT_CA_SYSTEM,
		                       pem_same_cert(cur, p->ca_pem) ? AST_IN_PLACE : AST_TODO,
		                       p->ca_system, NULL, NULL, NULL);
		if (s != NULL && s->status == AST_TODO && o->root[0] != '\0' &&
		    getenv("KYSO_APT") == NULL)
			act_set_detail(s, "%s",
			               _("staging root without KYSO_APT: the file is written, "
			                 "update-ca-certificates is not run"));
		free(cur);
	}
	/* the browsers' NSS databases (Chromium's, Firefox profiles): not the system one */
	char **dbs = kyso_nss_dbs_find(NULL, setup_home(o));
	size_t n = 0;
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		if (strncmp(dbs[i], setup_home(o), strlen(setup_home(o))) != 0)
			continue;
		n++;
		if (why_not != NULL) {
			plan_add(p, ACT_CA_NSS, AST_SKIPPED, dbs[i], NULL, NULL, why_not);
			continue;
		}
		char *pem = NULL;
		char *trust = nss_cert_trust(dbs[i], LOCAL_CA_NAME, &pem);
		bool ok =
		        trust != NULL && strcmp(trust, "C,,") == 0 && pem_same_cert(pem, p->ca_pem);
		plan_add(p, ACT_CA_NSS, ok ? AST_IN_PLACE : AST_TODO, dbs[i], NULL, NULL, NULL);
		free(trust);
		free(pem);
	}
	if (n == 0)
		plan_add(p, ACT_CA_NSS, AST_SKIPPED, NULL, NULL, NULL,
		         _("no browser NSS database (Chromium ~/.pki/nssdb, Firefox profile) "
		           "found: start the browser once, then run kyso setup --repair"));
	kyso_strv_free(dbs);
}

static void plan_agent(const setup_opts_t *o, plan_t *p)
{
	if (o->no_agent) {
		plan_add(p, ACT_AGENT_UNIT, AST_SKIPPED, p->unit_file, NULL, NULL, _("--no-agent"));
		return;
	}
	char *unit = plan_agent_unit(p);
	plan_add(p, ACT_AGENT_UNIT,
	         unit != NULL && file_has(p->unit_file, unit) ? AST_IN_PLACE : AST_TODO,
	         p->unit_file, NULL, NULL, NULL);
	free(unit);
	char *dir = strdup(p->unit_file);
	char *slash = dir != NULL ? strrchr(dir, '/') : NULL;
	char *link = NULL;
	if (slash != NULL) {
		*slash = '\0';
		if (asprintf(&link, "%s/default.target.wants/kyso-agent.service", dir) < 0)
			link = NULL;
	}
	char cur[PATH_MAX];
	ssize_t n = link != NULL ? readlink(link, cur, sizeof(cur) - 1) : -1;
	if (n >= 0)
		cur[n] = '\0';
	plan_add(p, ACT_AGENT_ENABLE,
	         n >= 0 && strcmp(cur, p->unit_file) == 0 ? AST_IN_PLACE : AST_TODO, link,
	         p->unit_file, NULL, NULL);
	free(link);
	free(dir);
	plan_agent_start(o, p);
}

static kyso_err_t plan_paths(const setup_opts_t *o, plan_t *p, kyso_error_t *err)
{
	if (o->user) {
		p->journal_dir = home_path(o, ".local/state/kyso/setup");
		p->config_file = home_path(o, ".config/kyso/config.json");
		p->unit_file = home_path(o, ".config/systemd/user/kyso-agent.service");
	} else {
		p->journal_dir = setup_path(o, "/var/lib/kyso/setup");
		p->config_file = setup_path(o, "/etc/kyso/config.json");
		p->unit_file = setup_path(o, "/etc/systemd/user/kyso-agent.service");
	}
	p->report_dir = o->report_dir != NULL ? strdup(o->report_dir) : strdup(p->journal_dir);
	char prefix[PATH_MAX];
	if (!kyso_install_prefix(prefix, sizeof(prefix)))
		snprintf(prefix, sizeof(prefix), "/usr");
	char agent[PATH_MAX + 32];
	snprintf(agent, sizeof(agent), "%s/bin/kyso-agent", prefix);
	char real[PATH_MAX];
	p->agent_path = strdup(realpath(agent, real) != NULL ? real : agent);
	p->missing = json_array();
	p->vendor_ports = json_array();
	p->agent_state = agent_state_dir(o);
	p->ca_system =
	        o->user ? NULL
	                : setup_path(o, "/usr/local/share/ca-certificates/" LOCAL_CA_NAME ".crt");
	if (asprintf(&p->agent_pidfile, "%s/agent.pid", p->journal_dir) < 0)
		p->agent_pidfile = NULL;
	if (asprintf(&p->agent_log, "%s/agent.log", p->journal_dir) < 0)
		p->agent_log = NULL;
	if (p->journal_dir == NULL || p->config_file == NULL || p->unit_file == NULL ||
	    p->report_dir == NULL || p->agent_path == NULL || p->missing == NULL ||
	    p->agent_state == NULL || p->agent_pidfile == NULL || p->agent_log == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
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
	p->agent_systemd = !o->no_agent && agent_systemd_available(o);
	return KYSO_OK;
}

kyso_err_t plan_build(const setup_opts_t *o, const kyso_token_type_t *type,
                      const kyso_token_t *token, plan_t *p, kyso_error_t *err)
{
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->token = token;
	kyso_err_t rc = plan_paths(o, p, err);
	if (rc != KYSO_OK)
		return rc;
	const json_t *drv = kyso_token_type_driver(type, "linux");
	if (drv == NULL) {
		plan_add(p, ACT_PACKAGE, AST_SKIPPED, NULL, NULL, NULL,
		         _("the catalog names no Linux driver for this token"));
		return KYSO_OK;
	}
	plan_packages(o, drv, p);
	plan_bundle(o, drv, p);
	resolve_module(o, drv, p);
	if (p->module != NULL)
		plan_add(p, ACT_PROBE, AST_TODO, p->module, NULL, NULL,
		         access(p->module, F_OK) != 0
		                 ? _("not on this machine yet: the packages above may bring it; "
		                     "otherwise it comes with the vendor's driver package and "
		                     "setup names it as missing")
		                 : NULL);
	else
		plan_add(p, ACT_PROBE, AST_SKIPPED, NULL, NULL, NULL,
		         json_array_size(p->missing) > 0
		                 ? _("no PKCS#11 module: the vendor file is missing")
		                 : _("the catalog names no PKCS#11 module for Linux"));
	vendor_ports(p);
	plan_vendor_plugins(o, type, drv, p);
	plan_registration(o, type, p);
	plan_trust(o, p);
	plan_agent(o, p);
	rc = plan_browser(o, p, err);
	if (rc != KYSO_OK)
		return rc;
	if (o->no_selftest)
		plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL, _("--no-selftest"));
	else if (p->module == NULL)
		plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL, _("no PKCS#11 module"));
	else if (o->unattended && o->pin_env == NULL)
		plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		         _("unattended without --pin-env: no PIN to sign with"));
	else
		plan_add(p, ACT_SELFTEST, AST_TODO, NULL, NULL, NULL, NULL);
	char *report = NULL;
	if (asprintf(&report, "%s/install-report.json", p->report_dir) < 0)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	plan_add(p, ACT_REPORT, AST_TODO, report, NULL, NULL, NULL);
	free(report);
	return KYSO_OK;
}

/* ---- output ------------------------------------------------------------------- */

json_t *plan_to_json(const plan_t *p)
{
	json_t *acts = json_array();
	for (size_t i = 0; i < p->nacts; i++) {
		const action_t *a = &p->acts[i];
		json_array_append_new(acts, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "kind",
		                                      act_kind_id(a->kind), "status",
		                                      act_status_id(a->status), "target", a->target,
		                                      "source", a->source, "sha256", a->sha256,
		                                      "detail", a->detail));
	}
	return json_pack("{s:s?, s:s?, s:s?, s:o, s:O}", "token_type",
	                 p->type != NULL ? kyso_token_type_id(p->type) : NULL, "token_name",
	                 p->type != NULL ? kyso_token_type_name(p->type) : NULL, "module",
	                 p->module, "actions", acts, "missing", p->missing);
}

static const char *status_text(act_status_t s)
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

static const char *kind_text(act_kind_t k)
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

void plan_print(const plan_t *p, FILE *out)
{
	fprintf(out, _("Token: %s (%s)\n"), kyso_token_type_name(p->type),
	        kyso_token_type_id(p->type));
	fprintf(out, _("PKCS#11 module: %s\n"), p->module != NULL ? p->module : _("(none)"));
	for (size_t i = 0; i < p->nacts; i++) {
		const action_t *a = &p->acts[i];
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
