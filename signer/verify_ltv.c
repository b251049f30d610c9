/* What long-term validation data (the document's /DSS, PAdES B-LT) says
 * about a signature: whether it has a /VRI entry, and whether the DSS holds
 * revocation data for its signer's certificate (an OCSP response or a CRL of
 * its issuer, signature checked). Reported, never a reason for "invalid". */
#include "ltv_int.h"
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <stdlib.h>
#include <string.h>

X509 *kyso_verify_find_issuer(X509 *x, STACK_OF(X509) * a, STACK_OF(X509) * b)
{
	for (int k = 0; k < 2; k++) {
		STACK_OF(X509) *s = k ? b : a;
		for (int i = 0; i < sk_X509_num(s); i++)
			if (sk_X509_value(s, i) != x &&
			    X509_check_issued(sk_X509_value(s, i), x) == X509_V_OK)
				return sk_X509_value(s, i);
	}
	return NULL;
}

static void blobs_of(const kyso_buf_t *b, size_t n, kyso_pdf_blob_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (kyso_pdf_blob_t){b[i].data, b[i].len};
}

bool kyso_rev_online(X509 *signer, STACK_OF(X509) * chain, long timeout_s, kyso_rev_status_t *out)
{
	memset(out, 0, sizeof(*out));
	kyso_ltv_t *l = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	STACK_OF(X509) *rest = sk_X509_new_null();
	for (int i = 1; rest != NULL && chain != NULL && i < sk_X509_num(chain); i++)
		sk_X509_push(rest, sk_X509_value(chain, i));
	bool found = false;
	if (rest != NULL && kyso_ltv_new(NULL, timeout_s, &l, &e) == KYSO_OK) {
		kyso_err_t rc = kyso_ltv_collect(l, signer, rest, false, &e);
		if (rc != KYSO_OK)
			kyso_debug("verify: online revocation data: %s", kyso_error_message(&e));
		kyso_pdf_dss_t d;
		X509 *issuer = sk_X509_num(rest) > 0 ? sk_X509_value(rest, 0) : NULL;
		if (kyso_ltv_dss(l, &d, &e) == KYSO_OK)
			found = kyso_rev_status(signer, issuer, rest, d.crls, d.ncrls, d.ocsps,
			                        d.nocsps, out);
	}
	if (found)
		out->where = "online";
	kyso_ltv_free(&l);
	sk_X509_free(rest);
	return found;
}

void kyso_verify_ltv(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509 *signer,
                     STACK_OF(X509) * certs, json_t *o, kyso_rev_status_t *rs,
                     STACK_OF(X509) * *dss_out)
{
	memset(rs, 0, sizeof(*rs));
	if (dss_out != NULL)
		*dss_out = NULL;
	kyso_pdf_dss_count_t cnt;
	char key[2 * EVP_MAX_MD_SIZE + 1] = "";
	uint8_t sha1[EVP_MAX_MD_SIZE];
	unsigned sl = 0;
	if (in->contents != NULL &&
	    EVP_Digest(in->contents, in->contents_len, sha1, &sl, EVP_sha1(), NULL))
		kyso_hex_encode(sha1, sl, key);
	bool has_vri = false;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_pdf_dss_info(pdf, &cnt, key[0] ? key : NULL, &has_vri, &e) != KYSO_OK ||
	    cnt.certs + cnt.crls + cnt.ocsps + cnt.vri == 0) {
		json_object_set_new(o, "ltv", json_null());
		return;
	}
	kyso_buf_t *dc = NULL, *dl = NULL, *dox = NULL;
	size_t nc = 0, nl = 0, no = 0;
	kyso_pdf_dss_items(pdf, "Certs", &dc, &nc, &e);
	kyso_pdf_dss_items(pdf, "CRLs", &dl, &nl, &e);
	kyso_pdf_dss_items(pdf, "OCSPs", &dox, &no, &e);
	STACK_OF(X509) *dss_certs = sk_X509_new_null();
	for (size_t i = 0; dss_certs != NULL && i < nc; i++) {
		const unsigned char *p = dc[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)dc[i].len);
		if (x != NULL && !sk_X509_push(dss_certs, x))
			X509_free(x);
	}
	X509 *issuer = signer != NULL ? kyso_verify_find_issuer(signer, certs, dss_certs) : NULL;
	kyso_pdf_blob_t *bl = calloc(nl + 1, sizeof(*bl)), *bo = calloc(no + 1, sizeof(*bo));
	STACK_OF(X509) *pool = sk_X509_dup(dss_certs);
	for (int i = 0; pool != NULL && i < sk_X509_num(certs); i++)
		sk_X509_push(pool, sk_X509_value(certs, i));
	bool found = false;
	if (bl != NULL && bo != NULL && issuer != NULL) {
		blobs_of(dl, nl, bl);
		blobs_of(dox, no, bo);
		found = kyso_rev_status(signer, issuer, pool, bl, nl, bo, no, rs);
	}
	if (found)
		rs->where = "dss";
	free(bl);
	free(bo);
	sk_X509_free(pool);
	const char *rev = !found ? "none" : rs->status == KYSO_REV_REVOKED ? "revoked" : rs->source;
	json_t *l =
	        json_pack("{s:I, s:I, s:I, s:I, s:b, s:s}", "certs", (json_int_t)cnt.certs, "crls",
	                  (json_int_t)cnt.crls, "ocsps", (json_int_t)cnt.ocsps, "vri_entries",
	                  (json_int_t)cnt.vri, "vri", has_vri, "signer_revocation", rev);
	json_object_set_new(o, "ltv", l != NULL ? l : json_null());
	if (dss_out != NULL)
		*dss_out = dss_certs;
	else
		sk_X509_pop_free(dss_certs, X509_free);
	kyso_pdf_blobs_free(dc, nc);
	kyso_pdf_blobs_free(dl, nl);
	kyso_pdf_blobs_free(dox, no);
	ERR_clear_error();
}
