/* Certificates found on a token: parsed with OpenSSL, paired with key
 * objects by CKA_ID and by public key (RSA modulus / EC point). */
#include "mw_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static char *name_line(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return strdup("");
	X509_NAME_print_ex(b, n, 0,
	                   (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT);
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	char *s = malloc((size_t)len + 1);
	if (s != NULL) {
		memcpy(s, data, (size_t)len);
		s[len] = '\0';
	}
	BIO_free(b);
	if (s == NULL)
		return strdup("");
	return s;
}

static void public_key_bytes(EVP_PKEY *pk, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		BIGNUM *n = NULL;
		if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n))
			return;
		int nb = BN_num_bytes(n);
		*out = malloc((size_t)nb + 1);
		if (*out != NULL)
			*len = (size_t)BN_bn2bin(n, *out);
		BN_free(n);
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
		size_t need = 0;
		if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL,
		                                     0, &need) ||
		    need == 0)
			return;
		*out = malloc(need);
		if (*out != NULL &&
		    !EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, *out,
		                                     need, len)) {
			free(*out);
			*out = NULL;
			*len = 0;
		}
	}
}

void kyso_mw_cert_parse(struct kyso_p11_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x = c->der != NULL ? d2i_X509(NULL, &p, (long)c->der_len) : NULL;
	if (x == NULL) {
		c->subject = strdup("");
		c->issuer = strdup("");
		return;
	}
	c->subject = name_line(X509_get_subject_name(x));
	c->issuer = name_line(X509_get_issuer_name(x));
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(c->not_after, sizeof(c->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c->is_ca = X509_check_ca(x) > 0;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk != NULL)
		public_key_bytes(pk, &c->pub, &c->pub_len);
	X509_free(x);
}

/* Leading zero bytes do not count (modulus encodings differ). */
static bool same_number(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	while (al > 0 && *a == 0) {
		a++;
		al--;
	}
	while (bl > 0 && *b == 0) {
		b++;
		bl--;
	}
	return al == bl && memcmp(a, b, al) == 0;
}

static kyso_p11_pairing_t pair_one(const struct kyso_p11_cert *c, const struct kyso_p11_key *k)
{
	bool id = c->id_hex[0] != '\0' && strcmp(c->id_hex, k->id_hex) == 0;
	bool comparable = c->pub != NULL && k->pub != NULL;
	bool key = comparable && same_number(c->pub, c->pub_len, k->pub, k->pub_len);
	if (id && key)
		return KYSO_P11_PAIR_ID_AND_KEY;
	if (id && comparable)
		return KYSO_P11_PAIR_MISMATCH;
	if (id)
		return KYSO_P11_PAIR_ID_ONLY;
	if (key)
		return KYSO_P11_PAIR_KEY_ONLY;
	return KYSO_P11_PAIR_NONE;
}

/* Rank: prefer id+key, then key, then id; private keys before public ones. */
static int rank(kyso_p11_pairing_t p)
{
	switch (p) {
	case KYSO_P11_PAIR_ID_AND_KEY:
		return 4;
	case KYSO_P11_PAIR_KEY_ONLY:
		return 3;
	case KYSO_P11_PAIR_ID_ONLY:
		return 2;
	case KYSO_P11_PAIR_MISMATCH:
		return 1;
	case KYSO_P11_PAIR_NONE:
		return 0;
	}
	return 0;
}

void kyso_mw_pair_slot(struct kyso_p11_slot *s)
{
	for (size_t i = 0; i < s->ncerts; i++) {
		struct kyso_p11_cert *c = &s->certs[i];
		int best = 0;
		for (size_t j = 0; j < s->nkeys; j++) {
			kyso_p11_pairing_t p = pair_one(c, &s->keys[j]);
			int r = rank(p) * 2 + (s->keys[j].is_private ? 1 : 0);
			if (rank(p) > 0 && r > best) {
				best = r;
				c->pairing = p;
				c->key = &s->keys[j];
			}
		}
	}
}

const char *kyso_p11_pairing_id(kyso_p11_pairing_t p)
{
	switch (p) {
	case KYSO_P11_PAIR_NONE:
		return "none";
	case KYSO_P11_PAIR_ID_ONLY:
		return "id";
	case KYSO_P11_PAIR_KEY_ONLY:
		return "key";
	case KYSO_P11_PAIR_ID_AND_KEY:
		return "id+key";
	case KYSO_P11_PAIR_MISMATCH:
		return "mismatch";
	}
	return "none";
}

const kyso_p11_cert_t *kyso_p11_slot_signing_cert(const kyso_p11_slot_t *s)
{
	const kyso_p11_cert_t *any = NULL;
	for (size_t i = 0; i < s->ncerts; i++) {
		const struct kyso_p11_cert *c = &s->certs[i];
		bool paired =
		        c->pairing != KYSO_P11_PAIR_NONE && c->pairing != KYSO_P11_PAIR_MISMATCH;
		if (!paired)
			continue;
		if (!c->is_ca)
			return c;
		if (any == NULL)
			any = c;
	}
	return any;
}
