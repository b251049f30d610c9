/* JSON output: exactly one document on stdout per --json command. */
#include "kyso_core.h"

kyso_err_t kyso_json_print(json_t *doc)
{
	if (doc == NULL)
		return KYSO_ERR_NOMEM;
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		return KYSO_ERR_IO;
	return KYSO_OK;
}

json_t *kyso_json_error_new(const kyso_error_t *e)
{
	kyso_err_t code = e != NULL ? e->code : KYSO_ERR_INTERNAL;
	return json_pack("{s:{s:s, s:s, s:i}}", "error", "id", kyso_err_id(code), "message",
	                 kyso_error_message(e), "exit", (int)kyso_err_exit(code));
}

json_t *kyso_json_load_file(const char *path, kyso_error_t *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s:%d:%d: %s", path, jerr.line,
		               jerr.column, jerr.text);
	return doc;
}

int kyso_cmd_fail(bool json, const kyso_error_t *err)
{
	kyso_err_t code = err != NULL ? err->code : KYSO_ERR_INTERNAL;
	if (json) {
		if (kyso_json_print(kyso_json_error_new(err)) != KYSO_OK)
			fprintf(stderr, "kyso: %s\n", kyso_error_message(err));
	} else {
		fprintf(stderr, "kyso: %s\n", kyso_error_message(err));
	}
	return (int)kyso_err_exit(code);
}
