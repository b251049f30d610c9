/* A certificate's standing at a time: validity period, chain to the trust
 * anchors kyso verifies with (kyso_verify_store), key usage for signing.
 * Revocation is not looked at here. */
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

static kyso_cert_status_t chain_status(X509 *x, time_t at, const kyso_verify_opts_t *o,
                                       const char *chain_file)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	X509_STORE *st = NULL;
	if (kyso_verify_store(o, &st, &err) != KYSO_OK)
		return KYSO_CERT_NO_CA;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	if (untrusted != NULL && chain_file != NULL &&
	    kyso_cms_load_certs(chain_file, untrusted, &err) != KYSO_OK)
		kyso_error_clear(&err); /* no intermediates: the chain may still build */
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	kyso_cert_status_t r = KYSO_CERT_NO_CA;
	if (ctx != NULL && X509_STORE_CTX_init(ctx, st, x, untrusted) == 1) {
		X509_STORE_CTX_set_time(ctx, 0, at);
		if (X509_verify_cert(ctx) == 1) {
			r = KYSO_CERT_OK;
		} else {
			int e = X509_STORE_CTX_get_error(ctx);
			r = e == X509_V_ERR_CERT_REVOKED ? KYSO_CERT_REVOKED : KYSO_CERT_UNTRUSTED;
		}
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(untrusted, X509_free);
	return r;
}

kyso_cert_status_t kyso_cert_check(const uint8_t *der, size_t len, time_t at,
                                   const kyso_verify_opts_t *o, const char *chain_file, bool trust)
{
	const unsigned char *q = der;
	X509 *x = der != NULL && len > 0 ? d2i_X509(NULL, &q, (long)len) : NULL;
	if (x == NULL || q != der + len) {
		X509_free(x);
		ERR_clear_error();
		return KYSO_CERT_BAD;
	}
	kyso_cert_status_t r = KYSO_CERT_OK;
	if (X509_cmp_time(X509_get0_notBefore(x), &at) > 0)
		r = KYSO_CERT_NOT_YET;
	else if (X509_cmp_time(X509_get0_notAfter(x), &at) < 0)
		r = KYSO_CERT_EXPIRED;
	if (r == KYSO_CERT_OK && trust) {
		uint32_t ku = X509_get_key_usage(x);
		if (ku != UINT32_MAX && (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
			r = KYSO_CERT_NO_SIGN_USAGE;
		else
			r = chain_status(x, at, o, chain_file);
	}
	X509_free(x);
	return r;
}
