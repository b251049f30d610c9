/* Signing a digest with the token's private key (libp11's EVP_PKEY: RSA
 * PKCS#1 v1.5 with DigestInfo through CKM_RSA_PKCS, ECDSA through CKM_ECDSA,
 * whose raw r||s libp11 returns as a DER ECDSA-Sig-Value), checked against
 * the certificate's public key before it is used. */
#include "p11_int.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>

size_t kyso_p11_sig_max_len(const kyso_p11_t *p)
{
	if (p->pub == NULL)
		return 0;
	int size = EVP_PKEY_get_size(p->pub); /* RSA: modulus; EC: max DER signature */
	return size > 0 ? (size_t)size : 0;
}

static kyso_err_t verify_with_cert(kyso_p11_t *p, const EVP_MD *md, const uint8_t *dgst,
                                   size_t dgst_len, const uint8_t *sig, size_t sig_len,
                                   kyso_error_t *err)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(p->pub, NULL);
	int ok = c != NULL && EVP_PKEY_verify_init(c) == 1;
	if (ok && EVP_PKEY_get_base_id(p->pub) == EVP_PKEY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_PKEY_CTX_set_signature_md(c, md) == 1;
	ok = ok && EVP_PKEY_verify(c, sig, sig_len, dgst, dgst_len) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	if (!ok)
		return kyso_error_set(err, KYSO_ERR_TOKEN,
		                      _("The token's signature does not match its certificate "
		                        "(wrong key for this certificate?)."));
	return KYSO_OK;
}

kyso_err_t kyso_p11_sign_digest(kyso_p11_t *p, const EVP_MD *md, const uint8_t *dgst,
                                size_t dgst_len, uint8_t *sig, size_t *sig_len, kyso_error_t *err)
{
	if (p->priv == NULL)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "sign before login");
	ERR_clear_error();
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(p->priv, NULL);
	int ok = c != NULL && EVP_PKEY_sign_init(c) == 1;
	if (ok && EVP_PKEY_get_base_id(p->priv) == EVP_PKEY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_PKEY_CTX_set_signature_md(c, md) == 1;
	size_t len = kyso_p11_sig_max_len(p);
	if (ok)
		ok = EVP_PKEY_sign(c, sig, &len, dgst, dgst_len) == 1;
	EVP_PKEY_CTX_free(c);
	if (!ok) {
		unsigned long ckr;
		kyso_err_t rc = kyso_p11_last_error(KYSO_ERR_TOKEN, &ckr);
		if (rc == KYSO_ERR_TOKEN_REMOVED)
			return kyso_error_set(err, rc,
			                      _("The token was removed while signing (CKR 0x%lX); "
			                        "nothing was written."),
			                      ckr);
		return kyso_error_set(err, rc, _("The token could not sign (CKR 0x%lX)."), ckr);
	}
	*sig_len = len;
	return verify_with_cert(p, md, dgst, dgst_len, sig, len, err);
}
