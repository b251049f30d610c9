/* Checks 7-9: driver module installed and loadable, registered, token state. */
#include "kyso_platform.h"
#include "doctor_int.h"

#include <stdlib.h>
#include <string.h>

char *kyso_doctor_p11kit_module_of(const char *file)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return NULL;
	char line[4200];
	char *found = NULL;
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "module:", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		char *end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		found = strdup(p);
	}
	if (fclose(f) != 0)
		kyso_debug("doctor: closing %s failed", file);
	return found;
}

static char *registered_module_for_type(const doctor_t *d)
{
	if (d->type == NULL)
		return NULL;
	for (int user = 1; user >= 0; user--) {
		char *file = kyso_p11kit_module_file("", user != 0, kyso_token_type_id(d->type));
		char *m = file != NULL ? kyso_doctor_p11kit_module_of(file) : NULL;
		free(file);
		if (m != NULL)
			return m;
	}
	return NULL;
}

/* Where the module should be: --module, catalog paths/names, the p11-kit
 * registration kyso setup wrote, the kyso config. *source says which. */
static char *resolve_module(const doctor_t *d, const char **source, json_t *names)
{
	if (d->o->module != NULL) {
		*source = "option";
		return strdup(d->o->module);
	}
	const json_t *drv = d->type != NULL ? kyso_token_type_driver(d->type, NULL) : NULL;
	const char *lists[] = {"paths", "modules"};
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		const json_t *v;
		json_array_foreach(json_object_get(drv, lists[l]), i, v)
		{
			const char *name = json_string_value(v);
			if (name == NULL)
				continue;
			json_array_append_new(names, json_string(name));
			char *p = kyso_p11_module_find(NULL, name);
			if (p != NULL) {
				*source = "catalog";
				return p;
			}
		}
	}
	char *reg = registered_module_for_type(d);
	if (reg != NULL) {
		*source = "p11-kit";
		return reg;
	}
	const char *cfg = d->config != NULL ? d->config->pkcs11_module : NULL;
	if (cfg != NULL && (d->type == NULL || json_array_size(names) == 0)) {
		*source = "config";
		return strdup(cfg);
	}
	return NULL;
}

static const char *packages_of(const doctor_t *d, char *buf, size_t cap)
{
	const json_t *drv = d->type != NULL ? kyso_token_type_driver(d->type, NULL) : NULL;
	buf[0] = '\0';
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(drv, "packages"), i, v)
	{
		size_t n = strlen(buf);
		if (json_string_value(v) != NULL)
			snprintf(buf + n, cap - n, "%s%s", n > 0 ? " " : "", json_string_value(v));
	}
	return buf;
}

static void pick_slot(doctor_t *d)
{
	size_t n = kyso_p11_probe_slot_count(d->probe);
	const kyso_p11_slot_t *any = NULL, *signing = NULL;
	for (size_t i = 0; i < n; i++) {
		const kyso_p11_slot_t *s = kyso_p11_probe_slot_at(d->probe, i);
		if (!kyso_p11_slot_token_present(s))
			continue;
		if (d->o->token_label != NULL &&
		    strcmp(kyso_p11_slot_token_label(s), d->o->token_label) != 0)
			continue;
		if (any == NULL)
			any = s;
		if (signing == NULL && kyso_p11_slot_signing_cert(s) != NULL)
			signing = s;
	}
	d->slot = signing != NULL ? signing : any;
}

check_status_t kyso_doctor_check_module_loadable(doctor_t *d, check_t *c)
{
	if (d->o->module == NULL && d->type == NULL) {
		if (d->config == NULL || d->config->pkcs11_module == NULL)
			return kyso_doctor_ck_skip(
			        c, _("Skipped: the token type is not known, so its driver "
			             "is not either."));
	}
	const char *source = "";
	json_t *names = json_array();
	d->module = resolve_module(d, &source, names);
	if (d->module == NULL) {
		char pk[256];
		packages_of(d, pk, sizeof(pk));
		char *list = json_dumps(names, JSON_COMPACT);
		kyso_doctor_ck_data(c, "looked_for", names);
		if (json_array_size(names) == 0) {
			free(list);
			return kyso_doctor_ck_set(
			        c, ST_FAIL, kyso_doctor_os_no_driver_named_remedy(),
			        _("The catalog names no driver for %s on this system."),
			        kyso_token_type_name(d->type));
		}
		kyso_doctor_ck_set(c, ST_FAIL, NULL,
		                   _("The driver is not installed (looked for %s)."),
		                   list != NULL ? list : "?");
		free(list);
		kyso_doctor_os_driver_install_remedy(c, pk);
		return c->status;
	}
	json_decref(names);
	kyso_doctor_ck_data(c, "module", json_string(d->module));
	kyso_doctor_ck_data(c, "found_by", json_string(source));
	json_object_set_new(d->facts, "module", json_string(d->module));
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_p11_load_status_t st = KYSO_P11_LOAD_OK;
	if (kyso_p11_probe_open(d->module, &d->probe, &st, &err) != KYSO_OK) {
		kyso_doctor_ck_data(c, "load_status", json_string(kyso_p11_load_status_id(st)));
		return kyso_doctor_ck_set(c, ST_FAIL, kyso_doctor_os_load_remedy(st),
		                          _("The driver %s cannot be loaded: %s"), d->module,
		                          kyso_error_message(&err));
	}
	d->module_ok = true;
	pick_slot(d);
	kyso_doctor_ck_data(c, "load_status", json_string("ok"));
	return kyso_doctor_ck_set(c, ST_PASS, "", _("%s loaded (%s %s, %zu token(s))"), d->module,
	                          kyso_p11_probe_manufacturer(d->probe),
	                          kyso_p11_probe_library_version(d->probe),
	                          kyso_p11_probe_token_count(d->probe));
}

check_status_t kyso_doctor_check_token_state(doctor_t *d, check_t *c)
{
	if (!d->module_ok)
		return kyso_doctor_ck_skip(c, _("Skipped: the driver is not loaded."));
	if (d->slot == NULL) {
		if (d->o->token_label != NULL)
			return kyso_doctor_ck_set(
			        c, ST_FAIL, _("Check the token label (see `kyso detect`)."),
			        _("The driver does not show a token labelled \"%s\"."),
			        d->o->token_label);
		applet_info_t ai;
		applet_state_t as = kyso_doctor_applet_state(d, &ai);
		if (as == APPLET_MISSING) {
			kyso_doctor_ck_data(c, "applet",
			                    json_pack("{s:s, s:s, s:s}", "aid", ai.aid, "state",
			                              "missing", "sw", "6A82"));
			kyso_doctor_ck_set(
			        c, ST_FAIL, NULL,
			        _("The card in \"%s\" looks like a %s (same ATR), but its signing "
			          "applet is not on it: the card answered 6A82 (not found) to the "
			          "selection of the applet %s. The driver therefore sees no "
			          "token."),
			        ai.reader, ai.model, ai.aid);
			kyso_doctor_ck_remedy(
			        c,
			        _("This card is not a working signing token of that type (another "
			          "card with the same chip, or its applet was erased). Plug in the "
			          "token your certificate supplier gave you; if this is that "
			          "token, take it to the supplier (%s) to have it checked or "
			          "replaced. Do not enter the PIN in other programs meanwhile."),
			        kyso_doctor_token_cas(d));
			return c->status;
		}
		if (as == APPLET_PRESENT)
			kyso_doctor_ck_data(
			        c, "applet",
			        json_pack("{s:s, s:s}", "aid", ai.aid, "state", "present"));
		return kyso_doctor_ck_set(c, ST_FAIL, kyso_doctor_os_token_replug_remedy(), "%s",
		                          _("The driver is loaded but sees no token."));
	}
	unsigned f = kyso_p11_slot_token_flags(d->slot);
	const char *label = kyso_p11_slot_token_label(d->slot);
	kyso_doctor_personal(label);
	kyso_doctor_personal(kyso_p11_slot_token_serial(d->slot));
	json_object_set_new(d->facts, "label", json_string(label));
	json_object_set_new(d->facts, "serial", json_string(kyso_p11_slot_token_serial(d->slot)));
	json_object_set_new(d->facts, "model", json_string(kyso_p11_slot_token_model(d->slot)));
	kyso_doctor_ck_data(c, "flags", kyso_p11_token_flags_to_json(f));
	const char *cas = kyso_doctor_token_cas(d);
	if (f & KYSO_P11_TOKEN_NOT_INITIALISED) {
		kyso_doctor_ck_set(c, ST_FAIL, NULL,
		                   _("The token \"%s\" is not initialised (empty)."), label);
		kyso_doctor_ck_remedy(
		        c,
		        _("Take it to your certificate supplier (%s) to have the certificate "
		          "loaded."),
		        cas);
		return c->status;
	}
	if (f & KYSO_P11_TOKEN_PIN_LOCKED) {
		kyso_doctor_ck_set(c, ST_FAIL, NULL, "%s",
		                   _("The token's PIN is locked (too many wrong PINs)."));
		kyso_doctor_ck_remedy(
		        c, _("Contact the supplier (%s) to unlock it; do not try more PINs."), cas);
		return c->status;
	}
	if (f & KYSO_P11_TOKEN_PIN_FINAL_TRY) {
		kyso_doctor_ck_set(
		        c, ST_WARN, NULL, "%s",
		        _("Only one PIN try is left: one more wrong PIN locks the token."));
		kyso_doctor_ck_remedy(
		        c,
		        _("Enter the PIN only when you are sure of it; if unsure, ask the supplier "
		          "(%s) before trying."),
		        cas);
		return c->status;
	}
	if (f & KYSO_P11_TOKEN_PIN_COUNT_LOW) {
		kyso_doctor_ck_set(c, ST_WARN, NULL, "%s",
		                   _("A wrong PIN was entered: few PIN tries are left."));
		kyso_doctor_ck_remedy(c, "%s",
		                      _("Type the PIN carefully (check Caps Lock and the keyboard "
		                        "layout); after the last try the token locks."));
		return c->status;
	}
	if (f & KYSO_P11_TOKEN_PIN_NOT_SET)
		return kyso_doctor_ck_set(c, ST_FAIL, _("Have the supplier set the user PIN."),
		                          _("The token \"%s\" has no user PIN set."), label);
	d->token_usable = true;
	return kyso_doctor_ck_set(c, ST_PASS, "",
	                          _("Token \"%s\" is ready: not locked, tries left."), label);
}
