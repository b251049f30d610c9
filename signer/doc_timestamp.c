/* PAdES B-LTA: a document time stamp (`kyso timestamp`, `kyso sign --lta`).
 * First the validation data the document's signatures and earlier time
 * stamps need (their chains and OCSP/CRL, best effort) go into the /DSS,
 * then a new document time stamp covers everything, so an archive can renew
 * before the last time stamp's certificate expires. */
#include "kyso_signer.h"
#include "ltv_int.h"
#include "pdf.h"
#include "sign_int.h"
#include "tsa_int.h"

#include <errno.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

/* Certificates of one signature or time-stamp token, and revocation data for
 * its signer and (inside a CMS signature) its time stamp's TSA. */
static void collect_one(kyso_ltv_t *l, const kyso_pdf_sig_info_t *s, kyso_error_t *e)
{
	const unsigned char *p = s->contents;
	CMS_ContentInfo *cms =
	        s->contents != NULL ? d2i_CMS_ContentInfo(NULL, &p, (long)s->contents_len) : NULL;
	STACK_OF(X509) *certs = cms != NULL ? CMS_get1_certs(cms) : NULL;
	STACK_OF(X509) *signers = cms != NULL ? CMS_get0_signers(cms) : NULL;
	if (signers == NULL || sk_X509_num(signers) == 0) {
		/* not yet resolved: the first certificate that is not a CA */
		sk_X509_free(signers);
		signers = sk_X509_new_null();
		for (int i = 0; signers != NULL && i < sk_X509_num(certs); i++)
			if (X509_check_ca(sk_X509_value(certs, i)) == 0) {
				sk_X509_push(signers, sk_X509_value(certs, i));
				break;
			}
	}
	if (signers != NULL && sk_X509_num(signers) > 0)
		(void)kyso_ltv_collect(l, sk_X509_value(signers, 0), certs, true, e);
	STACK_OF(X509) *tsa = NULL;
	if (!s->is_doc_timestamp &&
	    kyso_ltv_tsa_certs(s->contents, s->contents_len, &tsa, e) == KYSO_OK)
		for (int i = 0; i < sk_X509_num(tsa); i++) {
			X509 *x = sk_X509_value(tsa, i);
			if (X509_check_purpose(x, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1)
				(void)kyso_ltv_collect(l, x, tsa, true, e);
		}
	sk_X509_pop_free(tsa, X509_free);
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	kyso_error_clear(e);
}

/* in copied to f with a /DSS update for every signature's validation data. */
static kyso_err_t with_dss(const char *in, const char *password, FILE *f, long timeout_s,
                           kyso_error_t *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_err_t rc = kyso_file_read_all(in, (size_t)1 << 31, &data, &len, err);
	if (rc == KYSO_OK && fwrite(data, 1, len, f) != len)
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s", strerror(errno));
	free(data);
	if (rc != KYSO_OK || fflush(f) != 0)
		return rc != KYSO_OK ? rc : kyso_error_set(err, KYSO_ERR_IO, NULL);
	kyso_pdf_t *pdf = kyso_pdf_open_stream(f, in, password, UINT64_MAX, err);
	if (pdf == NULL)
		return err->code != KYSO_OK ? err->code : KYSO_ERR_BAD_PDF;
	kyso_pdf_sig_info_t *sigs = NULL;
	size_t n = 0;
	kyso_ltv_t *l = NULL;
	rc = kyso_pdf_signatures(pdf, &sigs, &n, err);
	if (rc == KYSO_OK)
		rc = kyso_ltv_new(NULL, timeout_s, &l, err);
	kyso_error_t e;
	kyso_error_clear(&e);
	for (size_t i = 0; rc == KYSO_OK && i < n; i++)
		collect_one(l, &sigs[i], &e);
	kyso_pdf_dss_t d;
	uint64_t size = 0;
	if (rc == KYSO_OK && kyso_ltv_dss(l, &d, err) == KYSO_OK &&
	    d.ncerts + d.ncrls + d.nocsps > 0)
		rc = kyso_pdf_append_dss(pdf, &d, f, &size, err);
	kyso_ltv_free(&l);
	kyso_pdf_sig_info_free(sigs, n);
	kyso_pdf_free(&pdf);
	return rc;
}

kyso_err_t kyso_pdf_timestamp(const char *in, const char *out, const kyso_timestamp_opts_t *o,
                              kyso_error_t *err)
{
	kyso_tsa_opts_t t = {o->tsa_url, o->tsa_user, o->tsa_pass, o->timeout_s};
	kyso_atomic_file_t *stage = kyso_atomic_file_new(out, 0644, err);
	kyso_atomic_file_t *af = stage != NULL ? kyso_atomic_file_new(out, 0644, err) : NULL;
	if (af == NULL) {
		kyso_atomic_file_abort(&stage);
		return err->code;
	}
	kyso_err_t rc =
	        with_dss(in, o->password, kyso_atomic_file_stream(stage), o->timeout_s, err);
	kyso_pdf_t *pdf = rc == KYSO_OK ? kyso_pdf_open_stream(kyso_atomic_file_stream(stage), in,
	                                                       o->password, UINT64_MAX, err)
	                                : NULL;
	if (rc == KYSO_OK && pdf == NULL)
		rc = err->code != KYSO_OK ? err->code : KYSO_ERR_BAD_PDF;
	kyso_pdf_sig_params_t params = {
	        .sub_filter = "ETSI.RFC3161",
	        .doc_timestamp = true,
	        .contents_size = KYSO_TSA_RESERVE,
	        .page = -1,
	};
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_pdf_sig_slot_t slot;
	kyso_buf_t tok;
	kyso_buf_init(&tok);
	if (rc == KYSO_OK)
		rc = kyso_pdf_sig_prepare(pdf, &params, kyso_atomic_file_stream(af), EVP_sha256(),
		                          d, &dl, &slot, err);
	if (rc == KYSO_OK)
		rc = kyso_tsa_stamp_digest(&t, EVP_sha256(), d, dl, &tok, err);
	if (rc == KYSO_OK)
		rc = kyso_pdf_sig_fill(kyso_atomic_file_stream(af), &slot, tok.data, tok.len, err);
	kyso_pdf_free(&pdf);
	kyso_buf_free(&tok);
	if (rc == KYSO_OK)
		rc = kyso_atomic_file_commit(&af, err);
	kyso_atomic_file_abort(&af);
	kyso_atomic_file_abort(&stage);
	return rc;
}
