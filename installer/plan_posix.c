/* The install plan on Linux (and other POSIX systems): distribution
 * packages and vendor files from the bundle, p11-kit and NSS registration,
 * kyso's config, the agent's systemd user unit and local CA in the system
 * store and the browsers' NSS databases. The platform-independent part of
 * the plan is plan.c. */
#include "kyso_platform.h"
#include "kyso_process.h"
#include "setup_int.h"
#include "browser_int.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *os_driver_str(const json_t *drv, const char *key)
{
	return json_string_value(json_object_get(drv, key));
}

/* Packages from the catalog. */
static void plan_packages(const kyso_setup_opts_t *o, const json_t *drv, kyso_setup_plan_t *p)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "packages"), i, v)
	{
		const char *name = json_string_value(v);
		if (!kyso_setup_pkg_available(o)) {
			kyso_setup_action_t *a = kyso_setup_plan_add(p, ACT_PACKAGE, AST_SKIPPED,
			                                             name, NULL, NULL, NULL);
			if (a != NULL)
				kyso_setup_act_set_detail(
				        a, "%s",
				        _("staging root without KYSO_APT: packages are left to "
				          "the package manager (the kyso .deb depends on them)"));
			continue;
		}
		pkg_state_t st = kyso_setup_pkg_state(o, name);
		kyso_setup_plan_add(p, ACT_PACKAGE, st == PKG_INSTALLED ? AST_IN_PLACE : AST_TODO,
		                    name, NULL, NULL,
		                    st == PKG_UNKNOWN ? _("state unknown") : NULL);
	}
}

/* Vendor files from the bundle: each checked against the catalog SHA-256. */
static void plan_bundle(const kyso_setup_opts_t *o, const json_t *drv, kyso_setup_plan_t *p)
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
			kyso_setup_action_t *a = kyso_setup_plan_add(
			        p, ACT_BUNDLE_FILE, AST_SKIPPED, NULL, NULL, NULL, NULL);
			if (a != NULL)
				kyso_setup_act_set_detail(
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
			dest = kyso_setup_path(o, rel);
		}
		char *sha_lc = sha != NULL ? strdup(sha) : NULL;
		for (char *c = sha_lc; c != NULL && *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
		kyso_setup_action_t *a =
		        kyso_setup_plan_add(p, deb ? ACT_BUNDLE_DEB : ACT_BUNDLE_FILE, AST_TODO,
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
		    kyso_setup_sha256_file(dest, hex, &e) == KYSO_OK &&
		    strcmp(hex, a->sha256) == 0) {
			a->status = AST_IN_PLACE;
		} else {
			kyso_setup_plan_check_bundle_file(o, p, a, file, deb);
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
static void resolve_module(const kyso_setup_opts_t *o, const json_t *drv, kyso_setup_plan_t *p)
{
	if (p->module != NULL)
		return;
	const char *builtin = os_driver_str(drv, "builtin");
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "paths"), i, v)
	{
		char *path = kyso_p11_module_find(o->root, json_string_value(v));
		if (path != NULL) {
			p->module = path;
			return;
		}
	}
	json_array_foreach(json_object_get(drv, "modules"), i, v)
	{
		char *path = kyso_p11_module_find(o->root, json_string_value(v));
		/* kyso's own module also comes with kyso itself (build tree, package) */
		if (path == NULL && builtin != NULL && o->root[0] != '\0')
			path = kyso_p11_module_find(NULL, json_string_value(v));
		if (path != NULL) {
			p->module = path;
			p->module_builtin = builtin != NULL;
			return;
		}
	}
	/* not there yet: where a package should put it */
	const char *first = json_string_value(json_array_get(json_object_get(drv, "paths"), 0));
	if (first != NULL)
		p->module = kyso_setup_path(o, first);
}

const char *kyso_setup_os_id(void)
{
	return "linux";
}

char *kyso_setup_journal_dir(const kyso_setup_opts_t *o)
{
	if (!o->user)
		return kyso_setup_path(o, "/var/lib/kyso/setup");
	char *s = NULL;
	if (asprintf(&s, "%s/.local/state/kyso/setup", kyso_setup_home(o)) < 0)
		return NULL;
	return s;
}

kyso_err_t kyso_setup_vendor_installer_run(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                           kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                           kyso_error_t *err)
{
	(void)o;
	(void)p;
	(void)j;
	(void)a;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, "vendor installers: Windows only");
}

kyso_err_t kyso_setup_autostart_install(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                        kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                        kyso_error_t *err)
{
	(void)o;
	(void)p;
	(void)j;
	(void)a;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, "HKCU Run: Windows only");
}

const char *kyso_setup_home(const kyso_setup_opts_t *o)
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

static char *home_path(const kyso_setup_opts_t *o, const char *rel)
{
	const char *home = kyso_setup_home(o);
	char *s = NULL;
	if (asprintf(&s, "%s/%s", home, rel) < 0)
		return NULL;
	return s;
}

static void plan_registration(const kyso_setup_opts_t *o, const kyso_token_type_t *type,
                              kyso_setup_plan_t *p)
{
	const char *id = kyso_token_type_id(type);
	char *mod_text = p->module != NULL ? kyso_p11kit_module_text(p->module) : NULL;
	char *p11 = kyso_p11kit_module_file(o->root, o->user, id);
	if (mod_text == NULL)
		kyso_setup_plan_add(p, ACT_P11KIT, AST_SKIPPED, p11, NULL, NULL,
		                    _("no PKCS#11 module"));
	else
		kyso_setup_plan_add(p, ACT_P11KIT,
		                    kyso_setup_file_has(p11, mod_text) ? AST_IN_PLACE : AST_TODO,
		                    p11, NULL, NULL, NULL);
	free(p11);
	free(mod_text);

	/* NSS databases */
	char **dbs = kyso_nss_dbs_find(o->root, kyso_setup_home(o));
	char *name = kyso_setup_nss_module_name(type);
	char *sysdb = kyso_setup_path(o, "/etc/pki/nssdb");
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		if (o->user && sysdb != NULL && strcmp(dbs[i], sysdb) == 0)
			continue; /* --user leaves the system database alone */
		if (p->module == NULL) {
			kyso_setup_plan_add(p, ACT_NSS, AST_SKIPPED, dbs[i], NULL, NULL,
			                    _("no PKCS#11 module"));
			continue;
		}
		bool present = false;
		kyso_error_t e;
		kyso_error_clear(&e);
		if (kyso_setup_nss_module_present(dbs[i], name, p->module, &present, &e) != KYSO_OK)
			kyso_setup_plan_add(p, ACT_NSS, AST_TODO, dbs[i], NULL, NULL,
			                    kyso_error_message(&e));
		else
			kyso_setup_plan_add(p, ACT_NSS, present ? AST_IN_PLACE : AST_TODO, dbs[i],
			                    NULL, NULL, NULL);
	}
	if (dbs == NULL || dbs[0] == NULL)
		kyso_setup_plan_add(
		        p, ACT_NSS, AST_SKIPPED, NULL, NULL, NULL,
		        _("no NSS database found (no Firefox profile, no ~/.pki/nssdb)"));
	kyso_strv_free(dbs);
	free(name);
	free(sysdb);

	kyso_setup_plan_config(o, p);
}

/* Start now: the agent setup started before keeps running unless its unit
 * or configuration changes (then it is restarted to read them). */
static void plan_agent_start(const kyso_setup_opts_t *o, kyso_setup_plan_t *p)
{
	p->agent_running = kyso_setup_agent_is_running(o, p);
	bool changed = false;
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *a = &p->acts[i];
		if (a->status == AST_TODO &&
		    (a->kind == ACT_CONFIG || a->kind == ACT_AGENT_UNIT || a->kind == ACT_AGENT_CA))
			changed = true;
	}
	const char *target =
	        p->agent_systemd ? "kyso-agent.service (systemctl --user)" : p->agent_pidfile;
	kyso_setup_action_t *a = kyso_setup_plan_add(
	        p, ACT_AGENT_START, p->agent_running && !changed ? AST_IN_PLACE : AST_TODO, target,
	        NULL, NULL, NULL);
	if (a == NULL)
		return;
	if (p->agent_running && changed)
		kyso_setup_act_set_detail(a, "%s", _("restart: its settings change"));
	else if (!p->agent_systemd && a->status == AST_TODO)
		kyso_setup_act_set_detail(
		        a, "%s",
		        o->root[0] != '\0'
		                ? _("staging root: started in the background as the unit "
		                    "would run it (PID in this file)")
		                : _("no systemd user manager: started in the background as "
		                    "the unit would run it; systemd starts it at the next "
		                    "login"));
}

/* The agent's local CA and where browsers look for trust anchors. */
static void plan_trust(const kyso_setup_opts_t *o, kyso_setup_plan_t *p)
{
	if (o->no_agent)
		return;
	char ca_file[PATH_MAX];
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", p->agent_state);
	kyso_error_t e;
	kyso_error_clear(&e);
	p->ca_pem = kyso_setup_local_ca_read(p->agent_state, &e);
	const char *stale_why = NULL;
	if (p->ca_pem != NULL && kyso_setup_local_ca_stale(p->agent_state, &stale_why)) {
		free(p->ca_pem); /* a new CA: every place that trusts it is updated */
		p->ca_pem = NULL;
	}
	bool bad = stale_why == NULL && p->ca_pem == NULL && access(ca_file, F_OK) == 0;
	kyso_setup_action_t *a =
	        kyso_setup_plan_add(p, ACT_AGENT_CA, p->ca_pem != NULL ? AST_IN_PLACE : AST_TODO,
	                            ca_file, NULL, NULL, NULL);
	if (a != NULL && stale_why != NULL)
		kyso_setup_act_set_detail(a, "%s", stale_why);
	if (a != NULL && bad) {
		a->status = AST_SKIPPED;
		a->problem = true;
		kyso_setup_act_set_detail(a, "%s", kyso_error_message(&e));
	}
	const char *why_not = bad ? _("the local CA is not acceptable (above)") : NULL;
	/* system store */
	if (o->user) {
		kyso_setup_plan_add(
		        p, ACT_CA_SYSTEM, AST_SKIPPED, NULL, NULL, NULL,
		        _("--user: the system trust store needs root; the browsers' NSS "
		          "databases have the CA"));
	} else if (why_not != NULL) {
		kyso_setup_plan_add(p, ACT_CA_SYSTEM, AST_SKIPPED, p->ca_system, NULL, NULL,
		                    why_not);
	} else {
		char *cur = kyso_setup_read_text(p->ca_system);
		kyso_setup_action_t *s = kyso_setup_plan_add(
		        p, ACT_CA_SYSTEM,
		        kyso_setup_pem_same_cert(cur, p->ca_pem) ? AST_IN_PLACE : AST_TODO,
		        p->ca_system, NULL, NULL, NULL);
		if (s != NULL && s->status == AST_TODO && o->root[0] != '\0' &&
		    kyso_test_hook("KYSO_APT") == NULL)
			kyso_setup_act_set_detail(
			        s, "%s",
			        _("staging root without KYSO_APT: the file is written, "
			          "update-ca-certificates is not run"));
		free(cur);
	}
	/* the browsers' NSS databases (Chromium's, Firefox profiles): not the system one */
	char **dbs = kyso_nss_dbs_find(NULL, kyso_setup_home(o));
	size_t n = 0;
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		if (strncmp(dbs[i], kyso_setup_home(o), strlen(kyso_setup_home(o))) != 0)
			continue;
		n++;
		if (why_not != NULL) {
			kyso_setup_plan_add(p, ACT_CA_NSS, AST_SKIPPED, dbs[i], NULL, NULL,
			                    why_not);
			continue;
		}
		char *pem = NULL;
		char *trust = kyso_setup_nss_cert_trust(dbs[i], LOCAL_CA_NAME, &pem);
		bool ok = trust != NULL && strcmp(trust, "C,,") == 0 &&
		          kyso_setup_pem_same_cert(pem, p->ca_pem);
		kyso_setup_plan_add(p, ACT_CA_NSS, ok ? AST_IN_PLACE : AST_TODO, dbs[i], NULL, NULL,
		                    NULL);
		free(trust);
		free(pem);
	}
	if (n == 0)
		kyso_setup_plan_add(
		        p, ACT_CA_NSS, AST_SKIPPED, NULL, NULL, NULL,
		        _("no browser NSS database (Chromium ~/.pki/nssdb, Firefox profile) "
		          "found: start the browser once, then run kyso setup --repair"));
	kyso_strv_free(dbs);
}

static void plan_agent(const kyso_setup_opts_t *o, kyso_setup_plan_t *p)
{
	if (o->no_agent) {
		kyso_setup_plan_add(p, ACT_AGENT_UNIT, AST_SKIPPED, p->unit_file, NULL, NULL,
		                    _("--no-agent"));
		return;
	}
	char *unit = kyso_setup_plan_agent_unit(p);
	kyso_setup_plan_add(p, ACT_AGENT_UNIT,
	                    unit != NULL && kyso_setup_file_has(p->unit_file, unit) ? AST_IN_PLACE
	                                                                            : AST_TODO,
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
	kyso_setup_plan_add(p, ACT_AGENT_ENABLE,
	                    n >= 0 && strcmp(cur, p->unit_file) == 0 ? AST_IN_PLACE : AST_TODO,
	                    link, p->unit_file, NULL, NULL);
	free(link);
	free(dir);
	plan_agent_start(o, p);
}

static kyso_err_t plan_paths(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, kyso_error_t *err)
{
	p->journal_dir = kyso_setup_journal_dir(o);
	if (o->user) {
		p->config_file = home_path(o, ".config/kyso/config.json");
		p->unit_file = home_path(o, ".config/systemd/user/kyso-agent.service");
	} else {
		p->config_file = kyso_setup_path(o, "/etc/kyso/config.json");
		p->unit_file = kyso_setup_path(o, "/etc/systemd/user/kyso-agent.service");
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
	p->agent_state = kyso_setup_agent_state_dir(o);
	p->ca_system =
	        o->user ? NULL
	                : kyso_setup_path(o,
	                                  "/usr/local/share/ca-certificates/" LOCAL_CA_NAME ".crt");
	if (asprintf(&p->agent_pidfile, "%s/agent.pid", p->journal_dir) < 0)
		p->agent_pidfile = NULL;
	if (asprintf(&p->agent_log, "%s/agent.log", p->journal_dir) < 0)
		p->agent_log = NULL;
	if (p->journal_dir == NULL || p->config_file == NULL || p->unit_file == NULL ||
	    p->report_dir == NULL || p->agent_path == NULL || p->missing == NULL ||
	    p->agent_state == NULL || p->agent_pidfile == NULL || p->agent_log == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_setup_plan_agent_ports(p, err);
	if (rc != KYSO_OK)
		return rc;
	p->agent_systemd = !o->no_agent && kyso_setup_agent_systemd_available(o);
	return KYSO_OK;
}

kyso_err_t kyso_setup_plan_build(const kyso_setup_opts_t *o, const kyso_token_type_t *type,
                                 const kyso_token_t *token, kyso_setup_plan_t *p, kyso_error_t *err)
{
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->token = token;
	kyso_err_t rc = plan_paths(o, p, err);
	if (rc != KYSO_OK)
		return rc;
	const json_t *drv = kyso_token_type_driver(type, "linux");
	if (drv == NULL) {
		kyso_setup_plan_add(p, ACT_PACKAGE, AST_SKIPPED, NULL, NULL, NULL,
		                    _("the catalog names no Linux driver for this token"));
		return KYSO_OK;
	}
	plan_packages(o, drv, p);
	plan_bundle(o, drv, p);
	resolve_module(o, drv, p);
	if (p->module != NULL)
		kyso_setup_plan_add(
		        p, ACT_PROBE, AST_TODO, p->module, NULL, NULL,
		        access(p->module, F_OK) != 0
		                ? _("not on this machine yet: the packages above may bring it; "
		                    "otherwise it comes with the vendor's driver package and "
		                    "setup names it as missing")
		                : NULL);
	else
		kyso_setup_plan_add(p, ACT_PROBE, AST_SKIPPED, NULL, NULL, NULL,
		                    json_array_size(p->missing) > 0
		                            ? _("no PKCS#11 module: the vendor file is missing")
		                            : _("the catalog names no PKCS#11 module for Linux"));
	kyso_setup_plan_vendor_ports(p);
	kyso_setup_plan_vendor_plugins(o, type, drv, p);
	plan_registration(o, type, p);
	plan_trust(o, p);
	plan_agent(o, p);
	rc = kyso_setup_plan_browser(o, p, err);
	if (rc != KYSO_OK)
		return rc;
	if (o->no_selftest)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("--no-selftest"));
	else if (p->module == NULL)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("no PKCS#11 module"));
	else if (o->unattended && o->pin_env == NULL)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("unattended without --pin-env: no PIN to sign with"));
	else
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_TODO, NULL, NULL, NULL, NULL);
	char *report = NULL;
	if (asprintf(&report, "%s/install-report.json", p->report_dir) < 0)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_setup_plan_add(p, ACT_REPORT, AST_TODO, report, NULL, NULL, NULL);
	free(report);
	return KYSO_OK;
}
