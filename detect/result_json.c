/* The detection result as JSON (schema: docs/detect.md). */
#include "detect_internal.h"

static const char *pcsc_status_id(kyso_pcsc_status_t s)
{
	switch (s) {
	case KYSO_PCSC_OK:
		return "ok";
	case KYSO_PCSC_NO_SERVICE:
		return "no-service";
	case KYSO_PCSC_NO_READERS:
		return "no-readers";
	case KYSO_PCSC_ERROR:
		return "error";
	case KYSO_PCSC_SKIPPED:
		break;
	}
	return "skipped";
}

static const char *usb_status_id(kyso_usb_status_t s)
{
	switch (s) {
	case KYSO_USB_OK:
		return "ok";
	case KYSO_USB_UNAVAILABLE:
		return "unavailable";
	case KYSO_USB_SKIPPED:
		break;
	}
	return "skipped";
}

static const char *reader_state_id(kyso_reader_state_t s)
{
	switch (s) {
	case KYSO_READER_PRESENT:
		return "present";
	case KYSO_READER_MUTE:
		return "mute";
	case KYSO_READER_UNAVAILABLE:
		return "unavailable";
	case KYSO_READER_GONE:
		return "gone";
	case KYSO_READER_EMPTY:
		break;
	}
	return "empty";
}

static const char *evidence_id(kyso_evidence_kind_t k)
{
	switch (k) {
	case KYSO_EVIDENCE_USB:
		return "usb";
	case KYSO_EVIDENCE_READER_NAME:
		return "reader-name";
	case KYSO_EVIDENCE_ATR:
		break;
	}
	return "atr";
}

/* Adds key: string or null; returns nonzero on failure. */
static int set_str(json_t *o, const char *key, const char *val)
{
	return json_object_set_new(o, key, val != NULL ? json_string(val) : json_null());
}

static json_t *usb_json(const kyso_usb_device_t *u)
{
	char vid[5], pid[5];
	snprintf(vid, sizeof(vid), "%04X", u->vid);
	snprintf(pid, sizeof(pid), "%04X", u->pid);
	json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:b}", "vid", vid, "pid", pid, "bus", u->bus,
	                      "address", u->address, "ccid", u->ccid);
	if (o == NULL || set_str(o, "manufacturer", u->manufacturer) != 0 ||
	    set_str(o, "product", u->product) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *reader_json(const kyso_reader_t *rd)
{
	return json_pack("{s:s, s:s, s:s?, s:b, s:b}", "name", rd->name, "state",
	                 reader_state_id(rd->state), "atr", rd->atr_len > 0 ? rd->atr_hex : NULL,
	                 "in_use", rd->in_use, "exclusive", rd->exclusive);
}

json_t *kyso_token_to_json(const kyso_token_t *t)
{
	const kyso_token_type_t *type = t->type;
	json_t *o = json_object();
	json_t *ev = json_array(), *alt = json_array();
	int bad = o == NULL || ev == NULL || alt == NULL;
	if (bad) {
		json_decref(o);
		json_decref(ev);
		json_decref(alt);
		return NULL;
	}
	bad |= json_object_set_new(o, "known", json_boolean(type != NULL));
	bad |= set_str(o, "id", kyso_token_type_id(type));
	bad |= set_str(o, "name", kyso_token_type_name(type));
	bad |= set_str(o, "vendor", kyso_token_type_vendor(type));
	json_t *issuers = type != NULL ? json_object_get(type->entry, "issuers") : NULL;
	bad |= json_object_set_new(o, "issuers",
	                           issuers != NULL ? json_deep_copy(issuers) : json_array());
	bad |= json_object_set_new(o, "confidence", json_string(kyso_confidence_id(t->confidence)));
	bad |= set_str(o, "reader", t->reader != NULL ? t->reader->name : NULL);
	bad |= set_str(o, "reader_state",
	               t->reader != NULL ? reader_state_id(t->reader->state) : NULL);
	bad |= set_str(o, "atr",
	               t->reader != NULL && t->reader->atr_len > 0 ? t->reader->atr_hex : NULL);
	bad |= json_object_set_new(o, "usb", t->usb != NULL ? usb_json(t->usb) : json_null());
	for (size_t i = 0; i < t->n_evidence; i++)
		bad |= json_array_append_new(ev, json_pack("{s:s, s:s}", "source",
		                                           evidence_id(t->evidence[i].kind),
		                                           "detail", t->evidence[i].detail));
	bad |= json_object_set_new(o, "evidence", ev);
	for (size_t i = 0; i < t->n_alternatives; i++)
		bad |= json_array_append_new(alt, json_string(t->alternatives[i].type->id));
	bad |= json_object_set_new(o, "alternatives", alt);
	const json_t *drv = kyso_token_driver(t);
	bad |= json_object_set_new(o, "os", json_string(kyso_detect_os()));
	bad |= json_object_set_new(o, "driver", drv != NULL ? json_deep_copy(drv) : json_null());
	if (type == NULL) {
		bad |= set_str(o, "smartcard_list", t->smartcard_list);
		bad |= set_str(o, "catalog_hint", t->catalog_hint);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *status_id(kyso_err_t rc)
{
	switch (rc) {
	case KYSO_OK:
		return "ok";
	case KYSO_ERR_NO_PCSC_SERVICE:
		return "no-pcsc-service";
	case KYSO_ERR_NO_TOKEN:
		return "no-token";
	case KYSO_ERR_PROBLEM:
		return "unknown-token";
	default:
		return "error";
	}
}

json_t *kyso_detect_result_to_json(const kyso_detect_result_t *r)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_err_t rc = kyso_detect_result_status(r, &err);
	json_t *doc = json_object(), *tokens = json_array(), *readers = json_array();
	json_t *devices = json_array(), *warnings = json_array(), *files = json_array();
	json_t *pcsc = json_object(), *usb = json_object(), *cat = json_object();
	int bad = doc == NULL || tokens == NULL || readers == NULL || devices == NULL ||
	          warnings == NULL || files == NULL || pcsc == NULL || usb == NULL || cat == NULL;
	if (!bad) {
		bad |= json_object_set_new(doc, "schema", json_integer(1));
		bad |= json_object_set_new(doc, "status", json_string(status_id(rc)));
		bad |= json_object_set_new(doc, "exit", json_integer(kyso_err_exit(rc)));
		bad |= json_object_set_new(doc, "os", json_string(kyso_detect_os()));
		for (size_t i = 0; i < r->n_tokens; i++)
			bad |= json_array_append_new(tokens, kyso_token_to_json(&r->tokens[i]));
		bad |= json_object_set_new(doc, "tokens", tokens);
		tokens = NULL;
		bad |= json_object_set_new(pcsc, "status",
		                           json_string(pcsc_status_id(r->pcsc_status)));
		bad |= set_str(pcsc, "message", r->pcsc_message);
		for (size_t i = 0; i < r->n_readers; i++)
			bad |= json_array_append_new(readers, reader_json(&r->readers[i]));
		bad |= json_object_set_new(pcsc, "readers", readers);
		readers = NULL;
		bad |= json_object_set_new(doc, "pcsc", pcsc);
		pcsc = NULL;
		bad |= json_object_set_new(usb, "status",
		                           json_string(usb_status_id(r->usb_status)));
		bad |= set_str(usb, "message", r->usb_message);
		for (size_t i = 0; i < r->n_usb; i++)
			bad |= json_array_append_new(devices, usb_json(&r->usb[i]));
		bad |= json_object_set_new(usb, "devices", devices);
		devices = NULL;
		bad |= json_object_set_new(doc, "usb", usb);
		usb = NULL;
		for (size_t i = 0; i < kyso_catalog_file_count(r->catalog); i++)
			bad |= json_array_append_new(
			        files, json_string(kyso_catalog_file_at(r->catalog, i)));
		bad |= json_object_set_new(cat, "files", files);
		files = NULL;
		bad |= json_object_set_new(
		        cat, "token_types",
		        json_integer((json_int_t)kyso_catalog_count(r->catalog)));
		bad |= json_object_set_new(doc, "catalog", cat);
		cat = NULL;
		for (size_t i = 0; i < r->n_warnings; i++)
			bad |= json_array_append_new(warnings, json_string(r->warnings[i]));
		bad |= json_object_set_new(doc, "warnings", warnings);
		warnings = NULL;
		bad |= json_object_set_new(doc, "elapsed_ms",
		                           json_integer((json_int_t)r->elapsed_ms));
		if (rc != KYSO_OK) {
			json_t *e = kyso_json_error_new(&err);
			bad |= e == NULL || json_object_update(doc, e) != 0;
			json_decref(e);
		}
	}
	json_decref(tokens);
	json_decref(readers);
	json_decref(devices);
	json_decref(warnings);
	json_decref(files);
	json_decref(pcsc);
	json_decref(usb);
	json_decref(cat);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
