/* kyso_verify_pdf(): every signature of a PDF, as one JSON report. */
#include "verify_int.h"

#include <openssl/err.h>

kyso_err_t kyso_verify_pdf(const char *path, const kyso_verify_opts_t *o, json_t **report,
                           bool *all_valid, kyso_error_t *err)
{
	*report = NULL;
	*all_valid = false;
	kyso_verify_opts_t dflt = {0};
	if (o == NULL)
		o = &dflt;
	X509_STORE *store = NULL;
	kyso_err_t rc = kyso_verify_store(o, &store, err);
	if (rc != KYSO_OK)
		return rc;
	kyso_pdf_t *pdf = kyso_pdf_open(path, o->password, o->max_size, err);
	if (pdf == NULL) {
		X509_STORE_free(store);
		return err->code != KYSO_OK ? err->code : KYSO_ERR_BAD_PDF;
	}
	kyso_pdf_sig_info_t *sigs = NULL;
	size_t n = 0;
	rc = kyso_pdf_signatures(pdf, &sigs, &n, err);
	if (rc != KYSO_OK)
		goto out;
	json_t *doc = json_object();
	json_t *arr = json_array();
	json_t *warn = json_array();
	bool all = n > 0;
	for (size_t i = 0; i < n; i++) {
		bool v = false;
		json_t *s = kyso_verify_one(pdf, &sigs[i], store, &v);
		json_object_set_new(s, "index", json_integer((json_int_t)i + 1));
		json_array_append_new(arr, s);
		all = all && v;
	}
	for (size_t i = 0; i < kyso_pdf_warning_count(pdf); i++)
		json_array_append_new(warn, json_string(kyso_pdf_warning(pdf, i)));
	json_object_set_new(doc, "file", json_string(path));
	json_object_set_new(doc, "file_size", json_integer((json_int_t)kyso_pdf_file_size(pdf)));
	json_object_set_new(doc, "count", json_integer((json_int_t)n));
	json_object_set_new(doc, "valid", json_boolean(all));
	json_object_set_new(doc, "signatures", arr);
	json_object_set_new(doc, "warnings", warn);
	*report = doc;
	*all_valid = all;
out:
	kyso_pdf_sig_info_free(sigs, n);
	kyso_pdf_free(&pdf);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}
