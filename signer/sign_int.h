/* Internal API of the signing half of kyso_signer: PKCS#11 token access
 * (libp11), PIN sources, CMS building and checking (OpenSSL). */
#ifndef KYSO_SIGNER_SIGN_INT_H
#define KYSO_SIGNER_SIGN_INT_H

#include "kyso_signer.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

/* ---- PKCS#11 token (p11_*.c) ------------------------------------------------ */

typedef struct kyso_p11 kyso_p11_t;


/* Loads the module, picks the token and the signing certificate. */
kyso_err_t kyso_p11_open(const kyso_token_sel_t *sel, kyso_p11_t **out, kyso_error_t *err);
void kyso_p11_free(kyso_p11_t **p);

const char *kyso_p11_token_label(const kyso_p11_t *p);
X509 *kyso_p11_cert(const kyso_p11_t *p); /* borrowed */
/* Every other certificate on the token (borrowed, may be empty). */
STACK_OF(X509) * kyso_p11_other_certs(const kyso_p11_t *p);
kyso_pin_tries_t kyso_p11_pin_tries(kyso_p11_t *p);
bool kyso_p11_has_pinpad(const kyso_p11_t *p);
bool kyso_p11_logged_in(kyso_p11_t *p);
/* Logs in (pin NULL with a PIN pad). Maps CKR_PIN_INCORRECT/LOCKED etc. */
kyso_err_t kyso_p11_login(kyso_p11_t *p, const char *pin, kyso_error_t *err);
/* Largest signature the key makes, DER-encoded (RSA: modulus bytes;
 * ECDSA: DER ECDSA-Sig-Value of the curve size). */
size_t kyso_p11_sig_max_len(const kyso_p11_t *p);
/* Signs a digest on the token: RSA PKCS#1 v1.5 with DigestInfo, or ECDSA
 * (DER-encoded). sig must hold kyso_p11_sig_max_len() bytes. */
kyso_err_t kyso_p11_sign_digest(kyso_p11_t *p, const EVP_MD *md, const uint8_t *dgst,
                                size_t dgst_len, uint8_t *sig, size_t *sig_len, kyso_error_t *err);
/* Maps the newest libp11 error (CKR code) to a kyso error. */
kyso_err_t kyso_p11_last_error(kyso_err_t fallback, unsigned long *ckr);

/* Checks the key type/size is one we sign with (RSA 2048-4096, EC P-256/P-384). */
kyso_err_t kyso_p11_check_key_type(EVP_PKEY *pub, kyso_error_t *err);

/* The token of an open signer (sign_pdf.c; for signer_api.c). */
kyso_p11_t *kyso_signer_p11(const kyso_signer_t *s);

/* ---- PIN (pin_*.c) -------------------------------------------------------- */

/* Gets the PIN for the request from the options' source: environment
 * variable, callback or kyso_dialog_run. The PIN is registered for redaction. */
kyso_err_t kyso_pin_get(const kyso_sign_opts_t *o, const kyso_pin_request_t *req, char *pin,
                        size_t cap, kyso_error_t *err);
/* The Vietnamese/English description naming the token and the tries left
 * (written into buf). */
void kyso_pin_describe(const kyso_pin_request_t *req, char *buf, size_t cap);
/* "Few tries left" etc. for error messages; "" when nothing is known. */
const char *kyso_pin_tries_text(kyso_pin_tries_t t);

/* ---- CMS (cms_*.c) ------------------------------------------------------------ */

/* The signature function: signs a digest (of the signed attributes). */
typedef kyso_err_t (*kyso_cms_sign_fn)(void *ctx, const EVP_MD *md, const uint8_t *dgst,
                                       size_t dgst_len, uint8_t *sig, size_t *sig_len,
                                       kyso_error_t *err);

typedef struct {
	X509 *cert;             /* signer */
	STACK_OF(X509) * chain; /* the rest of the chain, in order (may be NULL) */
	const EVP_MD *md;
	size_t sig_max_len;    /* largest signature value */
	kyso_cms_sign_fn sign; /* NULL: a dummy signature of sig_max_len bytes */
	void *sign_ctx;
	/* Optional (PAdES B-T): gets a time-stamp token (DER) over the signature
	 * value, added as the signature-time-stamp unsigned attribute. Called only
	 * with a real sign function. KYSO_ERR_UNSUPPORTED from it: no attribute. */
	kyso_err_t (*timestamp)(void *ctx, const EVP_MD *md, const uint8_t *sig, size_t sig_len,
	                        kyso_buf_t *token, kyso_error_t *err);
	void *timestamp_ctx;
} kyso_cms_signer_t;

/* DER SignedData (detached) over content whose digest is content_digest:
 * signed attributes content-type, message-digest, signing-certificate-v2;
 * no signing-time. */
kyso_err_t kyso_cms_build(const kyso_cms_signer_t *s, const uint8_t *content_digest,
                          size_t digest_len, kyso_buf_t *der, kyso_error_t *err);
/* Upper bound of kyso_cms_build()'s output for this signer (builds once with
 * a dummy signature of the largest size). */
kyso_err_t kyso_cms_size(const kyso_cms_signer_t *s, size_t *size, kyso_error_t *err);
/* Orders chain certificates from the signer up to a root, taking the issuers
 * from pool. *chain gets new references (without the signer). */
kyso_err_t kyso_cms_chain(X509 *signer, STACK_OF(X509) * pool, STACK_OF(X509) * *chain,
                          kyso_error_t *err);
/* Reads certificates (PEM, several, or one DER) from a file into *out. */
kyso_err_t kyso_cms_load_certs(const char *path, STACK_OF(X509) * out, kyso_error_t *err);

/* A certificate's subject as one UTF-8 line ("CN=..., O=..."). */
void kyso_x509_name_line(const X509_NAME *name, char *buf, size_t cap);

const EVP_MD *kyso_digest_md(kyso_digest_t d);

#endif
