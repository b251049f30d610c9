/* CMS SignedData for PAdES B-B (ETSI.CAdES.detached): built with OpenSSL's
 * CMS API, except the signature value: the DER of the signed attributes is
 * made here (DER SET OF order), hashed, signed by the token and put into the
 * SignerInfo. Signed attributes: content-type, message-digest,
 * signing-certificate-v2 (RFC 5035); no signing-time (PAdES: time in /M). */
#include "sign_int.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

const EVP_MD *kyso_digest_md(kyso_digest_t d)
{
	switch (d) {
	case KYSO_DIGEST_SHA384:
		return EVP_sha384();
	case KYSO_DIGEST_SHA512:
		return EVP_sha512();
	case KYSO_DIGEST_SHA256:
	default:
		return EVP_sha256();
	}
}

struct enc {
	unsigned char *der;
	int len;
};

/* DER order of SET OF: compare encodings as octet strings */
static int enc_cmp(const void *a, const void *b)
{
	const struct enc *x = a, *y = b;
	int n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->der, y->der, (size_t)n);
	return c != 0 ? c : x->len - y->len;
}

static kyso_err_t put_len(kyso_buf_t *b, size_t len)
{
	uint8_t h[6];
	size_t n = 0;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		uint8_t tmp[4];
		size_t k = 0;
		for (size_t l = len; l > 0; l >>= 8)
			tmp[k++] = (uint8_t)(l & 0xff);
		h[n++] = (uint8_t)(0x80 | k);
		while (k > 0)
			h[n++] = tmp[--k];
	}
	return kyso_buf_append(b, h, n);
}

/* The DER of the signed attributes as signed: SET OF Attribute (tag 0x31). */
static kyso_err_t signed_attrs_der(CMS_SignerInfo *si, kyso_buf_t *out, kyso_error_t *err)
{
	int n = CMS_signed_get_attr_count(si);
	if (n <= 0)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "no signed attributes");
	struct enc *e = calloc((size_t)n, sizeof(*e));
	if (e == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = KYSO_OK;
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		e[i].len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &e[i].der);
		if (e[i].len <= 0) {
			rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "i2d_X509_ATTRIBUTE");
			goto out;
		}
		total += (size_t)e[i].len;
	}
	qsort(e, (size_t)n, sizeof(*e), enc_cmp);
	uint8_t tag = 0x31;
	rc = kyso_buf_append(out, &tag, 1);
	if (rc == KYSO_OK)
		rc = put_len(out, total);
	for (int i = 0; i < n && rc == KYSO_OK; i++)
		rc = kyso_buf_append(out, e[i].der, (size_t)e[i].len);
	if (rc != KYSO_OK)
		kyso_error_set(err, rc, NULL);
out:
	for (int i = 0; i < n; i++)
		OPENSSL_free(e[i].der);
	free(e);
	return rc;
}

static kyso_err_t ssl_error(kyso_error_t *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return kyso_error_set(err, KYSO_ERR_INTERNAL, "CMS: %s: %s", what, buf);
}

/* PAdES B-T: signature-time-stamp (id-aa-timeStampToken) over the value. */
static kyso_err_t add_timestamp(const kyso_cms_signer_t *s, CMS_SignerInfo *si, const uint8_t *sig,
                                size_t sl, kyso_error_t *err)
{
	kyso_buf_t tok;
	kyso_buf_init(&tok);
	kyso_err_t rc = s->timestamp(s->timestamp_ctx, s->md, sig, sl, &tok, err);
	if (rc == KYSO_ERR_UNSUPPORTED) {
		kyso_buf_free(&tok);
		return KYSO_OK;
	}
	if (rc == KYSO_OK &&
	    !CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
	                                   tok.data, (int)tok.len))
		rc = ssl_error(err, "time-stamp attribute");
	kyso_buf_free(&tok);
	return rc;
}

static kyso_err_t sign_signer_info(const kyso_cms_signer_t *s, CMS_SignerInfo *si,
                                   kyso_error_t *err)
{
	kyso_buf_t attrs;
	kyso_buf_init(&attrs);
	kyso_err_t rc = signed_attrs_der(si, &attrs, err);
	if (rc != KYSO_OK)
		return rc;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	int ok = EVP_Digest(attrs.data, attrs.len, h, &hl, s->md, NULL);
	kyso_buf_free(&attrs);
	if (!ok)
		return ssl_error(err, "digest");
	uint8_t *sig = calloc(1, s->sig_max_len + 1);
	if (sig == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	size_t sl = s->sig_max_len;
	if (s->sign != NULL) {
		rc = s->sign(s->sign_ctx, s->md, h, hl, sig, &sl, err);
	} else {
		memset(sig, 0x5a, sl); /* size estimate only */
	}
	if (rc == KYSO_OK && !ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sl))
		rc = ssl_error(err, "signature");
	if (rc == KYSO_OK && s->sign != NULL && s->timestamp != NULL)
		rc = add_timestamp(s, si, sig, sl, err);
	free(sig);
	return rc;
}

/* Decodes what we built and checks the signature over the signed
 * attributes as a verifier will see them (catches any DER order mistake). */
static kyso_err_t check_encoded(const unsigned char *der, int len, X509 *cert, kyso_error_t *err)
{
	const unsigned char *q = der;
	CMS_ContentInfo *back = d2i_CMS_ContentInfo(NULL, &q, len);
	STACK_OF(CMS_SignerInfo) *sis = back != NULL ? CMS_get0_SignerInfos(back) : NULL;
	CMS_SignerInfo *si = sis != NULL ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	int ok = si != NULL;
	if (ok)
		CMS_SignerInfo_set1_signer_cert(si, cert);
	ok = ok && CMS_SignerInfo_verify(si) == 1;
	CMS_ContentInfo_free(back);
	if (!ok)
		return ssl_error(err, "the signature over the signed attributes does not verify");
	return KYSO_OK;
}

kyso_err_t kyso_cms_build(const kyso_cms_signer_t *s, const uint8_t *content_digest,
                          size_t digest_len, kyso_buf_t *der, kyso_error_t *err)
{
	kyso_err_t rc = KYSO_OK;
	unsigned flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (cms == NULL)
		return ssl_error(err, "CMS_sign");
	EVP_PKEY *pub = X509_get0_pubkey(s->cert);
	CMS_SignerInfo *si =
	        pub != NULL ? CMS_add1_signer(cms, s->cert, pub, s->md, flags | CMS_CADES) : NULL;
	if (si == NULL) {
		rc = ssl_error(err, "signer");
		goto out;
	}
	for (int i = 0; s->chain != NULL && i < sk_X509_num(s->chain); i++) {
		X509 *c = sk_X509_value(s->chain, i);
		if (X509_cmp(c, s->cert) != 0 && !CMS_add1_cert(cms, c)) {
			rc = ssl_error(err, "certificate");
			goto out;
		}
	}
	if (!CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
	                                 OBJ_nid2obj(NID_pkcs7_data), -1) ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
	                                 content_digest, (int)digest_len)) {
		rc = ssl_error(err, "attributes");
		goto out;
	}
	rc = sign_signer_info(s, si, err);
	if (rc != KYSO_OK)
		goto out;
	unsigned char *p = NULL;
	int len = i2d_CMS_ContentInfo(cms, &p);
	if (len <= 0) {
		rc = ssl_error(err, "encoding");
		goto out;
	}
	if (s->sign != NULL)
		rc = check_encoded(p, len, s->cert, err);
	der->len = 0;
	if (rc == KYSO_OK && (rc = kyso_buf_append(der, p, (size_t)len)) != KYSO_OK)
		kyso_error_set(err, rc, NULL);
	OPENSSL_free(p);
out:
	CMS_ContentInfo_free(cms);
	return rc;
}

kyso_err_t kyso_cms_size(const kyso_cms_signer_t *s, size_t *size, kyso_error_t *err)
{
	kyso_cms_signer_t dummy = *s;
	dummy.sign = NULL;
	uint8_t zero[EVP_MAX_MD_SIZE] = {0};
	kyso_buf_t der;
	kyso_buf_init(&der);
	kyso_err_t rc = kyso_cms_build(&dummy, zero, (size_t)EVP_MD_get_size(s->md), &der, err);
	*size = der.len;
	kyso_buf_free(&der);
	return rc;
}
