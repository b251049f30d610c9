/* Reading an uploaded report: JSON text, or a bundle zip holding report.json. */
#include "kyso_diagnostics.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPORT (4u << 20)

/* report.json out of a zip bundle (malloc'ed, NUL-terminated). */
static char *zip_report(const uint8_t *data, size_t len, kyso_error_t *err)
{
	struct archive *a = archive_read_new();
	char *out = NULL;
	if (a == NULL || archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("not a report bundle: %s"),
		               a != NULL ? archive_error_string(a) : "?");
		archive_read_free(a);
		return NULL;
	}
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e); /* NULL for an empty name */
		if (name == NULL || strcmp(name, "report.json") != 0)
			continue;
		la_int64_t size = archive_entry_size(e);
		if (size <= 0 || size > (la_int64_t)MAX_REPORT)
			break;
		out = malloc((size_t)size + 1);
		if (out == NULL || archive_read_data(a, out, (size_t)size) != (la_ssize_t)size) {
			free(out);
			out = NULL;
			break;
		}
		out[size] = '\0';
		break;
	}
	if (out == NULL)
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s",
		               _("the bundle holds no readable report.json"));
	archive_read_free(a);
	return out;
}

static bool valid_id(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n < 8 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-'))
			return false;
	return true;
}

json_t *kyso_reports_parse(const uint8_t *data, size_t len, kyso_error_t *err)
{
	char *text = NULL;
	json_error_t je;
	json_t *rep;
	if (len >= 4 && memcmp(data, "PK\003\004", 4) == 0) {
		text = zip_report(data, len, err);
		if (text == NULL)
			return NULL;
		rep = json_loads(text, 0, &je);
		free(text);
	} else {
		if (len > MAX_REPORT) {
			kyso_error_set(err, KYSO_ERR_TOO_LARGE, "%s", _("report too large"));
			return NULL;
		}
		rep = json_loadb((const char *)data, len, 0, &je);
	}
	if (rep == NULL) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("not a JSON report: line %d: %s"),
		               je.line, je.text);
		return NULL;
	}
	const char *kind = json_string_value(json_object_get(rep, "kind"));
	json_int_t schema = json_integer_value(json_object_get(rep, "schema"));
	const char *id = json_string_value(json_object_get(rep, "id"));
	const char *created = json_string_value(json_object_get(rep, "created"));
	if (kind == NULL || strcmp(kind, "kyso-doctor-report") != 0 || schema < 1 ||
	    schema > KYSO_DOCTOR_SCHEMA || !valid_id(id) || created == NULL ||
	    !json_is_array(json_object_get(rep, "checks"))) {
		json_decref(rep);
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s",
		               _("not a kyso doctor report (kind, schema, id, created, checks)"));
		return NULL;
	}
	return rep;
}
