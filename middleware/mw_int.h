/* Private declarations of kyso_middleware. */
#ifndef KYSO_MW_INT_H
#define KYSO_MW_INT_H

#include "kyso_middleware.h"

#include <p11-kit/pkcs11.h>

struct kyso_p11_key {
	bool is_private;
	char *id_hex;
	char *label;
	char type[8];
	uint8_t *pub; /* RSA modulus or EC point (raw), NULL when not readable */
	size_t pub_len;
};

struct kyso_p11_cert {
	char *id_hex;
	char *label;
	char *subject;
	char *issuer;
	char not_after[32];
	bool is_ca;
	uint8_t *der;
	size_t der_len;
	uint8_t *pub; /* RSA modulus or EC point of the certificate's key */
	size_t pub_len;
	kyso_p11_pairing_t pairing;
	const struct kyso_p11_key *key;
};

struct kyso_p11_slot {
	unsigned long id;
	char description[65];
	bool present;
	char label[33], manufacturer[33], model[17], serial[17];
	unsigned flags;
	char *objects_error;
	struct kyso_p11_cert *certs;
	size_t ncerts;
	struct kyso_p11_key *keys;
	size_t nkeys;
};

struct kyso_p11_probe {
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR fl;
	bool initialised; /* we called C_Initialize and must finalise */
	char manufacturer[33], description[33];
	char cryptoki_version[16], library_version[16];
	struct kyso_p11_slot *slots;
	size_t nslots;
};

/* Copies a blank-padded PKCS#11 string into dst (NUL-terminated, trimmed). */
void kyso_mw_p11_string(char *dst, size_t cap, const CK_UTF8CHAR *src, size_t len);
/* Name of a CKR_ value ("CKR_PIN_LOCKED" or "0x..."). */
const char *kyso_mw_ckr_name(CK_RV rv, char *buf, size_t cap);
/* Certificate fields from its DER (subject, issuer, notAfter, CA, public key). */
void kyso_mw_cert_parse(struct kyso_p11_cert *c);
/* Pairs every certificate of the slot with its key objects. */
void kyso_mw_pair_slot(struct kyso_p11_slot *s);

#endif
