/* Private state of the PKCS#11 token access (p11_*.c). */
#ifndef KYSO_SIGNER_P11_INT_H
#define KYSO_SIGNER_P11_INT_H

#include "sign_int.h"

#include <libp11.h>
#include <p11-kit/pkcs11.h>

struct kyso_p11 {
	char *module;
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot; /* chosen slot (in slots) */
	unsigned long slot_id;
	PKCS11_CERT *cert;       /* chosen certificate (owned by libp11) */
	X509 *x509;              /* its certificate (own reference) */
	STACK_OF(X509) * others; /* other certificates on the token */
	EVP_PKEY *pub;           /* signer public key (own reference) */
	EVP_PKEY *priv;          /* private key through libp11, after login */
	char *label;
	/* the module's own function list, for C_GetTokenInfo (fresh PIN flags) */
	void *dl;
	CK_FUNCTION_LIST_PTR fl;
};


/* Certificate choice among the tokens (p11_cert.c). */
bool kyso_p11_cert_is_signing(X509 *x);
kyso_err_t kyso_p11_pick_cert(kyso_p11_t *p, const kyso_token_sel_t *sel, kyso_error_t *err);
/* Finds the private key of the chosen certificate (after login). */
kyso_err_t kyso_p11_find_private_key(kyso_p11_t *p, kyso_error_t *err);

#endif
