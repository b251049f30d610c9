/* What the token, certificate and signing files of the signer share (below
 * all three): libp11's error as a kyso error, the chosen token's accessors,
 * the key types kyso signs with. */
#include "p11_int.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <string.h>

kyso_err_t kyso_p11_last_error(kyso_err_t fallback, unsigned long *ckr_out)
{
	unsigned long e, ckr = 0;
	int lib = ERR_get_CKR_code();
	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == lib)
			ckr = (unsigned long)ERR_GET_REASON(e);
	if (ckr_out != NULL)
		*ckr_out = ckr;
	switch (ckr) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return KYSO_ERR_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
	case CKR_PIN_EXPIRED:
		return KYSO_ERR_PIN_LOCKED;
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_SESSION_CLOSED:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SLOT_ID_INVALID:
		return KYSO_ERR_TOKEN_REMOVED;
	case CKR_FUNCTION_CANCELED:
		return KYSO_ERR_PIN_CANCELLED;
	case 0:
		return fallback;
	default:
		return fallback == KYSO_OK ? KYSO_ERR_TOKEN : fallback;
	}
}

const char *kyso_p11_token_label(const kyso_p11_t *p)
{
	return p->label != NULL ? p->label : "";
}

X509 *kyso_p11_cert(const kyso_p11_t *p)
{
	return p->x509;
}

STACK_OF(X509) * kyso_p11_other_certs(const kyso_p11_t *p)
{
	return p->others;
}

kyso_err_t kyso_p11_check_key_type(EVP_PKEY *pub, kyso_error_t *err)
{
	int bits = EVP_PKEY_get_bits(pub);
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		if (bits < 2048 || bits > 4096)
			return kyso_error_set(
			        err, KYSO_ERR_TOKEN,
			        _("RSA keys of %d bits are not supported (2048 to 4096)."), bits);
		return KYSO_OK;
	case EVP_PKEY_EC: {
		char curve[64] = "";
		size_t len = 0;
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve,
		                                   sizeof(curve), &len) != 1)
			curve[0] = '\0';
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0 ||
		    strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			return KYSO_OK;
		return kyso_error_set(err, KYSO_ERR_TOKEN,
		                      _("EC curve \"%s\" is not supported (P-256, P-384)."), curve);
	}
	default:
		return kyso_error_set(err, KYSO_ERR_TOKEN,
		                      _("The key type of the certificate is not supported "
		                        "(RSA or ECDSA only)."));
	}
}
