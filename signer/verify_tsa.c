/* RFC 3161 time-stamp tokens: an unsigned signature-time-stamp attribute of
 * a CMS signature (imprint = hash of the signature value) or a document
 * time stamp (imprint = hash of the ByteRange). */
#include "verify_int.h"

#include <openssl/err.h>
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

void kyso_tst_check(const uint8_t *der, size_t der_len, const uint8_t *data, size_t data_len,
                    const uint8_t *digest, size_t digest_len, X509_STORE *store,
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
	bool imprint_ok = false;
	if (md != NULL && data != NULL && EVP_Digest(data, data_len, want, &wl, md, NULL))
		imprint_ok = true;
	else if (data == NULL && digest != NULL && digest_len <= sizeof(want)) {
		memcpy(want, digest, digest_len);
		wl = (unsigned)digest_len;
		imprint_ok = true;
	}
	imprint_ok = imprint_ok && (size_t)ASN1_STRING_length(h) == wl &&
	             memcmp(ASN1_STRING_get0_data(h), want, wl) == 0;
	if (!imprint_ok) {
		fail(out, "the time stamp is for other data (imprint mismatch)");
		goto out;
	}
	TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
	if (vc == NULL || !X509_STORE_up_ref(store)) {
		TS_VERIFY_CTX_free(vc);
		fail(out, "out of memory");
		goto out;
	}
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_SIGNATURE);
	TS_VERIFY_CTX_set_store(vc, store);
	if (TS_RESP_verify_token(vc, tok) == 1) {
		out->valid = true;
	} else {
		fail(out, "the time stamp's signature or TSA certificate is not valid");
	}
	TS_VERIFY_CTX_free(vc);
out:
	TS_TST_INFO_free(ti);
	PKCS7_free(tok);
}
