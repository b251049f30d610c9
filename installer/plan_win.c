/* The install plan on Windows: the vendor's driver installer from the bundle
 * (NSIS/EXE with its silent switch, MSI through msiexec), the PKCS#11 module
 * found afterwards (kyso_p11_module_find), kyso's config (module path and
 * origins, %ProgramData%\kyso or %APPDATA%\kyso with --user), the agent's
 * local CA in the ROOT store, the agent at logon (HKCU Run) and now, the
 * browsers' Local Network Access policies (step_browser_policy_win.c). No
 * package manager, p11-kit or NSS databases. The platform-independent part
 * of the plan is plan.c. */
#include "setup_int.h"
#include "browser_int.h"
#include "kyso_platform.h"
#include "kyso_process.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTOSTART_NAME "kyso-agent"
#define RUN_KEY_TEXT   "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\" AUTOSTART_NAME

const char *kyso_setup_os_id(void)
{
	return "windows";
}

/* path with '/' for '\' (the journal's directory walk splits on '/';
 * Windows takes both). */
static char *slashed(const char *path)
{
	char *s = path != NULL ? strdup(path) : NULL;
	for (char *c = s; c != NULL && *c != '\0'; c++)
		if (*c == '\\')
			*c = '/';
	return s;
}

static char *join(const char *dir, const char *name)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	char *r = slashed(s);
	free(s);
	return r;
}

const char *kyso_setup_home(const kyso_setup_opts_t *o)
{
	(void)o;
	const char *home = getenv("USERPROFILE");
	if (home == NULL || home[0] == '\0')
		home = getenv("HOME");
	return home != NULL ? home : "C:\\";
}

char *kyso_setup_journal_dir(const kyso_setup_opts_t *o)
{
	return join(o->user ? kyso_path_state_user() : kyso_path_config_system(), "setup");
}

static const json_t *win_driver(const kyso_setup_plan_t *p)
{
	return p->type != NULL ? kyso_token_type_driver(p->type, "windows") : NULL;
}

/* The first of the catalog's modules found on this machine. */
static char *find_module(const json_t *drv, bool *builtin)
{
	const char *b = json_string_value(json_object_get(drv, "builtin"));
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "paths"), i, v)
	{
		const char *path = json_string_value(v);
		if (path != NULL && access(path, R_OK) == 0) {
			*builtin = false;
			return strdup(path);
		}
	}
	json_array_foreach(json_object_get(drv, "modules"), i, v)
	{
		const char *name = json_string_value(v);
		char *path = name != NULL ? kyso_p11_module_find(NULL, name) : NULL;
		if (path != NULL) {
			/* kyso-pkcs11.dll: kyso's own module */
			*builtin = b != NULL && strncmp(name, b, strlen(b)) == 0;
			return path;
		}
	}
	return NULL;
}

static char *module_names(const json_t *drv)
{
	json_t *m = json_object_get(drv, "modules");
	char *s = m != NULL ? json_dumps(m, JSON_COMPACT) : NULL;
	return s != NULL ? s : strdup("[]");
}

/* Installer kind of a bundle entry: "msi", "exe" (NSIS and other EXE
 * installers), "module" (a DLL), or another word (not for Windows). */
static const char *bundle_kind(const json_t *b, const char *file)
{
	const char *kind = json_string_value(json_object_get(b, "kind"));
	size_t n = strlen(file);
	const char *ext = n > 4 ? file + n - 4 : "";
	if (kind != NULL && strcmp(kind, "msi") == 0)
		return "msi";
	if (kind != NULL &&
	    (strcmp(kind, "nsis") == 0 || strcmp(kind, "exe") == 0 || strcmp(kind, "inno") == 0))
		return "exe";
	if (kind != NULL)
		return kind;
	if (strcasecmp(ext, ".msi") == 0)
		return "msi";
	if (strcasecmp(ext, ".exe") == 0)
		return "exe";
	if (strcasecmp(ext, ".dll") == 0)
		return "module";
	return "?";
}

/* The vendor's installers from the bundle; not needed when a module is
 * already on the machine. */
static void plan_installers(const kyso_setup_opts_t *o, const json_t *drv, kyso_setup_plan_t *p)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(drv, "bundle"), i, b)
	{
		const char *file = json_string_value(json_object_get(b, "file"));
		const char *sha = json_string_value(json_object_get(b, "sha256"));
		if (file == NULL)
			continue;
		const char *kind = bundle_kind(b, file);
		if (strcmp(kind, "msi") != 0 && strcmp(kind, "exe") != 0) {
			kyso_setup_action_t *a = kyso_setup_plan_add(
			        p, ACT_VENDOR_INSTALLER, AST_SKIPPED, file, NULL, NULL, NULL);
			if (a != NULL)
				kyso_setup_act_set_detail(
				        a,
				        _("vendor file %s (kind \"%s\") is not installed on "
				          "Windows"),
				        file, kind);
			continue;
		}
		char *src = o->bundle != NULL ? join(o->bundle, file) : NULL;
		char *sha_lc = sha != NULL ? strdup(sha) : NULL;
		for (char *c = sha_lc; c != NULL && *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
		kyso_setup_action_t *a = kyso_setup_plan_add(p, ACT_VENDOR_INSTALLER, AST_TODO,
		                                             file, src, sha_lc, NULL);
		free(src);
		free(sha_lc);
		if (a == NULL)
			continue;
		if (p->module != NULL) {
			a->status = AST_IN_PLACE;
			kyso_setup_act_set_detail(
			        a, _("the PKCS#11 module %s is already installed"), p->module);
		} else {
			kyso_setup_plan_check_bundle_file(o, p, a, file, false);
		}
	}
}

static void plan_probe(const json_t *drv, kyso_setup_plan_t *p)
{
	if (p->module != NULL) {
		kyso_setup_plan_add(p, ACT_PROBE, AST_TODO, p->module, NULL, NULL, NULL);
		return;
	}
	bool installer = false;
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].kind == ACT_VENDOR_INSTALLER && p->acts[i].status == AST_TODO)
			installer = true;
	char *names = module_names(drv);
	kyso_setup_action_t *a = kyso_setup_plan_add(
	        p, ACT_PROBE, installer ? AST_TODO : AST_MISSING, NULL, NULL, NULL, NULL);
	if (a != NULL && installer) {
		kyso_setup_act_set_detail(
		        a, _("not on this machine yet: the vendor installer above brings %s"),
		        names);
	} else if (a != NULL) {
		const char *notes = json_string_value(json_object_get(drv, "notes"));
		kyso_setup_act_set_detail(
		        a,
		        _("no PKCS#11 module %s on this machine: install the vendor's "
		          "driver%s%s%s, or put its installer in a bundle (kyso setup "
		          "--bundle DIR), then run kyso setup --repair"),
		        names, notes != NULL ? " (" : "", notes != NULL ? notes : "",
		        notes != NULL ? ")" : "");
		if (json_array_size(p->missing) == 0)
			json_array_append_new(p->missing, json_pack("{s:s, s:s}", "file", names,
			                                            "why", a->detail));
	}
	free(names);
}

/* Can this kyso-agent.exe create its local CA (--export-ca)? A build
 * without the signing service answers only --version/--help. */
static bool agent_can_export_ca(const kyso_setup_plan_t *p)
{
	const char *argv[] = {p->agent_path, "--help", NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_error_t e;
	kyso_error_clear(&e);
	bool ok = kyso_spawn(argv, &out, 1u << 16, 30000, &status, &e) == KYSO_OK && status == 0 &&
	          kyso_buf_append(&out, "", 1) == KYSO_OK &&
	          strstr((const char *)out.data, "--export-ca") != NULL;
	kyso_buf_free(&out);
	return ok;
}

/* The local CA and the ROOT store; false when the agent cannot be set up
 * (then the agent steps are left out, with the reason). */
static bool plan_trust(const kyso_setup_opts_t *o, kyso_setup_plan_t *p)
{
	char *ca_file = join(p->agent_state, "ca.pem");
	kyso_error_t e;
	kyso_error_clear(&e);
	p->ca_pem = kyso_setup_local_ca_read(p->agent_state, &e);
	const char *stale_why = NULL;
	if (p->ca_pem != NULL && kyso_setup_local_ca_stale(p->agent_state, &stale_why)) {
		/* a new CA: every place that trusts it is updated, the old one
		 * leaves the ROOT store */
		free(p->old_ca_pem);
		p->old_ca_pem = p->ca_pem;
		p->ca_pem = NULL;
	}
	bool bad = stale_why == NULL && p->ca_pem == NULL && ca_file != NULL &&
	           access(ca_file, F_OK) == 0;
	kyso_setup_action_t *a =
	        kyso_setup_plan_add(p, ACT_AGENT_CA, p->ca_pem != NULL ? AST_IN_PLACE : AST_TODO,
	                            ca_file, NULL, NULL, NULL);
	if (a != NULL && stale_why != NULL)
		kyso_setup_act_set_detail(a, "%s", stale_why);
	free(ca_file);
	const char *why_not = NULL;
	if (a != NULL && bad) {
		a->status = AST_SKIPPED;
		a->problem = true;
		kyso_setup_act_set_detail(a, "%s", kyso_error_message(&e));
		why_not = _("the local CA is not acceptable (above)");
	} else if (a != NULL && a->status == AST_TODO && !agent_can_export_ca(p)) {
		a->status = AST_SKIPPED;
		a->problem = true;
		kyso_setup_act_set_detail(
		        a,
		        _("%s cannot create its local CA (--export-ca): this kyso-agent "
		          "is not the signing service yet, so web systems cannot sign "
		          "through it"),
		        p->agent_path);
		why_not = _("no local CA (above)");
	}
	if (why_not != NULL) {
		kyso_setup_plan_add(p, ACT_CA_SYSTEM, AST_SKIPPED, p->ca_system, NULL, NULL,
		                    why_not);
		return false;
	}
	bool have = p->ca_pem != NULL &&
	            kyso_trust_has_ca(o->user ? KYSO_TRUST_USER : KYSO_TRUST_MACHINE, LOCAL_CA_NAME,
	                              (const uint8_t *)p->ca_pem, strlen(p->ca_pem));
	kyso_setup_plan_add(p, ACT_CA_SYSTEM, have ? AST_IN_PLACE : AST_TODO, p->ca_system, NULL,
	                    NULL, NULL);
	return true;
}

static void plan_agent(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, bool usable)
{
	if (o->no_agent) {
		kyso_setup_plan_add(p, ACT_AUTOSTART, AST_SKIPPED, p->unit_file, NULL, NULL,
		                    _("--no-agent"));
		return;
	}
	if (!usable) {
		kyso_setup_plan_add(p, ACT_AUTOSTART, AST_SKIPPED, p->unit_file, NULL, NULL,
		                    _("the agent cannot run without its local CA (above)"));
		kyso_setup_plan_add(p, ACT_AGENT_START, AST_SKIPPED, p->agent_pidfile, NULL, NULL,
		                    _("the agent cannot run without its local CA (above)"));
		return;
	}
	char **argv = kyso_setup_plan_agent_argv(p);
	char *want = argv != NULL ? kyso_autostart_command((const char *const *)argv) : NULL;
	char *cur = kyso_autostart_get(AUTOSTART_NAME);
	kyso_setup_plan_add(p, ACT_AUTOSTART,
	                    want != NULL && cur != NULL && strcmp(want, cur) == 0 ? AST_IN_PLACE
	                                                                          : AST_TODO,
	                    p->unit_file, NULL, NULL, NULL);
	free(want);
	free(cur);
	kyso_strv_free(argv);

	p->agent_running = kyso_setup_agent_is_running(o, p);
	bool changed = false;
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *a = &p->acts[i];
		if (a->status == AST_TODO &&
		    (a->kind == ACT_CONFIG || a->kind == ACT_AUTOSTART || a->kind == ACT_AGENT_CA))
			changed = true;
	}
	kyso_setup_action_t *a = kyso_setup_plan_add(
	        p, ACT_AGENT_START, p->agent_running && !changed ? AST_IN_PLACE : AST_TODO,
	        p->agent_pidfile, NULL, NULL, NULL);
	if (a != NULL && p->agent_running && changed)
		kyso_setup_act_set_detail(a, "%s", _("restart: its settings change"));
}

static kyso_err_t plan_paths(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, kyso_error_t *err)
{
	if (o->root[0] != '\0')
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                      _("--root (a staging root) is for Linux packaging; on "
		                        "Windows kyso setup works on the system itself"));
	p->journal_dir = kyso_setup_journal_dir(o);
	p->config_file =
	        join(o->user ? kyso_path_config_user() : kyso_path_config_system(), "config.json");
	p->unit_file = strdup(RUN_KEY_TEXT);
	p->report_dir = o->report_dir != NULL ? strdup(o->report_dir) : strdup(p->journal_dir);
	if (asprintf(&p->agent_path, "%s\\kyso-agent.exe", kyso_path_exe_dir()) < 0)
		p->agent_path = NULL;
	p->missing = json_array();
	p->vendor_ports = json_array();
	p->agent_state = kyso_setup_agent_state_dir(o);
	p->ca_system = strdup(o->user ? "CurrentUser\\ROOT" : "LocalMachine\\ROOT");
	if (p->journal_dir != NULL) {
		p->agent_pidfile = join(p->journal_dir, "agent.pid");
		p->agent_log = join(p->journal_dir, "agent.log");
	}
	if (p->journal_dir == NULL || p->config_file == NULL || p->unit_file == NULL ||
	    p->report_dir == NULL || p->agent_path == NULL || p->missing == NULL ||
	    p->vendor_ports == NULL || p->agent_state == NULL || p->ca_system == NULL ||
	    p->agent_pidfile == NULL || p->agent_log == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	p->agent_systemd = false;
	return kyso_setup_plan_agent_ports(p, err);
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
	const json_t *drv = win_driver(p);
	if (drv == NULL) {
		kyso_setup_plan_add(p, ACT_VENDOR_INSTALLER, AST_SKIPPED, NULL, NULL, NULL,
		                    _("the catalog names no Windows driver for this token"));
		return KYSO_OK;
	}
	p->module = find_module(drv, &p->module_builtin);
	plan_installers(o, drv, p);
	plan_probe(drv, p);
	kyso_setup_plan_vendor_ports(p);
	kyso_setup_plan_vendor_plugins(o, type, drv, p);
	kyso_setup_plan_config(o, p);
	bool usable = true;
	if (!o->no_agent)
		usable = plan_trust(o, p);
	plan_agent(o, p, usable);
	rc = kyso_setup_plan_browser(o, p, err);
	if (rc != KYSO_OK)
		return rc;
	bool module_coming = p->module != NULL;
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].kind == ACT_PROBE && p->acts[i].status == AST_TODO)
			module_coming = true;
	if (o->no_selftest)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("--no-selftest"));
	else if (!module_coming)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("no PKCS#11 module"));
	else if (o->unattended && o->pin_env == NULL)
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_SKIPPED, NULL, NULL, NULL,
		                    _("unattended without --pin-env: no PIN to sign with"));
	else
		kyso_setup_plan_add(p, ACT_SELFTEST, AST_TODO, NULL, NULL, NULL, NULL);
	char *report = join(p->report_dir, "install-report.json");
	if (report == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_setup_plan_add(p, ACT_REPORT, AST_TODO, report, NULL, NULL, NULL);
	free(report);
	return KYSO_OK;
}

/* ---- applying the Windows steps ------------------------------------------------ */

static const json_t *bundle_entry(const kyso_setup_plan_t *p, const char *file)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(win_driver(p), "bundle"), i, b)
	{
		const char *f = json_string_value(json_object_get(b, "file"));
		if (f != NULL && file != NULL && strcmp(f, file) == 0)
			return b;
	}
	return NULL;
}

/* Tells in the report what --uninstall will do with the driver an EXE
 * installed: run its uninstaller, or leave it (none silent registered). */
static void vendor_uninstall_note(kyso_setup_action_t *a, const json_t *added)
{
	size_t i;
	const json_t *u;
	json_array_foreach(added, i, u)
	{
		if (json_string_value(json_object_get(u, "command")) == NULL) {
			kyso_setup_act_set_detail(
			        a,
			        _("installed \"%s\"; it has no silent uninstaller, so kyso "
			          "setup --uninstall will leave it"),
			        json_string_value(json_object_get(u, "name")));
			return;
		}
	}
	if (json_array_size(added) == 0)
		kyso_setup_act_set_detail(
		        a, "%s",
		        _("installed; it registered no uninstaller, so kyso setup "
		          "--uninstall will leave it"));
}

kyso_err_t kyso_setup_vendor_installer_run(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                           kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                           kyso_error_t *err)
{
	(void)o;
	const json_t *b = bundle_entry(p, a->target);
	if (b == NULL || a->source == NULL)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "bundle entry %s", a->target);
	/* the file checked again: it may have changed since the plan */
	char hex[65];
	kyso_err_t rc = kyso_setup_sha256_file(a->source, hex, err);
	if (rc != KYSO_OK)
		return rc;
	if (a->sha256 == NULL || strcmp(hex, a->sha256) != 0)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s has SHA-256 %s, the catalog expects %s"), a->source,
		                      hex, a->sha256 != NULL ? a->sha256 : "?");
	const char *kind = bundle_kind(b, a->target);
	/* the installer's own path with '\\' (msiexec takes no '/') */
	char *exe = strdup(a->source);
	if (exe == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	for (char *c = exe; *c != '\0'; c++)
		if (*c == '/')
			*c = '\\';
	const json_t *args = json_object_get(b, "args");
	size_t nargs = json_array_size(args);
	const char **argv = calloc(nargs + 6, sizeof(*argv));
	if (argv == NULL) {
		free(exe);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	size_t n = 0;
	if (strcmp(kind, "msi") == 0) {
		argv[n++] = "msiexec";
		argv[n++] = "/i";
		argv[n++] = exe;
		if (nargs == 0)
			argv[n++] = "/qn";
	} else {
		argv[n++] = exe;
	}
	for (size_t i = 0; i < nargs; i++)
		argv[n++] = json_string_value(json_array_get(args, i));
	argv[n] = NULL;
	/* what "Apps" lists before an EXE runs: the entries it adds are its own */
	json_t *before = strcmp(kind, "msi") != 0 ? kyso_setup_uninstall_entries_list() : NULL;
	rc = kyso_setup_journal_add(j,
	                            json_pack("{s:s, s:s, s:s, s:s?}", "op", "vendor-installer",
	                                      "file", exe, "kind", kind, "sha256", a->sha256),
	                            err);
	int status = -1;
	if (rc == KYSO_OK)
		rc = kyso_spawn(argv, NULL, 1u << 16, 30 * 60 * 1000, &status, err);
	free(argv);
	free(exe);
	/* even a failed installer may have left something an uninstall removes */
	if (before != NULL && rc == KYSO_OK) {
		json_t *added = kyso_setup_uninstall_entries_added(
		        before, json_object_get(b, "uninstall_args"));
		if (added == NULL)
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		else
			rc = kyso_setup_journal_add(j,
			                            json_pack("{s:s, s:s, s:o}", "op",
			                                      "vendor-uninstall", "file", a->target,
			                                      "entries", added),
			                            err);
		if (rc == KYSO_OK && status == 0)
			vendor_uninstall_note(a, added);
	}
	json_decref(before);
	if (rc != KYSO_OK)
		return rc;
	/* 3010: done, a restart is needed */
	if (status != 0 && status != 3010)
		return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                      _("The vendor installer %s failed (exit status %d)"),
		                      a->source, status);
	if (status == 3010)
		kyso_setup_act_set_detail(a, "%s", _("installed; Windows must restart to finish"));
	/* the module it brought */
	if (p->module == NULL)
		p->module = find_module(win_driver(p), &p->module_builtin);
	for (size_t i = 0; i < p->nacts; i++) {
		kyso_setup_action_t *pr = &p->acts[i];
		if (pr->kind != ACT_PROBE)
			continue;
		if (p->module != NULL) {
			free(pr->target);
			pr->target = strdup(p->module);
			free(pr->detail);
			pr->detail = NULL;
		} else {
			char *names = module_names(win_driver(p));
			kyso_setup_act_set_detail(
			        pr,
			        _("the vendor installer %s ran, but no PKCS#11 module %s is "
			          "on this machine: put the module where kyso looks "
			          "(KYSO_P11_PATH, kyso's folder, %%ProgramFiles%%\\<vendor>), "
			          "then run kyso setup --repair"),
			        a->target, names);
			json_array_append_new(p->missing, json_pack("{s:s, s:s}", "file", names,
			                                            "why", pr->detail));
			free(names);
		}
	}
	return KYSO_OK;
}

kyso_err_t kyso_setup_autostart_install(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                        kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                        kyso_error_t *err)
{
	(void)o;
	(void)a;
	char **argv = kyso_setup_plan_agent_argv(p);
	if (argv == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc =
	        kyso_setup_jautostart_set(j, AUTOSTART_NAME, (const char *const *)argv, err);
	kyso_strv_free(argv);
	return rc;
}
