/* The revocation status of a certificate from OCSP responses and CRLs (DER,
 * or PEM for CRLs: rootca.gov.vn serves PEM), each checked to come from its
 * issuer (OCSP: the issuer or a responder it delegated to). */
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <string.h>

static X509_CRL *crl_parse(const kyso_pdf_blob_t *b)
{
	const unsigned char *p = b->data;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)b->len);
	if (c == NULL) {
		BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
		c = bio != NULL ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	ERR_clear_error();
	return c;
}

static bool from_ocsp(X509 *x, X509 *issuer, STACK_OF(X509) * pool, const kyso_pdf_blob_t *b,
                      kyso_rev_status_t *out)
{
	const unsigned char *p = b->data;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)b->len);
	OCSP_BASICRESP *bs = r != NULL ? OCSP_response_get1_basic(r) : NULL;
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, x, issuer);
	X509_STORE *st = X509_STORE_new();
	bool found = false;
	int status = -1, reason = 0;
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
	if (bs != NULL && id != NULL && st != NULL && X509_STORE_add_cert(st, issuer) == 1 &&
	    OCSP_resp_find_status(bs, id, &status, &reason, &rev, &tu, &nu) == 1) {
		/* the issuer is the anchor: a delegated responder chains to it */
		X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		if (OCSP_basic_verify(bs, pool, st, 0) > 0 && status != V_OCSP_CERTSTATUS_UNKNOWN) {
			found = true;
			out->status = status == V_OCSP_CERTSTATUS_REVOKED ? KYSO_REV_REVOKED
			                                                  : KYSO_REV_GOOD;
			out->source = "ocsp";
			if (rev != NULL)
				kyso_asn1_time_to_time_t(rev, &out->revoked_at);
			if (tu != NULL)
				kyso_asn1_time_to_time_t(tu, &out->produced);
		}
	}
	X509_STORE_free(st);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	ERR_clear_error();
	return found;
}

static bool from_crl(X509 *x, X509 *issuer, const kyso_pdf_blob_t *b, kyso_rev_status_t *out)
{
	X509_CRL *c = crl_parse(b);
	bool found = false;
	X509_REVOKED *r = NULL;
	if (c != NULL &&
	    X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) == 0 &&
	    X509_CRL_verify(c, X509_get0_pubkey(issuer)) == 1) {
		found = true;
		out->source = "crl";
		kyso_asn1_time_to_time_t(X509_CRL_get0_lastUpdate(c), &out->produced);
		if (X509_CRL_get0_by_cert(c, &r, x) == 1) {
			out->status = KYSO_REV_REVOKED;
			kyso_asn1_time_to_time_t(X509_REVOKED_get0_revocationDate(r),
			                         &out->revoked_at);
		} else {
			out->status = KYSO_REV_GOOD;
		}
	}
	X509_CRL_free(c);
	ERR_clear_error();
	return found;
}

bool kyso_rev_status(X509 *x, X509 *issuer, STACK_OF(X509) * pool, const kyso_pdf_blob_t *crls,
                     size_t ncrls, const kyso_pdf_blob_t *ocsps, size_t nocsps,
                     kyso_rev_status_t *out)
{
	memset(out, 0, sizeof(*out));
	out->status = KYSO_REV_UNKNOWN;
	if (x == NULL || issuer == NULL)
		return false;
	for (size_t i = 0; i < nocsps; i++)
		if (from_ocsp(x, issuer, pool, &ocsps[i], out))
			return true;
	for (size_t i = 0; i < ncrls; i++)
		if (from_crl(x, issuer, &crls[i], out))
			return true;
	return false;
}

bool kyso_rev_has_source(X509 *x)
{
	STACK_OF(OPENSSL_STRING) *ocsp = X509_get1_ocsp(x);
	bool any = sk_OPENSSL_STRING_num(ocsp) > 0;
	X509_email_free(ocsp);
	int i = X509_get_ext_by_NID(x, NID_crl_distribution_points, -1);
	return any || i >= 0;
}
