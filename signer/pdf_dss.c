/* Reading the Document Security Store (/DSS, PAdES B-LT): what long-term
 * validation data a document carries. Writing it is in pdf_update.c. */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>

#define DSS_MAX_ITEMS 10000
#define DSS_MAX_ITEM  ((size_t)16 * 1024 * 1024)

static kyso_pdf_obj_t *load_dss(kyso_pdf_t *pdf, kyso_error_t *err)
{
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	if (!cat)
		return NULL;
	kyso_pdf_obj_t *dss = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(cat, "DSS"), NULL);
	kyso_pdf_obj_free(cat);
	if (kyso_pdf_obj_type(dss) != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(dss);
		return NULL;
	}
	return dss;
}

static size_t array_len(kyso_pdf_t *pdf, const kyso_pdf_obj_t *dict, const char *key)
{
	kyso_pdf_obj_t *a = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(dict, key), NULL);
	size_t n = kyso_pdf_obj_type(a) == KYSO_PDF_ARRAY ? kyso_pdf_array_len(a) : 0;
	kyso_pdf_obj_free(a);
	return n;
}

kyso_err_t kyso_pdf_dss_info(kyso_pdf_t *pdf, kyso_pdf_dss_count_t *c, const char *vri_key,
                             bool *has_vri, kyso_error_t *err)
{
	memset(c, 0, sizeof(*c));
	if (has_vri)
		*has_vri = false;
	kyso_error_clear(err);
	kyso_pdf_obj_t *dss = load_dss(pdf, err);
	if (!dss)
		return err->code;
	c->certs = array_len(pdf, dss, "Certs");
	c->crls = array_len(pdf, dss, "CRLs");
	c->ocsps = array_len(pdf, dss, "OCSPs");
	kyso_pdf_obj_t *vri = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(dss, "VRI"), NULL);
	if (kyso_pdf_obj_type(vri) == KYSO_PDF_DICT) {
		c->vri = kyso_pdf_dict_len(vri);
		if (has_vri && vri_key)
			*has_vri = kyso_pdf_dict_get(vri, vri_key) != NULL;
	}
	kyso_pdf_obj_free(vri);
	kyso_pdf_obj_free(dss);
	return KYSO_OK;
}

void kyso_pdf_blobs_free(kyso_buf_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		kyso_buf_free(&v[i]);
	free(v);
}

kyso_err_t kyso_pdf_dss_items(kyso_pdf_t *pdf, const char *key, kyso_buf_t **out, size_t *n,
                              kyso_error_t *err)
{
	*out = NULL;
	*n = 0;
	kyso_error_clear(err);
	kyso_pdf_obj_t *dss = load_dss(pdf, err);
	if (!dss)
		return err->code;
	kyso_pdf_obj_t *a = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(dss, key), NULL);
	size_t len = kyso_pdf_obj_type(a) == KYSO_PDF_ARRAY ? kyso_pdf_array_len(a) : 0;
	if (len > DSS_MAX_ITEMS)
		len = DSS_MAX_ITEMS;
	kyso_buf_t *v = len ? calloc(len, sizeof(*v)) : NULL;
	kyso_err_t rc = len && !v ? kyso_error_set(err, KYSO_ERR_NOMEM, NULL) : KYSO_OK;
	size_t k = 0;
	for (size_t i = 0; rc == KYSO_OK && i < len; i++) {
		kyso_pdf_obj_t *s = kyso_pdf_resolve(pdf, kyso_pdf_array_get(a, i), NULL);
		kyso_buf_init(&v[k]);
		bool decoded = false;
		if (kyso_pdf_obj_type(s) == KYSO_PDF_STREAM &&
		    kyso_pdf_stream_data(pdf, s, DSS_MAX_ITEM, &v[k], &decoded, NULL) == KYSO_OK &&
		    decoded)
			k++;
		else
			kyso_buf_free(&v[k]);
		kyso_pdf_obj_free(s);
	}
	kyso_pdf_obj_free(a);
	kyso_pdf_obj_free(dss);
	if (rc != KYSO_OK) {
		kyso_pdf_blobs_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return KYSO_OK;
}
