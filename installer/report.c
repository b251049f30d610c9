/* install-report.json (schema in docs/setup.md) and its human summary. */
#include "setup_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *registrations(const kyso_setup_plan_t *p)
{
	json_t *nss = json_array();
	const char *p11 = NULL, *config = NULL, *unit = NULL, *ca = NULL, *autostart = NULL;
	bool enabled = false;
	json_t *trust = json_array();
	json_t *plugins = json_array();
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *a = &p->acts[i];
		bool ok = a->status == AST_DONE || a->status == AST_IN_PLACE;
		if (!ok)
			continue;
		if (a->kind == ACT_P11KIT)
			p11 = a->target;
		else if (a->kind == ACT_NSS && a->target != NULL)
			json_array_append_new(nss, json_string(a->target));
		else if (a->kind == ACT_CONFIG)
			config = a->target;
		else if (a->kind == ACT_AGENT_UNIT)
			unit = a->target;
		else if (a->kind == ACT_AGENT_ENABLE)
			enabled = true;
		else if (a->kind == ACT_AGENT_CA)
			ca = a->target;
		else if ((a->kind == ACT_CA_SYSTEM || a->kind == ACT_CA_NSS) && a->target != NULL)
			json_array_append_new(trust, json_string(a->target));
		else if (a->kind == ACT_VENDOR_PLUGIN && a->target != NULL)
			json_array_append_new(plugins, json_string(a->target));
		else if (a->kind == ACT_AUTOSTART)
			autostart = a->target;
	}
	json_t *r = json_pack("{s:s?, s:o, s:s?, s:s?, s:b, s:s?, s:o, s:o}", "p11kit_module_file",
	                      p11, "nss_databases", nss, "config", config, "agent_unit", unit,
	                      "agent_enabled", enabled, "local_ca", ca, "local_ca_trusted_in",
	                      trust, "vendor_plugins", plugins);
	/* Windows: the HKCU Run value */
	if (r != NULL && autostart != NULL)
		json_object_set_new(r, "agent_autostart", json_string(autostart));
	return r;
}

static json_t *skipped(const kyso_setup_plan_t *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nacts; i++) {
		const kyso_setup_action_t *x = &p->acts[i];
		if (x->status == AST_SKIPPED || x->status == AST_MISSING)
			json_array_append_new(a, json_pack("{s:s, s:s?, s:s?}", "kind",
			                                   kyso_setup_act_kind_id(x->kind),
			                                   "target", x->target, "why", x->detail));
	}
	return a;
}

json_t *kyso_setup_report_build(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                const kyso_detect_result_t *det, const kyso_setup_apply_result_t *r,
                                const char *result, const kyso_error_t *err)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *plan = kyso_setup_plan_to_json(p);
	json_t *doc =
	        json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:{s:s, s:s, s:s?}, s:{s:s?, "
	                  "s:b, s:O?}}",
	                  "schema", SETUP_REPORT_SCHEMA, "kind", "kyso-install-report",
	                  "kyso_version", KYSO_VERSION, "time", now, "result", result, "scope",
	                  o->user ? "user" : "system", "root", o->root[0] != '\0' ? o->root : NULL,
	                  "detected", det != NULL ? kyso_detect_result_to_json(det) : json_null(),
	                  "token", "type", kyso_token_type_id(p->type), "name",
	                  kyso_token_type_name(p->type), "label", r->token_label, "driver",
	                  "module", p->module, "builtin", p->module_builtin, "probe", r->probe);
	if (doc == NULL) {
		json_decref(plan);
		return NULL;
	}
	if (r->token_label != NULL)
		json_object_set_new(json_object_get(doc, "token"), "flags",
		                    kyso_p11_token_flags_to_json(r->token_flags));
	json_object_set(doc, "actions", json_object_get(plan, "actions"));
	json_object_set(doc, "missing", json_object_get(plan, "missing"));
	json_decref(plan);
	json_object_set_new(doc, "registrations", registrations(p));
	json_object_set(doc, "origins", o->origins);
	json_object_set(doc, "agent_fetch_origins", o->fetch_origins);
	json_object_set_new(doc, "selftest",
	                    r->selftest != NULL ? json_incref(r->selftest)
	                                        : json_pack("{s:s}", "status", "skipped"));
	json_object_set_new(doc, "agent", r->agent != NULL ? json_incref(r->agent) : json_null());
	json_object_set_new(doc, "skipped", skipped(p));
	json_object_set_new(doc, "problems",
	                    r->problems != NULL ? json_incref(r->problems) : json_array());
	json_object_set_new(doc, "report_dir", json_string(p->report_dir));
	json_object_set_new(doc, "journal", json_string(p->journal_dir));
	if (err != NULL && err->code != KYSO_OK)
		json_object_set_new(doc, "error", kyso_json_error_new(err));
	return doc;
}

static const char *s_or(const json_t *o, const char *k, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v != NULL ? v : dflt;
}

void kyso_setup_report_print_summary(const json_t *rep, FILE *out)
{
	const json_t *tok = json_object_get(rep, "token");
	const json_t *drv = json_object_get(rep, "driver");
	const json_t *reg = json_object_get(rep, "registrations");
	const json_t *st = json_object_get(rep, "selftest");
	const json_t *ag = json_object_get(rep, "agent");
	fprintf(out, "\n%s\n", _("kyso setup — summary"));
	fprintf(out, _("  Token:        %s (%s)%s%s\n"), s_or(tok, "name", "?"),
	        s_or(tok, "type", "?"), json_object_get(tok, "label") != NULL ? _(", label ") : "",
	        s_or(tok, "label", ""));
	fprintf(out, _("  Driver:       %s\n"), s_or(drv, "module", _("(none)")));
	fprintf(out, _("  p11-kit:      %s\n"),
	        s_or(reg, "p11kit_module_file", _("(not registered)")));
	size_t i;
	const json_t *v;
	const json_t *nss = json_object_get(reg, "nss_databases");
	if (json_array_size(nss) == 0)
		fprintf(out, _("  NSS:          %s\n"), _("(no database)"));
	json_array_foreach(nss, i, v)
	{
		fprintf(out, _("  NSS:          %s\n"), json_string_value(v));
	}
	fprintf(out, _("  Config:       %s\n"), s_or(reg, "config", _("(not written)")));
	const char *sts = s_or(st, "status", "skipped");
	if (strcmp(sts, "verified") == 0)
		fprintf(out, _("  Self-test:    signed and verified: %s\n"), s_or(st, "file", ""));
	else if (strcmp(sts, "not-verified") == 0)
		fprintf(out, _("  Self-test:    signed but NOT verified: %s\n"),
		        s_or(st, "file", ""));
	else if (strcmp(sts, "failed") == 0)
		fprintf(out, _("  Self-test:    FAILED: %s\n"), s_or(st, "message", ""));
	else
		fprintf(out, _("  Self-test:    skipped%s%s\n"),
		        json_object_get(st, "why") ? ": " : "", s_or(st, "why", ""));
	if (json_string_value(json_object_get(reg, "local_ca")) != NULL)
		fprintf(out, _("  Local CA:     %s\n"), s_or(reg, "local_ca", ""));
	json_array_foreach(json_object_get(reg, "local_ca_trusted_in"), i, v)
	{
		fprintf(out, _("  Trusted in:   %s\n"), json_string_value(v));
	}
	if (json_is_object(ag)) {
		fprintf(out, _("  Agent:        %s (%s)\n"), s_or(ag, "unit", "?"),
		        json_is_true(json_object_get(reg, "agent_enabled")) ? _("enabled")
		                                                            : _("not enabled"));
		json_array_foreach(json_object_get(ag, "protocols"), i, v)
		{
			if (!json_is_true(json_object_get(v, "enabled")))
				fprintf(out, _("                %s off: %s\n"), s_or(v, "url", ""),
				        s_or(v, "note", ""));
			else if (json_is_true(json_object_get(v, "answers")))
				fprintf(out, _("                %s answers\n"), s_or(v, "url", ""));
			else
				fprintf(out, _("                %s DOES NOT ANSWER: %s\n"),
				        s_or(v, "url", ""), s_or(v, "detail", ""));
		}
		if (json_object_get(ag, "remedy") != NULL)
			fprintf(out, "                %s\n", s_or(ag, "remedy", ""));
	}
	json_array_foreach(json_object_get(rep, "skipped"), i, v)
	{
		fprintf(out, _("  Skipped:      %s %s: %s\n"), s_or(v, "kind", ""),
		        s_or(v, "target", ""), s_or(v, "why", ""));
	}
	json_array_foreach(json_object_get(rep, "problems"), i, v)
	{
		fprintf(out, _("  Problem:      %s\n"), json_string_value(v));
	}
}
