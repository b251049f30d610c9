/* Checks 1-6: system, PC/SC service, readers, token/ATR, USB device, catalog. */
#include "doctor_int.h"
#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

check_status_t kyso_doctor_check_system(doctor_t *d, check_t *c)
{
	kyso_os_info_t os;
	kyso_os_info(&os);
	kyso_doctor_ck_data(c, "os",
	                    json_pack("{s:s, s:s, s:s}", "name", os.name, "release", os.release,
	                              "machine", os.machine));
	(void)d; /* the system facts need no earlier state */
	return kyso_doctor_ck_set(c, ST_PASS, "", _("%s %s (%s), kyso %s"), os.name, os.release,
	                          os.machine, KYSO_VERSION_STRING);
}

static void scan(doctor_t *d)
{
	if (d->det != NULL)
		return;
	kyso_error_clear(&d->cat_err);
	d->cat = kyso_catalog_load(d->o->catalog, &d->cat_err);
	kyso_catalog_t *empty = NULL;
	if (d->cat == NULL)
		empty = kyso_catalog_new(); /* still scan: readers and ATRs are worth reporting */
	kyso_detect_opts_t opts = {
	        .catalog = d->cat != NULL ? d->cat : empty,
	        .skip_usb = d->o->no_usb,
	};
	kyso_error_t err;
	kyso_error_clear(&err);
	if (opts.catalog != NULL)
		d->det = kyso_detect_scan(&opts, &err);
	if (d->det == NULL)
		kyso_warn("doctor: detection failed: %s", kyso_error_message(&err));
	if (empty != NULL) {
		/* tokens reference catalog entries: keep an empty catalog alive */
		d->cat = empty;
	}
	/* choose the token: the first known one, else the first */
	size_t n = d->det != NULL ? kyso_detect_token_count(d->det) : 0;
	for (size_t i = 0; i < n && d->token == NULL; i++) {
		const kyso_token_t *t = kyso_detect_token_at(d->det, i);
		if (kyso_token_type(t) != NULL)
			d->token = t;
	}
	if (d->token == NULL && n > 0)
		d->token = kyso_detect_token_at(d->det, 0);
	if (d->token != NULL)
		d->type = kyso_token_type(d->token);
}

check_status_t kyso_doctor_check_pcsc_service(doctor_t *d, check_t *c)
{
	scan(d);
	if (d->det == NULL)
		return kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."), "%s",
		                          _("Token detection could not run."));
	const char *msg = kyso_detect_pcsc_message(d->det);
	switch (kyso_detect_pcsc_status(d->det)) {
	case KYSO_PCSC_OK:
	case KYSO_PCSC_NO_READERS:
		return kyso_doctor_ck_set(c, ST_PASS, "", "%s", _("The PC/SC service answers."));
	case KYSO_PCSC_NO_SERVICE:
		return kyso_doctor_os_pcsc_no_service(c);
	case KYSO_PCSC_SKIPPED:
		return kyso_doctor_ck_skip(c, _("PC/SC was not asked."));
	case KYSO_PCSC_ERROR:
	default:
		return kyso_doctor_ck_set(c, ST_FAIL, kyso_doctor_os_pcsc_restart_remedy(),
		                          _("The PC/SC service answered with an error: %s"),
		                          msg != NULL ? msg : "?");
	}
}

static bool pcsc_up(const doctor_t *d)
{
	if (d->det == NULL)
		return false;
	kyso_pcsc_status_t st = kyso_detect_pcsc_status(d->det);
	return st == KYSO_PCSC_OK || st == KYSO_PCSC_NO_READERS;
}

check_status_t kyso_doctor_check_readers(doctor_t *d, check_t *c)
{
	if (!pcsc_up(d))
		return kyso_doctor_ck_skip(c, _("Skipped: the PC/SC service is not running."));
	size_t n = kyso_detect_reader_count(d->det);
	json_t *names = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		        names, json_string(kyso_reader_name(kyso_detect_reader_at(d->det, i))));
	kyso_doctor_ck_data(c, "readers", names);
	if (n == 0)
		return kyso_doctor_ck_set(c, ST_FAIL, kyso_doctor_os_no_reader_remedy(), "%s",
		                          _("No card reader or token is connected."));
	const kyso_reader_t *first = kyso_detect_reader_at(d->det, 0);
	return kyso_doctor_ck_set(c, ST_PASS, "", _("%zu reader(s): %s"), n,
	                          kyso_reader_name(first));
}

check_status_t kyso_doctor_check_token_present(doctor_t *d, check_t *c)
{
	if (!pcsc_up(d))
		return kyso_doctor_ck_skip(c, _("Skipped: the PC/SC service is not running."));
	if (kyso_detect_reader_count(d->det) == 0)
		return kyso_doctor_ck_skip(c, _("Skipped: no card reader."));
	size_t n = kyso_detect_reader_count(d->det);
	for (size_t i = 0; i < n; i++) {
		const kyso_reader_t *rd = kyso_detect_reader_at(d->det, i);
		kyso_reader_state_t st = kyso_reader_state(rd);
		if (st == KYSO_READER_PRESENT) {
			kyso_doctor_ck_data(c, "atr", json_string(kyso_reader_atr_hex(rd)));
			json_object_set_new(d->facts, "atr", json_string(kyso_reader_atr_hex(rd)));
			json_object_set_new(d->facts, "reader", json_string(kyso_reader_name(rd)));
			return kyso_doctor_ck_set(c, ST_PASS, "", _("Token in \"%s\", ATR %s"),
			                          kyso_reader_name(rd), kyso_reader_atr_hex(rd));
		}
		if (st == KYSO_READER_MUTE)
			return kyso_doctor_ck_set(
			        c, ST_FAIL,
			        _("Pull the token out, wait five seconds and plug it in again; "
			          "try another USB port."),
			        _("The token in \"%s\" does not answer."), kyso_reader_name(rd));
	}
	return kyso_doctor_ck_set(c, ST_FAIL,
	                          _("Plug the token in (or put the card into the reader)."), "%s",
	                          _("A reader is connected but no token/card is in it."));
}

check_status_t kyso_doctor_check_usb_device(doctor_t *d, check_t *c)
{
	if (d->det == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: token detection could not run."));
	if (kyso_detect_usb_status(d->det) == KYSO_USB_SKIPPED)
		return kyso_doctor_ck_skip(c, _("USB was not looked at (--no-usb)."));
	if (kyso_detect_usb_status(d->det) == KYSO_USB_UNAVAILABLE)
		return kyso_doctor_ck_set(c, ST_WARN,
		                          _("Nothing to do if the token works; otherwise run as "
		                            "the user who is logged in at the screen."),
		                          _("USB devices cannot be listed: %s"),
		                          kyso_detect_usb_message(d->det) != NULL
		                                  ? kyso_detect_usb_message(d->det)
		                                  : "?");
	const kyso_usb_device_t *u = d->token != NULL ? kyso_token_usb(d->token) : NULL;
	if (u == NULL && kyso_detect_usb_count(d->det) > 0)
		u = kyso_detect_usb_at(d->det, 0);
	if (u != NULL) {
		char id[16];
		snprintf(id, sizeof(id), "%04x:%04x", kyso_usb_vid(u), kyso_usb_pid(u));
		json_object_set_new(d->facts, "usb", json_string(id));
		kyso_doctor_ck_data(c, "usb", json_string(id));
		return kyso_doctor_ck_set(c, ST_PASS, "", _("USB device %s %s"), id,
		                          kyso_usb_product(u) != NULL ? kyso_usb_product(u) : "");
	}
	if (d->token != NULL && kyso_token_reader(d->token) != NULL)
		return kyso_doctor_ck_set(
		        c, ST_PASS, "", "%s",
		        _("No token on USB, but the PC/SC reader shows one (a reader "
		          "without a USB ID of the catalog, or a virtual reader)."));
	return kyso_doctor_ck_set(
	        c, ST_FAIL,
	        _("Plug the token in directly (not through a hub); if a light on it does "
	          "not come on, try another USB port or computer."),
	        "%s", _("No signing token is connected on USB."));
}

check_status_t kyso_doctor_check_catalog_match(doctor_t *d, check_t *c)
{
	if (d->cat_err.code != KYSO_OK)
		return kyso_doctor_ck_set(
		        c, ST_FAIL, _("Fix or remove the catalog override file named above."),
		        _("The token catalog cannot be read: %s"), kyso_error_message(&d->cat_err));
	if (d->token == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no token found."));
	if (d->type == NULL) {
		const kyso_reader_t *rd = kyso_token_reader(d->token);
		const char *hint = kyso_token_catalog_hint(d->token);
		kyso_doctor_ck_data(c, "catalog_hint", hint != NULL ? json_string(hint) : NULL);
		const char *desc = kyso_token_smartcard_list(d->token);
		return kyso_doctor_ck_set(
		        c, ST_FAIL,
		        _("This token type is not in kyso's catalog yet: send this report to "
		          "the helpdesk (it holds the ATR and USB ID so the catalog can "
		          "learn it)."),
		        _("Unknown token: ATR %s%s%s"), rd != NULL ? kyso_reader_atr_hex(rd) : "-",
		        desc != NULL ? " — " : "", desc != NULL ? desc : "");
	}
	json_object_set_new(d->facts, "type", json_string(kyso_token_type_id(d->type)));
	json_object_set_new(d->facts, "name", json_string(kyso_token_type_name(d->type)));
	kyso_doctor_ck_data(c, "confidence",
	                    json_string(kyso_confidence_id(kyso_token_confidence(d->token))));
	return kyso_doctor_ck_set(c, ST_PASS, "", _("%s (%s, confidence %s)"),
	                          kyso_token_type_name(d->type), kyso_token_type_id(d->type),
	                          kyso_confidence_id(kyso_token_confidence(d->token)));
}
