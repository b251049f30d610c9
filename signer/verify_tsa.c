/* RFC 3161 time-stamp tokens: an unsigned signature-time-stamp attribute of
 * a CMS signature (imprint = hash of the signature value) or a document
 * time stamp (imprint = hash of the ByteRange). */
#include "verify_int.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <string.h>

static void fail(kyso_tst_check_t *out, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(out->error, sizeof(out->error), "%s%s%s", what, buf[0] ? ": " : "", buf);
	out->valid = false;
}

/* The token's signature with its own certificate, then that certificate's
 * chain (EKU timeStamping) to a document anchor. */
static void check_signer(const uint8_t *der, size_t der_len, kyso_trust_t *trust, time_t at,
                         kyso_tst_check_t *out)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	if (cms == NULL) {
		fail(out, "not a time-stamp token");
		return;
	}
	out->sig_ok = CMS_verify(cms, NULL, NULL, NULL, NULL,
	                         CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1;
	ERR_clear_error();
	STACK_OF(X509) *signers = CMS_get0_signers(cms);
	X509 *tsa = signers != NULL && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	if (!out->sig_ok || tsa == NULL) {
		fail(out, "the time stamp's signature does not verify");
	} else {
		kyso_asn1_time_to_time_t(X509_get0_notAfter(tsa), &out->tsa_not_after);
		STACK_OF(X509) *certs = CMS_get1_certs(cms);
		kyso_trust_result_t r;
		kyso_trust_verify(trust, tsa, certs, at, &r);
		bool eku = X509_check_purpose(tsa, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1;
		out->trusted = r.ok && eku;
		out->category = r.category;
		if (!r.ok)
			snprintf(out->error, sizeof(out->error), "the TSA is not trusted: %s",
			         X509_verify_cert_error_string(r.error));
		else if (!eku)
			snprintf(out->error, sizeof(out->error),
			         "the TSA certificate is not for time stamping");
		kyso_trust_result_clear(&r);
		sk_X509_pop_free(certs, X509_free);
	}
	sk_X509_free(signers);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
}

void kyso_tst_check(const uint8_t *der, size_t der_len, const uint8_t *data, size_t data_len,
                    const uint8_t *digest, size_t digest_len, kyso_trust_t *trust, time_t poe,
                    kyso_tst_check_t *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	const unsigned char *p = der;
	PKCS7 *tok = d2i_PKCS7(NULL, &p, (long)der_len);
	TS_TST_INFO *ti = tok != NULL ? PKCS7_to_TS_TST_INFO(tok) : NULL;
	if (ti == NULL) {
		fail(out, "not a time-stamp token");
		PKCS7_free(tok);
		return;
	}
	if (!kyso_asn1_time_to_time_t(TS_TST_INFO_get_time(ti), &out->time))
		out->time = 0;
	STACK_OF(X509) *signers = PKCS7_get0_signers(tok, NULL, 0);
	if (signers != NULL && sk_X509_num(signers) > 0)
		kyso_x509_name_line(X509_get_subject_name(sk_X509_value(signers, 0)), out->tsa,
		                    sizeof(out->tsa));
	sk_X509_free(signers);
	ERR_clear_error();

	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(ti);
	const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
	const ASN1_OCTET_STRING *h = TS_MSG_IMPRINT_get_msg(mi);
	const EVP_MD *md = EVP_get_digestbyobj(alg->algorithm);
	uint8_t want[EVP_MAX_MD_SIZE];
	unsigned wl = 0;
	bool have = false;
	if (md != NULL && data != NULL && EVP_Digest(data, data_len, want, &wl, md, NULL))
		have = true;
	else if (data == NULL && digest != NULL && digest_len <= sizeof(want)) {
		memcpy(want, digest, digest_len);
		wl = (unsigned)digest_len;
		have = true;
	}
	out->imprint_ok = have && (size_t)ASN1_STRING_length(h) == wl &&
	                  memcmp(ASN1_STRING_get0_data(h), want, wl) == 0;
	if (!out->imprint_ok)
		fail(out, "the time stamp is for other data (imprint mismatch)");
	else
		check_signer(der, der_len, trust, poe != 0 ? poe : out->time, out);
	out->valid = out->imprint_ok && out->sig_ok && out->trusted;
	TS_TST_INFO_free(ti);
	PKCS7_free(tok);
}
