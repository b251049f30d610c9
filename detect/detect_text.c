/* Human text for `kyso detect`: short lines a support person can read out
 * over the phone. */
#include "kyso_detect.h"

#include <string.h>

static const char *confidence_text(kyso_confidence_t c)
{
	switch (c) {
	case KYSO_CONFIDENCE_HIGH:
		return _("high (chip ATR and USB ID agree)");
	case KYSO_CONFIDENCE_MEDIUM:
		return _("medium (one source only)");
	case KYSO_CONFIDENCE_LOW:
		return _("low (check by hand)");
	case KYSO_CONFIDENCE_NONE:
		break;
	}
	return _("none");
}

static const char *evidence_text(kyso_evidence_kind_t k)
{
	switch (k) {
	case KYSO_EVIDENCE_USB:
		return _("USB ID is in the catalog");
	case KYSO_EVIDENCE_READER_NAME:
		return _("reader name matches the catalog");
	case KYSO_EVIDENCE_ATR:
		break;
	}
	return _("chip ATR matches the catalog");
}

/* "3B 9F 95 ..." for reading aloud. */
static void print_atr(FILE *out, const kyso_reader_t *rd)
{
	const char *hex = kyso_reader_atr_hex(rd);
	fprintf(out, "  %-14s ", "ATR:");
	for (size_t i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2)
		fprintf(out, "%s%c%c", i > 0 ? " " : "", hex[i], hex[i + 1]);
	fputc('\n', out);
}

static void print_list(FILE *out, const char *label, const json_t *list)
{
	if (json_array_size(list) == 0)
		return;
	fprintf(out, "    %s ", label);
	for (size_t i = 0; i < json_array_size(list); i++)
		fprintf(out, "%s%s", i > 0 ? ", " : "", json_string_value(json_array_get(list, i)));
	fputc('\n', out);
}

static void print_driver(FILE *out, const kyso_token_t *t)
{
	const json_t *d = kyso_token_driver(t);
	if (d == NULL) {
		fprintf(out, "  %s\n", _("Driver: the catalog names none for this system."));
		return;
	}
	fprintf(out, "  %s (%s):\n", _("Driver"), kyso_detect_os());
	const char *builtin = json_string_value(json_object_get(d, "builtin"));
	if (builtin != NULL)
		fprintf(out, "    %s %s\n", _("built into kyso:"), builtin);
	print_list(out, _("PKCS#11 module:"), json_object_get(d, "modules"));
	print_list(out, _("packages:"), json_object_get(d, "packages"));
	const json_t *bundle = json_object_get(d, "bundle");
	for (size_t i = 0; i < json_array_size(bundle); i++)
		fprintf(out, "    %s %s\n", _("vendor file (install bundle):"),
		        json_string_value(json_object_get(json_array_get(bundle, i), "file")));
	const char *notes = json_string_value(json_object_get(d, "notes"));
	if (notes != NULL)
		fprintf(out, "    %s %s\n", _("note:"), notes);
}

void kyso_detect_print_token(FILE *out, size_t n, const kyso_token_t *t)
{
	const kyso_token_type_t *type = kyso_token_type(t);
	const kyso_reader_t *rd = kyso_token_reader(t);
	const kyso_usb_device_t *u = kyso_token_usb(t);
	if (type != NULL)
		fprintf(out, _("Token %zu: %s\n"), n, kyso_token_type_name(type));
	else
		fprintf(out, _("Token %zu: NOT IN THE CATALOG (unknown token)\n"), n);
	if (type != NULL) {
		fprintf(out, "  %-14s %s\n", _("Catalog id:"), kyso_token_type_id(type));
		fprintf(out, "  %-14s %s\n", _("Confidence:"),
		        confidence_text(kyso_token_confidence(t)));
		for (size_t i = 0; i < kyso_token_evidence_count(t); i++)
			fprintf(out, "    - %s\n", evidence_text(kyso_token_evidence_kind(t, i)));
		if (kyso_token_alternative_count(t) > 0) {
			fprintf(out, "  %-14s", _("Could also be:"));
			for (size_t i = 0; i < kyso_token_alternative_count(t); i++)
				fprintf(out, " %s",
				        kyso_token_type_name(kyso_token_alternative_at(t, i)));
			fputc('\n', out);
		}
	}
	if (rd != NULL)
		fprintf(out, "  %-14s %s\n", _("Reader:"), kyso_reader_name(rd));
	if (rd != NULL && kyso_reader_atr_hex(rd)[0] != '\0')
		print_atr(out, rd);
	else if (rd != NULL && kyso_reader_state(rd) == KYSO_READER_MUTE)
		fprintf(out, "  %-14s %s\n", "ATR:", _("none (the chip does not answer)"));
	if (u != NULL)
		fprintf(out, "  %-14s %04X:%04X%s%s%s\n", "USB:", kyso_usb_vid(u), kyso_usb_pid(u),
		        kyso_usb_product(u) != NULL ? " (" : "",
		        kyso_usb_product(u) != NULL ? kyso_usb_product(u) : "",
		        kyso_usb_product(u) != NULL ? ")" : "");
	if (type != NULL) {
		print_driver(out, t);
		return;
	}
	if (kyso_token_smartcard_list(t) != NULL)
		fprintf(out, "  %s %s\n", _("smartcard_list.txt says:"),
		        kyso_token_smartcard_list(t));
	fprintf(out, "  %s\n",
	        _("Helpdesk: to add this token, put this entry (with its real "
	          "name) into the \"tokens\" list of"));
	fprintf(out, "  %s/tokens.json:\n", kyso_path_config_system());
	fprintf(out, "    %s\n", kyso_token_catalog_hint(t));
}

void kyso_detect_print_result(FILE *out, const kyso_detect_result_t *r)
{
	size_t n = kyso_detect_token_count(r);
	if (n == 0)
		fprintf(out, "%s\n", _("No token found."));
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', out);
		kyso_detect_print_token(out, i + 1, kyso_detect_token_at(r, i));
	}
	if (n > 0 && kyso_detect_pcsc_status(r) == KYSO_PCSC_OK) {
		size_t empty = 0;
		for (size_t i = 0; i < kyso_detect_reader_count(r); i++)
			empty +=
			        kyso_reader_state(kyso_detect_reader_at(r, i)) == KYSO_READER_EMPTY;
		if (empty > 0)
			fprintf(out, "\n%s %zu\n", _("Empty readers:"), empty);
	}
	for (size_t i = 0; i < kyso_detect_warning_count(r); i++)
		fprintf(out, "%s %s\n", _("Warning:"), kyso_detect_warning_at(r, i));
	if (kyso_detect_usb_status(r) == KYSO_USB_UNAVAILABLE)
		fprintf(out, "%s %s\n", _("Warning:"), kyso_detect_usb_message(r));
	const char *pm = kyso_detect_pcsc_message(r);
	if (pm != NULL && kyso_detect_pcsc_status(r) != KYSO_PCSC_NO_SERVICE)
		fprintf(out, "PC/SC: %s\n", pm);
}
