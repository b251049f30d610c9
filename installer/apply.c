/* Applying the plan: each change journaled first; on failure this run's
 * changes are undone (rollback). */
#include "setup_int.h"
#include "browser_int.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t kyso_setup_interrupted;

void kyso_setup_apply_result_free(kyso_setup_apply_result_t *r)
{
	json_decref(r->probe);
	json_decref(r->selftest);
	json_decref(r->agent);
	json_decref(r->nss);
	json_decref(r->problems);
	free(r->token_label);
	memset(r, 0, sizeof(*r));
}

/* Copies a vendor file after checking its SHA-256 on the bytes written. */
static kyso_err_t install_bundle_file(kyso_setup_journal_t *j, const kyso_setup_action_t *a,
                                      kyso_error_t *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_err_t rc = kyso_file_read_all(a->source, 512u << 20, &data, &len, err);
	if (rc != KYSO_OK)
		return rc;
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[65];
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		free(data);
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "SHA-256");
	}
	kyso_hex_encode(md, 32, hex);
	for (char *c = hex; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	if (a->sha256 == NULL || strcmp(hex, a->sha256) != 0) {
		free(data);
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s has SHA-256 %s, the catalog expects %s"), a->source,
		                      hex, a->sha256 != NULL ? a->sha256 : "?");
	}
	rc = kyso_setup_jfs_write(j, a->target, data, len, 0755, err);
	free(data);
	return rc;
}

static kyso_err_t install_bundle_deb(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                     const kyso_setup_action_t *a, kyso_error_t *err)
{
	char hex[65];
	kyso_err_t rc = kyso_setup_sha256_file(a->source, hex, err);
	if (rc != KYSO_OK)
		return rc;
	if (a->sha256 == NULL || strcmp(hex, a->sha256) != 0)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s has SHA-256 %s, the catalog expects %s"), a->source,
		                      hex, a->sha256 != NULL ? a->sha256 : "?");
	rc = kyso_setup_journal_add(
	        j,
	        json_pack("{s:s, s:s, s:s}", "op", "package", "name", a->target, "file", a->source),
	        err);
	return rc != KYSO_OK ? rc : kyso_setup_pkg_install_file(o, a->source, err);
}

/* The token to use: the one named by --token-label, else the first with a
 * signing certificate, else the first present. */
static void pick_token(const char *want, kyso_p11_probe_t *pr, kyso_setup_apply_result_t *r)
{
	const kyso_p11_slot_t *first = NULL, *best = NULL;
	for (size_t i = 0; i < kyso_p11_probe_slot_count(pr); i++) {
		const kyso_p11_slot_t *s = kyso_p11_probe_slot_at(pr, i);
		if (!kyso_p11_slot_token_present(s))
			continue;
		if (want != NULL && strcmp(want, kyso_p11_slot_token_label(s)) != 0)
			continue;
		if (first == NULL)
			first = s;
		if (best == NULL && kyso_p11_slot_signing_cert(s) != NULL)
			best = s;
	}
	const kyso_p11_slot_t *s = best != NULL ? best : first;
	if (s != NULL) {
		r->token_label = strdup(kyso_p11_slot_token_label(s));
		r->token_flags = kyso_p11_slot_token_flags(s);
	}
}

static kyso_err_t do_probe(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, kyso_setup_action_t *a,
                           kyso_setup_apply_result_t *r, kyso_error_t *err)
{
	kyso_p11_probe_t *pr = NULL;
	kyso_p11_load_status_t st;
	kyso_err_t rc = kyso_p11_probe_open(p->module, &pr, &st, err);
	if (rc != KYSO_OK) {
		r->probe = json_pack("{s:s, s:s, s:s}", "module", p->module, "load",
		                     kyso_p11_load_status_id(st), "error", kyso_error_message(err));
		return rc;
	}
	r->probe = kyso_p11_probe_to_json(pr);
	json_object_set_new(r->probe, "load", json_string("ok"));
	pick_token(o->token_label, pr, r);
	if (r->token_label == NULL)
		kyso_setup_act_set_detail(a, "%s",
		                          _("module loads; no token present in its slots"));
	else
		kyso_setup_act_set_detail(a, _("module loads; token \"%s\""), r->token_label);
	rc = kyso_p11_probe_finalize(pr, err);
	kyso_p11_probe_free(&pr);
	return rc;
}

static kyso_err_t do_agent_enable(kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                  kyso_error_t *err)
{
	struct stat st;
	if (lstat(a->target, &st) == 0) {
		kyso_setup_act_set_detail(a, _("%s exists and is not kyso's: left as it is"),
		                          a->target);
		a->status = AST_SKIPPED;
		return KYSO_OK;
	}
	return kyso_setup_jfs_symlink(j, a->source, a->target, err);
}

/* The agent: does the program run (--version), and does it answer on each
 * protocol with the local CA as trust anchor (agent_run.c)? */
static void agent_check(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                        kyso_setup_apply_result_t *r)
{
	bool ok = false;
	r->agent = kyso_setup_agent_check_answers(o, p, &ok);
	r->agent_ok = ok;
	if (r->agent == NULL)
		return;
	/* it answered with its version; otherwise: does the program run at all? */
	bool runs = json_string_value(json_object_get(r->agent, "version")) != NULL;
	if (!runs) {
		kyso_buf_t out;
		kyso_buf_init(&out);
		int status = -1;
		kyso_error_t e;
		kyso_error_clear(&e);
		const char *argv[] = {p->agent_path, "--version", NULL};
		runs = kyso_spawn(argv, &out, 4096, 10000, &status, &e) == KYSO_OK && status == 0;
		kyso_buf_free(&out);
	}
	json_object_set_new(r->agent, "answers_version", json_boolean(runs));
	if (!ok && r->problems != NULL)
		json_array_append_new(r->problems,
		                      json_string(_("kyso-agent does not answer on every protocol "
		                                    "(see \"agent\" in the report)")));
}

static kyso_err_t apply_one(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                            kyso_setup_journal_t *j, kyso_setup_action_t *a,
                            kyso_setup_apply_result_t *r, kyso_error_t *err)
{
	kyso_err_t rc = KYSO_OK;
	switch (a->kind) {
	case ACT_PACKAGE:
		rc = kyso_setup_journal_add(
		        j, json_pack("{s:s, s:s}", "op", "package", "name", a->target), err);
		if (rc == KYSO_OK)
			rc = kyso_setup_pkg_install(o, a->target, err);
		break;
	case ACT_BUNDLE_FILE:
		rc = install_bundle_file(j, a, err);
		break;
	case ACT_BUNDLE_DEB:
		rc = install_bundle_deb(o, j, a, err);
		break;
	case ACT_PROBE:
		rc = do_probe(o, p, a, r, err);
		break;
	case ACT_P11KIT: {
		char *text = kyso_p11kit_module_text(p->module);
		rc = text != NULL
		             ? kyso_setup_jfs_write(j, a->target, text, strlen(text), 0644, err)
		             : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		free(text);
		break;
	}
	case ACT_NSS: {
		char *name = kyso_setup_nss_module_name(p->type);
		rc = name != NULL ? kyso_setup_nss_module_add(j, a->target, name, p->module, err)
		                  : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		free(name);
		break;
	}
	case ACT_CONFIG: {
		char *existing = kyso_setup_read_text(a->target);
		char *text = kyso_setup_config_text(o, p, existing);
		rc = text != NULL
		             ? kyso_setup_jfs_write(j, a->target, text, strlen(text), 0644, err)
		             : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		free(existing);
		free(text);
		break;
	}
	case ACT_AGENT_UNIT: {
		char *text = kyso_setup_plan_agent_unit(p);
		rc = text != NULL
		             ? kyso_setup_jfs_write(j, a->target, text, strlen(text), 0644, err)
		             : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		free(text);
		break;
	}
	case ACT_AGENT_ENABLE:
		rc = do_agent_enable(j, a, err);
		break;
	case ACT_BROWSER_POLICY:
		rc = kyso_setup_apply_browser(o, p, j, a, err);
		break;
	case ACT_AGENT_CA:
		rc = kyso_setup_local_ca_create(o, p, j, err);
		break;
	case ACT_CA_SYSTEM:
		rc = p->ca_pem != NULL ? kyso_setup_ca_system_install(o, j, a->target, p->ca_pem,
		                                                      p->old_ca_pem, err)
		                       : kyso_error_set(err, KYSO_ERR_INTERNAL, "no local CA");
		break;
	case ACT_CA_NSS:
		rc = p->ca_pem != NULL
		             ? kyso_setup_nss_cert_add(j, a->target, LOCAL_CA_NAME, p->ca_pem, err)
		             : kyso_error_set(err, KYSO_ERR_INTERNAL, "no local CA");
		break;
	case ACT_AGENT_START:
		rc = kyso_setup_agent_start(o, p, j, p->agent_running, err);
		break;
	case ACT_VENDOR_PLUGIN:
		rc = kyso_setup_vendor_plugin_install(o, j, a, err);
		break;
	case ACT_VENDOR_INSTALLER:
		rc = kyso_setup_vendor_installer_run(o, p, j, a, err);
		break;
	case ACT_AUTOSTART:
		rc = kyso_setup_autostart_install(o, p, j, a, err);
		break;
	case ACT_SELFTEST:
	case ACT_REPORT:
		break; /* done by the caller after the changes */
	}
	return rc;
}

/* The module is still not there after the packages: a vendor file nobody
 * provided. Say which and where; everything else is still installed. */
static void module_missing(kyso_setup_plan_t *p, kyso_setup_action_t *a)
{
	const json_t *drv = kyso_token_type_driver(p->type, kyso_setup_os_id());
	const char *notes = json_string_value(json_object_get(drv, "notes"));
	const char *base =
	        strrchr(p->module, '/') != NULL ? strrchr(p->module, '/') + 1 : p->module;
	a->status = AST_MISSING;
	kyso_setup_act_set_detail(
	        a,
	        _("the PKCS#11 module %s is not on this machine: it goes to %s and comes "
	          "with the vendor's driver package%s%s%s. Install that package (or put "
	          "it in an install bundle listed in the catalog with its SHA-256), "
	          "then run kyso setup --repair"),
	        base, p->module, notes != NULL ? " (" : "", notes != NULL ? notes : "",
	        notes != NULL ? ")" : "");
	json_array_append_new(p->missing, json_pack("{s:s, s:s, s:s}", "file", base, "where",
	                                            p->module, "why", a->detail));
	free(p->module);
	p->module = NULL;
}

kyso_err_t kyso_setup_plan_apply(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                 kyso_setup_journal_t *j, kyso_setup_apply_result_t *r,
                                 kyso_error_t *err)
{
	kyso_err_t rc = KYSO_OK;
	if (r->problems == NULL)
		r->problems = json_array();
	for (size_t i = 0; i < p->nacts && rc == KYSO_OK; i++) {
		kyso_setup_action_t *a = &p->acts[i];
		if (kyso_setup_interrupted) {
			rc = kyso_error_set(err, KYSO_ERR_PROBLEM, _("Interrupted"));
			break;
		}
		if (a->status == AST_BAD_HASH) {
			rc = kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s", a->detail);
			a->status = AST_FAILED;
			break;
		}
		if (a->status == AST_TODO && p->module == NULL &&
		    (a->kind == ACT_P11KIT || a->kind == ACT_NSS || a->kind == ACT_SELFTEST)) {
			a->status = AST_SKIPPED;
			kyso_setup_act_set_detail(a, "%s", _("no PKCS#11 module"));
			continue;
		}
		if (a->status != AST_TODO || a->kind == ACT_SELFTEST || a->kind == ACT_REPORT)
			continue;
		if (a->kind == ACT_PROBE && p->module == NULL) {
			/* the vendor installer ran, but no module came with it */
			a->status = AST_MISSING;
			if (a->detail == NULL)
				kyso_setup_act_set_detail(a, "%s", _("no PKCS#11 module"));
			continue;
		}
		if (a->kind == ACT_PROBE && p->module != NULL && access(p->module, F_OK) != 0 &&
		    errno == ENOENT) {
			module_missing(p, a);
			continue;
		}
		kyso_info("setup: %s %s", kyso_setup_act_kind_id(a->kind),
		          a->target != NULL ? a->target : "");
		rc = apply_one(o, p, j, a, r, err);
		if (rc == KYSO_OK && a->status == AST_TODO)
			a->status = AST_DONE;
		else if (rc != KYSO_OK)
			a->status = AST_FAILED;
	}
	if (rc == KYSO_OK && kyso_setup_interrupted)
		rc = kyso_error_set(err, KYSO_ERR_PROBLEM, _("Interrupted"));
	if (rc == KYSO_OK && !o->no_agent)
		agent_check(o, p, r);
	return rc;
}
