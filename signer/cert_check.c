/* A certificate's standing at a time: validity period, chain to the trust
 * anchors kyso verifies documents with (kyso_trust.h), key usage for signing.
 * Revocation is not looked at here. */
#include "kyso_trust.h"
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

static kyso_cert_status_t chain_status(X509 *x, time_t at, const kyso_verify_opts_t *o,
                                       const char *chain_file)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_trust_opts_t to = {o->ca_files, o->no_system_anchors, o->system_ca};
	kyso_trust_t *t = kyso_trust_new(&to, &err);
	if (t == NULL)
		return KYSO_CERT_NO_CA;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	if (untrusted != NULL && chain_file != NULL &&
	    kyso_cms_load_certs(chain_file, untrusted, &err) != KYSO_OK)
		kyso_error_clear(&err); /* no intermediates: the chain may still build */
	kyso_trust_result_t r;
	memset(&r, 0, sizeof(r));
	kyso_trust_verify(t, x, untrusted, at, &r);
	kyso_cert_status_t st = r.ok && !r.local_agent_ca            ? KYSO_CERT_OK
	                        : r.error == X509_V_ERR_CERT_REVOKED ? KYSO_CERT_REVOKED
	                                                             : KYSO_CERT_UNTRUSTED;
	kyso_trust_result_clear(&r);
	ERR_clear_error();
	kyso_trust_free(&t);
	sk_X509_pop_free(untrusted, X509_free);
	return st;
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
