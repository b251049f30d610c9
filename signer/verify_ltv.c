/* What long-term validation data (the document's /DSS, PAdES B-LT) says
 * about a signature: whether it has a /VRI entry, and whether the DSS holds
 * revocation data for its signer's certificate (an OCSP response or a CRL of
 * its issuer, signature checked). Reported, never a reason for "invalid". */
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <string.h>

static X509 *find_issuer(X509 *x, STACK_OF(X509) * a, STACK_OF(X509) * b)
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

/* "ocsp", "crl", "revoked" or "none" for signer from the DSS items. */
static const char *signer_revocation(X509 *signer, X509 *issuer, const kyso_buf_t *crls,
                                     size_t ncrls, const kyso_buf_t *ocsps, size_t nocsps)
{
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, signer, issuer);
	const char *res = "none";
	for (size_t i = 0; id != NULL && i < nocsps && strcmp(res, "none") == 0; i++) {
		const unsigned char *p = ocsps[i].data;
		OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)ocsps[i].len);
		OCSP_BASICRESP *bs = r != NULL ? OCSP_response_get1_basic(r) : NULL;
		int status = -1, reason = 0;
		ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
		if (bs != NULL &&
		    OCSP_resp_find_status(bs, id, &status, &reason, &rev, &tu, &nu) == 1)
			res = status == V_OCSP_CERTSTATUS_GOOD      ? "ocsp"
			      : status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
			                                            : "none";
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
	}
	OCSP_CERTID_free(id);
	for (size_t i = 0; i < ncrls && strcmp(res, "none") == 0; i++) {
		const unsigned char *p = crls[i].data;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)crls[i].len);
		X509_REVOKED *r = NULL;
		if (c != NULL &&
		    X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) == 0 &&
		    X509_CRL_verify(c, X509_get0_pubkey(issuer)) == 1)
			res = X509_CRL_get0_by_cert(c, &r, signer) == 1 ? "revoked" : "crl";
		X509_CRL_free(c);
	}
	ERR_clear_error();
	return res;
}

void kyso_verify_ltv(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509 *signer,
                     STACK_OF(X509) * certs, json_t *o)
{
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
	X509 *issuer = signer != NULL ? find_issuer(signer, certs, dss_certs) : NULL;
	const char *rev =
	        issuer != NULL ? signer_revocation(signer, issuer, dl, nl, dox, no) : "none";
	json_t *l =
	        json_pack("{s:I, s:I, s:I, s:I, s:b, s:s}", "certs", (json_int_t)cnt.certs, "crls",
	                  (json_int_t)cnt.crls, "ocsps", (json_int_t)cnt.ocsps, "vri_entries",
	                  (json_int_t)cnt.vri, "vri", has_vri, "signer_revocation", rev);
	json_object_set_new(o, "ltv", l != NULL ? l : json_null());
	sk_X509_pop_free(dss_certs, X509_free);
	kyso_pdf_blobs_free(dc, nc);
	kyso_pdf_blobs_free(dl, nl);
	kyso_pdf_blobs_free(dox, no);
	ERR_clear_error();
}
