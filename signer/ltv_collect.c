/* Collecting long-term validation data (PAdES B-LT): certificates and, for
 * each certificate below a root, a CRL (given with --crl or fetched from its
 * CRL distribution point) or an OCSP response (from the responder in its
 * Authority Information Access), each checked before it is kept. */
#include "ltv_int.h"
#include "sign_int.h"
#include "tsa_int.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define LTV_MAX_REPLY ((size_t)8 * 1024 * 1024) /* CRLs of big CAs are a few MB */
#define LTV_MAX_ITEMS 64

struct kyso_ltv {
	long timeout_s;
	STACK_OF(X509_CRL) * given;
	STACK_OF(X509) * certs;
	kyso_buf_t certs_der[LTV_MAX_ITEMS], crls[LTV_MAX_ITEMS], ocsps[LTV_MAX_ITEMS];
	size_t ncerts, ncrls, nocsps;
	kyso_pdf_blob_t bc[LTV_MAX_ITEMS], bl[LTV_MAX_ITEMS], bo[LTV_MAX_ITEMS];
};

static void subject_of(X509 *x, char *buf, size_t cap)
{
	kyso_x509_name_line(X509_get_subject_name(x), buf, cap);
}

/* Appends DER to v[*n] unless the same bytes are there. */
static kyso_err_t add_der(kyso_buf_t *v, size_t *n, const uint8_t *der, size_t len,
                          kyso_error_t *err)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].len == len && memcmp(v[i].data, der, len) == 0)
			return KYSO_OK;
	if (*n >= LTV_MAX_ITEMS)
		return kyso_error_set(err, KYSO_ERR_PROBLEM, "%s",
		                      _("Too much long-term validation data."));
	kyso_buf_init(&v[*n]);
	if (kyso_buf_append(&v[*n], der, len) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	(*n)++;
	return KYSO_OK;
}

static kyso_err_t add_cert(kyso_ltv_t *l, X509 *x, kyso_error_t *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	if (len <= 0)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "i2d_X509");
	size_t before = l->ncerts;
	kyso_err_t rc = add_der(l->certs_der, &l->ncerts, der, (size_t)len, err);
	OPENSSL_free(der);
	if (rc == KYSO_OK && l->ncerts > before && (!X509_up_ref(x) || !sk_X509_push(l->certs, x)))
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	return rc;
}

kyso_err_t kyso_ltv_new(const char *const *files, long timeout_s, kyso_ltv_t **out,
                        kyso_error_t *err)
{
	*out = NULL;
	kyso_ltv_t *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	l->timeout_s = timeout_s;
	l->given = sk_X509_CRL_new_null();
	l->certs = sk_X509_new_null();
	if (l->given == NULL || l->certs == NULL) {
		kyso_ltv_free(&l);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	for (size_t i = 0; files != NULL && files[i] != NULL; i++) {
		BIO *b = BIO_new_file(files[i], "rb");
		if (b == NULL) {
			kyso_ltv_free(&l);
			ERR_clear_error();
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
			                      _("Cannot read the CRL file %s."), files[i]);
		}
		size_t before = (size_t)sk_X509_CRL_num(l->given);
		X509_CRL *c;
		while ((c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_CRL_push(l->given, c))
				X509_CRL_free(c);
		ERR_clear_error();
		if ((size_t)sk_X509_CRL_num(l->given) == before) {
			(void)BIO_reset(b);
			c = d2i_X509_CRL_bio(b, NULL);
			if (c != NULL && !sk_X509_CRL_push(l->given, c))
				X509_CRL_free(c);
		}
		BIO_free(b);
		ERR_clear_error();
		if ((size_t)sk_X509_CRL_num(l->given) == before) {
			kyso_ltv_free(&l);
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
			                      _("%s is not a CRL (PEM or DER)."), files[i]);
		}
	}
	*out = l;
	return KYSO_OK;
}

void kyso_ltv_free(kyso_ltv_t **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	kyso_ltv_t *l = *lp;
	sk_X509_CRL_pop_free(l->given, X509_CRL_free);
	sk_X509_pop_free(l->certs, X509_free);
	for (size_t i = 0; i < l->ncerts; i++)
		kyso_buf_free(&l->certs_der[i]);
	for (size_t i = 0; i < l->ncrls; i++)
		kyso_buf_free(&l->crls[i]);
	for (size_t i = 0; i < l->nocsps; i++)
		kyso_buf_free(&l->ocsps[i]);
	free(l);
	*lp = NULL;
}

/* ---- CRL ------------------------------------------------------------------ */

/* The CRL is the issuer's, signed by it; cert is not on it. */
static kyso_err_t check_crl(X509_CRL *crl, X509 *cert, X509 *issuer, const char *src,
                            kyso_error_t *err)
{
	char subj[512];
	subject_of(cert, subj, sizeof(subj));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_NETWORK,
		                      _("The CRL from %s is not signed by the issuer of %s."), src,
		                      subj);
	}
	X509_REVOKED *r = NULL;
	if (X509_CRL_get0_by_cert(crl, &r, cert) == 1)
		return kyso_error_set(
		        err, KYSO_ERR_PROBLEM,
		        _("The certificate %s is revoked (CRL from %s); it cannot make "
		          "a valid signature."),
		        subj, src);
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	if (next != NULL && X509_cmp_current_time(next) < 0)
		kyso_warn(_("The CRL from %s is out of date (next update passed)."), src);
	return KYSO_OK;
}

static kyso_err_t keep_crl(kyso_ltv_t *l, X509_CRL *crl, kyso_error_t *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(crl, &der);
	if (len <= 0)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "i2d_X509_CRL");
	kyso_err_t rc = add_der(l->crls, &l->ncrls, der, (size_t)len, err);
	OPENSSL_free(der);
	return rc;
}

/* A given CRL of cert's issuer: KYSO_OK (kept), KYSO_ERR_NOT_FOUND (none),
 * or the check's error. */
static kyso_err_t from_given(kyso_ltv_t *l, X509 *cert, X509 *issuer, kyso_error_t *err)
{
	for (int i = 0; i < sk_X509_CRL_num(l->given); i++) {
		X509_CRL *c = sk_X509_CRL_value(l->given, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) != 0 ||
		    X509_CRL_verify(c, X509_get0_pubkey(issuer)) != 1) {
			ERR_clear_error();
			continue;
		}
		kyso_err_t rc = check_crl(c, cert, issuer, "--crl", err);
		return rc != KYSO_OK ? rc : keep_crl(l, c, err);
	}
	return KYSO_ERR_NOT_FOUND;
}

static kyso_err_t from_cdp(kyso_ltv_t *l, X509 *cert, X509 *issuer, const char *url,
                           kyso_error_t *err)
{
	kyso_buf_t body;
	kyso_buf_init(&body);
	kyso_err_t rc = kyso_http_fetch(url, NULL, NULL, l->timeout_s, LTV_MAX_REPLY, &body, err);
	if (rc != KYSO_OK)
		return rc;
	const unsigned char *p = body.data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)body.len);
	if (crl == NULL) {
		BIO *b = BIO_new_mem_buf(body.data, (int)body.len);
		crl = b != NULL ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	ERR_clear_error();
	if (crl == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("%s did not send a CRL."), url);
	else
		rc = check_crl(crl, cert, issuer, url, err);
	if (rc == KYSO_OK)
		rc = keep_crl(l, crl, err);
	else if (rc == KYSO_ERR_PROBLEM && crl != NULL)
		(void)keep_crl(l, crl, NULL);
	X509_CRL_free(crl);
	kyso_buf_free(&body);
	return rc;
}

/* ---- OCSP ----------------------------------------------------------------- */

static kyso_err_t ocsp_check(OCSP_REQUEST *req, OCSP_RESPONSE *resp, OCSP_CERTID *id,
                             STACK_OF(X509) * pool, const char *url, const char *subj,
                             kyso_error_t *err)
{
	int st = OCSP_response_status(resp);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		return kyso_error_set(err, KYSO_ERR_NETWORK,
		                      _("The OCSP responder %s answered \"%s\"."), url,
		                      OCSP_response_status_str(st));
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(resp);
	X509_STORE *store = X509_STORE_new();
	kyso_err_t rc = KYSO_OK;
	if (bs == NULL || store == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The OCSP responder %s sent no answer."), url);
		goto out;
	}
	if (OCSP_check_nonce(req, bs) == 0) {
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The OCSP answer from %s is for another request (nonce)."),
		                    url);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(pool); i++) {
		X509 *x = sk_X509_value(pool, i);
		if (X509_check_issued(x, x) == X509_V_OK)
			X509_STORE_add_cert(store, x);
	}
	if (OCSP_basic_verify(bs, pool, store, 0) <= 0) {
		unsigned long e = ERR_peek_last_error();
		rc = kyso_error_set(
		        err, KYSO_ERR_NETWORK,
		        _("The OCSP answer from %s is not signed by the issuer of %s or "
		          "its responder (%s)."),
		        url, subj, e ? ERR_reason_error_string(e) : "-");
		goto out;
	}
	int status = -1, reason = 0;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	if (OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The OCSP answer from %s does not cover %s."), url, subj);
		goto out;
	}
	if (OCSP_check_validity(thisupd, nextupd, 300, -1) != 1) {
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The OCSP answer from %s is not current."), url);
		goto out;
	}
	if (status == V_OCSP_CERTSTATUS_REVOKED)
		rc = kyso_error_set(err, KYSO_ERR_PROBLEM,
		                    _("The certificate %s is revoked (OCSP %s); it cannot make a "
		                      "valid signature."),
		                    subj, url);
	else if (status != V_OCSP_CERTSTATUS_GOOD)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The OCSP responder %s does not know %s."), url, subj);
out:
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return rc;
}

static kyso_err_t from_ocsp(kyso_ltv_t *l, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                            const char *url, kyso_error_t *err)
{
	char subj[512];
	subject_of(cert, subj, sizeof(subj));
	kyso_err_t rc = KYSO_OK;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
	OCSP_CERTID *id2 = id != NULL ? OCSP_CERTID_dup(id) : NULL;
	OCSP_RESPONSE *resp = NULL;
	unsigned char *der = NULL;
	kyso_buf_t q, a;
	kyso_buf_init(&q);
	kyso_buf_init(&a);
	int len = 0;
	if (req == NULL || id2 == NULL || OCSP_request_add0_id(req, id) == NULL) {
		OCSP_CERTID_free(id);
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "OCSP request");
		goto out;
	}
	if (OCSP_request_add1_nonce(req, NULL, -1) != 1 ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0 ||
	    kyso_buf_append(&q, der, (size_t)len) != KYSO_OK) {
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "OCSP request");
		goto out;
	}
	rc = kyso_http_fetch(url, &q, "application/ocsp-request", l->timeout_s, LTV_MAX_REPLY, &a,
	                     err);
	if (rc != KYSO_OK)
		goto out;
	const unsigned char *p = a.data;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)a.len);
	if (resp == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("%s did not send an OCSP answer."),
		                    url);
		goto out;
	}
	rc = ocsp_check(req, resp, id2, pool, url, subj, err);
	if (rc == KYSO_OK)
		rc = add_der(l->ocsps, &l->nocsps, a.data, a.len, err);
	else if (rc == KYSO_ERR_PROBLEM) /* revoked: kept for verify (when) */
		(void)add_der(l->ocsps, &l->nocsps, a.data, a.len, NULL);
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_CERTID_free(id2);
	OCSP_REQUEST_free(req);
	kyso_buf_free(&q);
	kyso_buf_free(&a);
	ERR_clear_error();
	return rc;
}

/* ---- per certificate --------------------------------------------------------- */

static bool is_http(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* Revocation data for cert (issued by issuer). */
static kyso_err_t revocation(kyso_ltv_t *l, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                             kyso_error_t *err)
{
	kyso_err_t rc = from_given(l, cert, issuer, err);
	if (rc != KYSO_ERR_NOT_FOUND)
		return rc;
	kyso_error_clear(err);
	bool tried = false;
	STACK_OF(OPENSSL_STRING) *ocsp = X509_get1_ocsp(cert);
	for (int i = 0; i < sk_OPENSSL_STRING_num(ocsp); i++) {
		const char *u = sk_OPENSSL_STRING_value(ocsp, i);
		if (!is_http(u))
			continue;
		tried = true;
		kyso_error_clear(err);
		rc = from_ocsp(l, cert, issuer, pool, u, err);
		if (rc == KYSO_OK || rc == KYSO_ERR_PROBLEM)
			break;
	}
	X509_email_free(ocsp);
	if (tried && (rc == KYSO_OK || rc == KYSO_ERR_PROBLEM))
		return rc;
	STACK_OF(DIST_POINT) *cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; i < sk_DIST_POINT_num(cdp); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
			if (g->type != GEN_URI)
				continue;
			const char *u =
			        (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
			if (!is_http(u))
				continue;
			tried = true;
			kyso_error_clear(err);
			rc = from_cdp(l, cert, issuer, u, err);
			if (rc == KYSO_OK || rc == KYSO_ERR_PROBLEM)
				goto done;
		}
	}
done:
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	ERR_clear_error();
	char subj[512];
	subject_of(cert, subj, sizeof(subj));
	if (tried && rc != KYSO_OK && rc != KYSO_ERR_PROBLEM) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return kyso_error_set(err, rc, _("No revocation data for %s (--ltv needs it): %s"),
		                      subj, why);
	}
	if (tried)
		return rc;
	return kyso_error_set(err, KYSO_ERR_PROBLEM,
	                      _("%s names no CRL distribution point or OCSP responder; give its "
	                        "issuer's CRL with --crl FILE."),
	                      subj);
}

kyso_err_t kyso_ltv_collect(kyso_ltv_t *l, X509 *cert, STACK_OF(X509) * chain, bool best_effort,
                            kyso_error_t *err)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	if (pool == NULL || !sk_X509_push(pool, cert)) {
		sk_X509_free(pool);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	for (int i = 0; i < sk_X509_num(chain); i++)
		sk_X509_push(pool, sk_X509_value(chain, i));
	kyso_err_t rc = KYSO_OK;
	for (int i = 0; rc == KYSO_OK && i < sk_X509_num(pool); i++) {
		X509 *x = sk_X509_value(pool, i);
		rc = add_cert(l, x, err);
		if (rc != KYSO_OK || X509_check_issued(x, x) == X509_V_OK)
			continue; /* a root: trusted as itself */
		X509 *issuer = NULL;
		for (int j = 0; j < sk_X509_num(pool) && issuer == NULL; j++)
			if (j != i && X509_check_issued(sk_X509_value(pool, j), x) == X509_V_OK)
				issuer = sk_X509_value(pool, j);
		char subj[512];
		subject_of(x, subj, sizeof(subj));
		if (issuer == NULL)
			rc = kyso_error_set(err, KYSO_ERR_BAD_INPUT,
			                    _("The issuer of %s is not in the chain; give it with "
			                      "--chain FILE."),
			                    subj);
		else
			rc = revocation(l, x, issuer, pool, err);
		if (rc != KYSO_OK && best_effort) {
			kyso_warn(_("No long-term validation data for %s: %s"), subj, err->msg);
			kyso_error_clear(err);
			rc = KYSO_OK;
		}
	}
	sk_X509_free(pool);
	ERR_clear_error();
	return rc;
}

kyso_err_t kyso_ltv_dss(kyso_ltv_t *l, kyso_pdf_dss_t *d, kyso_error_t *err)
{
	(void)err;
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < l->ncerts; i++)
		l->bc[i] = (kyso_pdf_blob_t){l->certs_der[i].data, l->certs_der[i].len};
	for (size_t i = 0; i < l->ncrls; i++)
		l->bl[i] = (kyso_pdf_blob_t){l->crls[i].data, l->crls[i].len};
	for (size_t i = 0; i < l->nocsps; i++)
		l->bo[i] = (kyso_pdf_blob_t){l->ocsps[i].data, l->ocsps[i].len};
	d->certs = l->bc;
	d->ncerts = l->ncerts;
	d->crls = l->bl;
	d->ncrls = l->ncrls;
	d->ocsps = l->bo;
	d->nocsps = l->nocsps;
	return KYSO_OK;
}

kyso_err_t kyso_ltv_tsa_certs(const uint8_t *der, size_t len, STACK_OF(X509) * *out,
                              kyso_error_t *err)
{
	*out = NULL;
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "CMS");
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si =
	        sk_CMS_SignerInfo_num(sis) > 0 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	int at = si != NULL ? CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1)
	                    : -1;
	X509_ATTRIBUTE *attr = at >= 0 ? CMS_unsigned_get_attr(si, at) : NULL;
	ASN1_TYPE *t = attr != NULL ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	if (t != NULL && t->type == V_ASN1_SEQUENCE) {
		const unsigned char *q = t->value.sequence->data;
		CMS_ContentInfo *tok =
		        d2i_CMS_ContentInfo(NULL, &q, (long)t->value.sequence->length);
		if (tok != NULL)
			*out = CMS_get1_certs(tok);
		CMS_ContentInfo_free(tok);
	}
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return KYSO_OK;
}
