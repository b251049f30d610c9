/* kyso_verify_pdf(): every signature of a PDF, as one JSON report. The
 * signatures are checked from the last revision back, so each one knows the
 * earliest trusted time stamp over it (its proof of existence, PAdES B-LTA)
 * and whether only document time stamps came after it. */
#include "verify_int.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static int by_end_desc(const void *a, const void *b, void *sigs)
{
	const kyso_pdf_sig_info_t *s = sigs;
	uint64_t x = s[*(const size_t *)a].covered_end, y = s[*(const size_t *)b].covered_end;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void order(kyso_pdf_sig_info_t *sigs, size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort: a handful of signatures */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_end_desc(&idx[j - 1], &idx[j], sigs) > 0; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

kyso_err_t kyso_verify_pdf(const char *path, const kyso_verify_opts_t *o, json_t **report,
                           bool *all_valid, kyso_error_t *err)
{
	*report = NULL;
	*all_valid = false;
	kyso_verify_opts_t dflt = {0};
	if (o == NULL)
		o = &dflt;
	kyso_vctx_t v = {0};
	v.trust = kyso_verify_trust(o, err);
	if (v.trust == NULL)
		return err->code;
	v.offline = o->offline;
	v.images = o->images;
	v.timeout_s = 10;
	v.now = o->at != 0 ? o->at : time(NULL);
	kyso_err_t rc = KYSO_OK;
	kyso_pdf_t *pdf = kyso_pdf_open(path, o->password, o->max_size, err);
	if (pdf == NULL) {
		kyso_trust_free(&v.trust);
		return err->code != KYSO_OK ? err->code : KYSO_ERR_BAD_PDF;
	}
	kyso_pdf_sig_info_t *sigs = NULL;
	size_t n = 0;
	json_t **res = NULL;
	size_t *idx = NULL;
	rc = kyso_pdf_signatures(pdf, &sigs, &n, err);
	if (rc != KYSO_OK)
		goto out;
	res = calloc(n + 1, sizeof(*res));
	idx = calloc(n + 1, sizeof(*idx));
	if (res == NULL || idx == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto out;
	}
	order(sigs, n, idx);
	kyso_ind_t worst = n > 0 ? KYSO_IND_PASSED : KYSO_IND_FAILED;
	time_t poe = 0;
	bool all_ts = true;
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];
		bool ok = false;
		v.poe = poe;
		v.later_all_ts = k > 0 && all_ts; /* some came later, all time stamps */
		res[i] = kyso_verify_one(pdf, &sigs[i], &v, &ok);
		if (v.made != 0 && (poe == 0 || v.made < poe))
			poe = v.made;
		all_ts = all_ts && sigs[i].is_doc_timestamp;
		const char *ind = json_string_value(json_object_get(res[i], "indication"));
		kyso_ind_t si = strcmp(ind, "TOTAL-PASSED") == 0   ? KYSO_IND_PASSED
		                : strcmp(ind, "TOTAL-FAILED") == 0 ? KYSO_IND_FAILED
		                                                   : KYSO_IND_INDETERMINATE;
		if (si > worst)
			worst = si;
	}
	if (kyso_pdf_budget_check(pdf, err) != KYSO_OK) {
		for (size_t i = 0; i < n; i++)
			json_decref(res[i]);
		rc = KYSO_ERR_BAD_PDF;
		goto out;
	}
	json_t *doc = json_object();
	json_t *arr = json_array();
	json_t *warn = json_array();
	for (size_t i = 0; i < n; i++) {
		json_object_set_new(res[i], "index", json_integer((json_int_t)i + 1));
		json_array_append_new(arr, res[i]);
	}
	for (size_t i = 0; i < kyso_pdf_warning_count(pdf); i++)
		json_array_append_new(warn, json_string(kyso_pdf_warning(pdf, i)));
	json_object_set_new(doc, "file", json_string(path));
	json_object_set_new(doc, "file_size", json_integer((json_int_t)kyso_pdf_file_size(pdf)));
	json_object_set_new(doc, "count", json_integer((json_int_t)n));
	json_object_set_new(doc, "indication", json_string(kyso_ind_name(worst)));
	json_object_set_new(doc, "valid", json_boolean(n > 0 && worst == KYSO_IND_PASSED));
	json_object_set_new(doc, "signatures", arr);
	json_object_set_new(doc, "anchors", json_incref(kyso_trust_sources(v.trust)));
	json_object_set_new(doc, "warnings", warn);
	*report = doc;
	*all_valid = n > 0 && worst == KYSO_IND_PASSED;
out:
	free(res);
	free(idx);
	kyso_pdf_sig_info_free(sigs, n);
	kyso_pdf_free(&pdf);
	kyso_trust_free(&v.trust);
	ERR_clear_error();
	return rc;
}
