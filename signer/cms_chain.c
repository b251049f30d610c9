/* Certificates for the CMS: reading chain files, ordering the chain from the
 * signer up to its root, printing names. */
#include "sign_int.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

kyso_err_t kyso_cms_load_certs(const char *path, STACK_OF(X509) * out, kyso_error_t *err)
{
	BIO *b = BIO_new_file(path, "rb");
	if (b == NULL) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot read certificate file %s."),
		                      path);
	}
	int n = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			BIO_free(b);
			return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		}
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
		if (x != NULL && sk_X509_push(out, x))
			n++;
		else
			X509_free(x);
		ERR_clear_error();
	}
	BIO_free(b);
	if (n == 0)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("%s holds no certificate (PEM or DER)."), path);
	return KYSO_OK;
}

kyso_err_t kyso_cms_chain(X509 *signer, STACK_OF(X509) * pool, STACK_OF(X509) * *chain,
                          kyso_error_t *err)
{
	*chain = sk_X509_new_null();
	if (*chain == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	X509 *cur = signer;
	for (int depth = 0; depth < 10 && pool != NULL; depth++) {
		if (X509_check_issued(cur, cur) == X509_V_OK)
			break; /* self-signed: the root */
		X509 *issuer = NULL;
		for (int i = 0; i < sk_X509_num(pool) && issuer == NULL; i++) {
			X509 *c = sk_X509_value(pool, i);
			if (X509_cmp(c, cur) != 0 && X509_check_issued(c, cur) == X509_V_OK)
				issuer = c;
		}
		if (issuer == NULL)
			break;
		bool seen = false;
		for (int i = 0; i < sk_X509_num(*chain); i++)
			seen = seen || X509_cmp(sk_X509_value(*chain, i), issuer) == 0;
		if (seen)
			break;
		if (!X509_up_ref(issuer) || !sk_X509_push(*chain, issuer)) {
			sk_X509_pop_free(*chain, X509_free);
			*chain = NULL;
			return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		}
		cur = issuer;
	}
	return KYSO_OK;
}

void kyso_x509_name_line(const X509_NAME *name, char *buf, size_t cap)
{
	buf[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return;
	unsigned long flags = (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SEP_MASK) |
	                      XN_FLAG_SEP_CPLUS_SPC;
	if (X509_NAME_print_ex(b, name, 0, flags) >= 0) {
		char *data = NULL;
		long n = BIO_get_mem_data(b, &data);
		if (n > 0 && data != NULL) {
			size_t l = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
			memcpy(buf, data, l);
			buf[l] = '\0';
		}
	}
	BIO_free(b);
}
