/* Checking an RFC 3161 TimeStampResp before it is embedded: status granted,
 * same nonce and imprint as asked, token signature valid with the TSA
 * certificate it carries, and that certificate made for time stamping
 * (extended key usage timeStamping, as RFC 3161 2.3 requires). */
#include "tsa_int.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <string.h>

static kyso_err_t bad(kyso_error_t *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[200] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return kyso_error_set(err, KYSO_ERR_TSA,
	                      _("The time-stamp server's reply was refused: %s%s%s"), what,
	                      buf[0] ? " — " : "", buf);
}

static bool nonce_is(const ASN1_INTEGER *n, uint64_t want)
{
	uint64_t v = 0;
	return n != NULL && ASN1_INTEGER_get_uint64(&v, n) == 1 && v == want;
}

/* The token's CMS signature, verified with the certificate inside it (trust
 * in the TSA is the verifier's business; this catches a corrupt reply). */
static kyso_err_t check_token(const uint8_t *der, size_t len, kyso_error_t *err)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms == NULL)
		return bad(err, _("the token is not CMS"));
	kyso_err_t rc = KYSO_OK;
	STACK_OF(X509) *signers = NULL;
	if (CMS_verify(cms, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		rc = bad(err, _("the token's signature does not verify (the reply must include the "
		                "TSA certificate)"));
		goto out;
	}
	signers = CMS_get0_signers(cms);
	X509 *tsa = signers != NULL && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	if (tsa == NULL) {
		rc = bad(err, _("no TSA certificate in the token"));
		goto out;
	}
	if (X509_check_purpose(tsa, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1)
		rc = bad(err, _("the TSA certificate is not for time stamping (extended key usage "
		                "timeStamping missing or not critical)"));
out:
	sk_X509_free(signers);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

kyso_err_t kyso_tsa_check_reply(const uint8_t *resp, size_t resp_len, const EVP_MD *md,
                                const uint8_t *digest, size_t digest_len, uint64_t nonce,
                                kyso_buf_t *token, kyso_error_t *err)
{
	const unsigned char *p = resp;
	TS_RESP *r = d2i_TS_RESP(NULL, &p, (long)resp_len);
	if (r == NULL)
		return bad(err, _("not an RFC 3161 reply"));
	kyso_err_t rc = KYSO_OK;
	unsigned char *tder = NULL;
	TS_STATUS_INFO *si = TS_RESP_get_status_info(r);
	long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
		const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(si);
		char info[64] = "";
		/* PKIFailureInfo bits (RFC 3161 section 2.4.2) */
		static const char *const names[] = {
		        [0] = "badAlg",
		        [2] = "badRequest",
		        [5] = "badDataFormat",
		        [14] = "timeNotAvailable",
		        [15] = "unacceptedPolicy",
		        [16] = "unacceptedExtension",
		        [17] = "addInfoNotAvailable",
		        [25] = "systemFailure",
		};
		for (int i = 0; fi != NULL && i < (int)(sizeof(names) / sizeof(names[0])); i++)
			if (names[i] != NULL && ASN1_BIT_STRING_get_bit(fi, i))
				snprintf(info, sizeof(info), " (%s)", names[i]);
		ERR_clear_error();
		rc = kyso_error_set(err, KYSO_ERR_TSA,
		                    _("The time-stamp server refused the request: status %ld%s."),
		                    status, info);
		goto out;
	}
	TS_TST_INFO *ti = TS_RESP_get_tst_info(r);
	PKCS7 *tok = TS_RESP_get_token(r);
	if (ti == NULL || tok == NULL) {
		rc = bad(err, _("granted without a token"));
		goto out;
	}
	if (!nonce_is(TS_TST_INFO_get_nonce(ti), nonce)) {
		rc = bad(err, _("the nonce differs from the request's (replayed or forged reply)"));
		goto out;
	}
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(ti);
	const ASN1_OCTET_STRING *h = TS_MSG_IMPRINT_get_msg(mi);
	const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
	if (OBJ_obj2nid(alg->algorithm) != EVP_MD_get_type(md) ||
	    (size_t)ASN1_STRING_length(h) != digest_len ||
	    memcmp(ASN1_STRING_get0_data(h), digest, digest_len) != 0) {
		rc = bad(err, _("the time stamp is for other data (message imprint differs)"));
		goto out;
	}
	int tl = i2d_PKCS7(tok, &tder);
	if (tl <= 0) {
		rc = bad(err, _("cannot encode the token"));
		goto out;
	}
	rc = check_token(tder, (size_t)tl, err);
	if (rc != KYSO_OK)
		goto out;
	token->len = 0;
	if ((rc = kyso_buf_append(token, tder, (size_t)tl)) != KYSO_OK)
		kyso_error_set(err, rc, NULL);
out:
	OPENSSL_free(tder);
	TS_RESP_free(r);
	ERR_clear_error();
	return rc;
}
