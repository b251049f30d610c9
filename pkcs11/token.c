/* Reading a token's PKCS#15 structures and making PKCS#11 objects of them. */
#include "token.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

const struct p11_attr *obj_attr(const struct p11_object *o, CK_ATTRIBUTE_TYPE type)
{
	for (size_t i = 0; i < o->n_attrs; i++) {
		if (o->attrs[i].type == type)
			return &o->attrs[i];
	}
	return NULL;
}

static int add(struct p11_object *o, CK_ATTRIBUTE_TYPE type, const void *v, size_t len)
{
	if (o->n_attrs >= OBJ_MAX_ATTRS)
		return -1;
	struct p11_attr *a = &o->attrs[o->n_attrs];
	a->val = malloc(len > 0 ? len : 1);
	if (a->val == NULL)
		return -1;
	if (len > 0)
		memcpy(a->val, v, len);
	a->type = type;
	a->len = len;
	o->n_attrs++;
	return 0;
}

static int add_ulong(struct p11_object *o, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	return add(o, type, &v, sizeof(v));
}

static int add_bool(struct p11_object *o, CK_ATTRIBUTE_TYPE type, CK_BBOOL v)
{
	return add(o, type, &v, sizeof(v));
}

/* i2d_* result into an attribute. */
static int add_der(struct p11_object *o, CK_ATTRIBUTE_TYPE type, uint8_t *der, int len)
{
	if (len <= 0 || der == NULL)
		return -1;
	int rc = add(o, type, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

static int add_bn(struct p11_object *o, CK_ATTRIBUTE_TYPE type, const EVP_PKEY *pk,
                  const char *name, size_t *len_out)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return -1;
	int n = BN_num_bytes(bn);
	if (n <= 0 || n > (int)sizeof(buf) || BN_bn2bin(bn, buf) != n) {
		BN_free(bn);
		return -1;
	}
	BN_free(bn);
	if (len_out != NULL)
		*len_out = (size_t)n;
	return add(o, type, buf, (size_t)n);
}

static void obj_clear(struct p11_object *o)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		free(o->attrs[i].val);
	memset(o, 0, sizeof(*o));
}

void token_free(struct token *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_objs; i++)
		obj_clear(&t->objs[i]);
	free(t);
}

static enum card_rv try_aid(struct card *c, const struct card_profile *p, int *ok)
{
	uint16_t sw = 0;
	enum card_rv r = card_select_aid(c, p->aid, p->aid_len, &sw);
	*ok = r == CARD_OK && sw == 0x9000;
	return r;
}

enum card_rv token_identify(struct card *c, const struct card_profile **prof)
{
	const struct card_profile *p = profile_by_atr(c->atr, c->atr_len);
	enum card_rv r;
	int ok = 0;

	*prof = NULL;
	/* The ATR names a candidate; its application must answer in any case. */
	if (p != NULL) {
		r = try_aid(c, p, &ok);
		if (r != CARD_OK || ok) {
			*prof = ok ? p : NULL;
			return r;
		}
	}
	for (size_t i = 0; (p = profile_at(i)) != NULL; i++) {
		r = try_aid(c, p, &ok);
		if (r != CARD_OK || ok) {
			*prof = ok ? p : NULL;
			return r;
		}
	}
	return CARD_OK;
}

/* Read one EF; *data is NULL when the card says it does not exist. */
static enum card_rv read_ef(struct card *c, const struct token *t, uint16_t fid, uint8_t **data,
                            size_t *len)
{
	uint16_t sw = 0;
	enum card_rv r = card_read_ef(c, fid, t->prof->read_chunk, data, len, &sw);
	if (r == CARD_OK && sw != 0x9000) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return r;
}

static void pin_rules(struct token *t, const uint8_t *aodf, size_t len)
{
	const struct card_profile *p = t->prof;
	struct p15_pin pin;
	t->pin.ref = p->pin_ref;
	t->pin.min_len = p->pin_min;
	t->pin.max_len = p->pin_max;
	t->pin.stored_len = p->pin_stored;
	t->pin.pad = p->pin_pad;
	t->pin.max_tries = p->pin_tries;
	if (aodf == NULL || p15_parse_aodf(aodf, len, &pin) != 0 || !pin.found)
		return;
	if (pin.reference >= 0)
		t->pin.ref = (uint8_t)pin.reference;
	if (pin.min_len > 0 && pin.min_len <= 64)
		t->pin.min_len = pin.min_len;
	if (pin.max_len >= t->pin.min_len && pin.max_len <= 64)
		t->pin.max_len = pin.max_len;
	if (pin.stored_len > 0 && pin.stored_len <= 64)
		t->pin.stored_len = pin.stored_len;
	if (pin.pad_char >= 0)
		t->pin.pad = pin.pad_char;
	else if (!pin.needs_padding)
		t->pin.pad = -1;
}

size_t token_pin_block(const struct token *t, const uint8_t *pin, size_t len, uint8_t *out,
                       size_t cap)
{
	size_t n = len;
	if (len < t->pin.min_len || len > t->pin.max_len || len > cap)
		return 0;
	/* Pad to storedLength; a PIN longer than that is sent as it is. */
	if (t->pin.pad >= 0 && n < t->pin.stored_len)
		n = t->pin.stored_len;
	if (n > cap)
		return 0;
	memset(out, t->pin.pad >= 0 ? t->pin.pad : 0, n);
	memcpy(out, pin, len);
	return n;
}

static int cert_object(struct p11_object *o, const struct p15_cert *e, const uint8_t *der,
                       size_t len, X509 *x)
{
	CK_ULONG category = e->authority ? 2 : 1; /* authority : token user */
	int rc = 0;
	o->cls = CKO_CERTIFICATE;
	rc |= add_ulong(o, CKA_CLASS, CKO_CERTIFICATE);
	rc |= add_bool(o, CKA_TOKEN, yes);
	rc |= add_bool(o, CKA_PRIVATE, no);
	rc |= add_bool(o, CKA_MODIFIABLE, no);
	rc |= add(o, CKA_LABEL, e->label, strlen(e->label));
	rc |= add(o, CKA_ID, e->id, e->id_len);
	rc |= add_ulong(o, CKA_CERTIFICATE_TYPE, CKC_X_509);
	rc |= add_ulong(o, CKA_CERTIFICATE_CATEGORY, category);
	rc |= add_bool(o, CKA_TRUSTED, no);
	rc |= add(o, CKA_VALUE, der, len);
	uint8_t *d = NULL;
	int n = i2d_X509_NAME(X509_get_subject_name(x), &d);
	rc |= add_der(o, CKA_SUBJECT, d, n);
	d = NULL;
	n = i2d_X509_NAME(X509_get_issuer_name(x), &d);
	rc |= add_der(o, CKA_ISSUER, d, n);
	d = NULL;
	n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &d);
	rc |= add_der(o, CKA_SERIAL_NUMBER, d, n);
	return rc == 0 ? 0 : -1;
}

static int key_common(struct p11_object *o, const struct p15_key *k, X509 *x, CK_OBJECT_CLASS cls)
{
	int rc = 0;
	o->cls = cls;
	rc |= add_ulong(o, CKA_CLASS, cls);
	rc |= add_ulong(o, CKA_KEY_TYPE, CKK_RSA);
	rc |= add_bool(o, CKA_TOKEN, yes);
	rc |= add_bool(o, CKA_MODIFIABLE, no);
	rc |= add_bool(o, CKA_DERIVE, no);
	rc |= add_bool(o, CKA_LOCAL, no);
	rc |= add(o, CKA_LABEL, k->label, strlen(k->label));
	rc |= add(o, CKA_ID, k->id, k->id_len);
	o->mod_len = (k->bits + 7) / 8;
	if (x != NULL) {
		EVP_PKEY *pk = X509_get0_pubkey(x);
		uint8_t *d = NULL;
		int n = i2d_X509_NAME(X509_get_subject_name(x), &d);
		rc |= add_der(o, CKA_SUBJECT, d, n);
		if (pk == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA)
			return -1;
		rc |= add_bn(o, CKA_MODULUS, pk, "n", &o->mod_len);
		rc |= add_bn(o, CKA_PUBLIC_EXPONENT, pk, "e", NULL);
	}
	return rc == 0 ? 0 : -1;
}

static int private_key_object(struct p11_object *o, const struct token *t, const struct p15_key *k,
                              X509 *x)
{
	int rc = key_common(o, k, x, CKO_PRIVATE_KEY);
	o->private = 1;
	o->key_ref =
	        k->key_ref >= 0 ? (uint8_t)(t->prof->key_ref_or | k->key_ref) : t->prof->key_ref;
	rc |= add_bool(o, CKA_PRIVATE, yes);
	rc |= add_bool(o, CKA_SIGN, yes);
	rc |= add_bool(o, CKA_SIGN_RECOVER, no);
	rc |= add_bool(o, CKA_DECRYPT, no);
	rc |= add_bool(o, CKA_UNWRAP, no);
	rc |= add_bool(o, CKA_SENSITIVE, yes);
	rc |= add_bool(o, CKA_EXTRACTABLE, no);
	rc |= add_bool(o, CKA_ALWAYS_SENSITIVE, yes);
	rc |= add_bool(o, CKA_NEVER_EXTRACTABLE, yes);
	rc |= add_bool(o, CKA_ALWAYS_AUTHENTICATE, no);
	rc |= add_bool(o, CKA_WRAP_WITH_TRUSTED, no);
	rc |= add_ulong(o, CKA_MODULUS_BITS, (CK_ULONG)(o->mod_len * 8));
	return rc == 0 && o->mod_len > 0 ? 0 : -1;
}

static int public_key_object(struct p11_object *o, const struct p15_key *k, X509 *x)
{
	int rc = key_common(o, k, x, CKO_PUBLIC_KEY);
	CK_ULONG bits = (CK_ULONG)(o->mod_len * 8);
	rc |= add_bool(o, CKA_PRIVATE, no);
	rc |= add_bool(o, CKA_VERIFY, yes);
	rc |= add_bool(o, CKA_VERIFY_RECOVER, no);
	rc |= add_bool(o, CKA_ENCRYPT, no);
	rc |= add_bool(o, CKA_WRAP, no);
	rc |= add_bool(o, CKA_TRUSTED, no);
	rc |= add_ulong(o, CKA_MODULUS_BITS, bits);
	return rc == 0 ? 0 : -1;
}

struct loaded_cert {
	struct p15_cert entry;
	X509 *x;
};

static enum card_rv load_certs(struct card *c, struct token *t, uint16_t cdf_fid,
                               struct loaded_cert *lc, size_t *n_lc)
{
	struct p15_cert entries[P15_MAX_CERTS];
	size_t n = 0;
	uint8_t *cdf = NULL;
	size_t len = 0;
	enum card_rv r = read_ef(c, t, cdf_fid, &cdf, &len);
	*n_lc = 0;
	if (r != CARD_OK || cdf == NULL)
		return r;
	if (p15_parse_cdf(cdf, len, entries, P15_MAX_CERTS, &n) != 0)
		n = 0;
	free(cdf);
	for (size_t i = 0; i < n && t->n_objs < TOKEN_MAX_OBJECTS; i++) {
		uint8_t *file = NULL, *der = NULL;
		size_t flen = 0, dlen = 0;
		r = read_ef(c, t, entries[i].fid, &file, &flen);
		if (r != CARD_OK)
			return r;
		if (file == NULL || p15_cert_decode(file, flen, &der, &dlen) != 0) {
			free(file);
			continue; /* a certificate we cannot read is left out */
		}
		free(file);
		const uint8_t *p = der;
		X509 *x = d2i_X509(NULL, &p, (long)dlen);
		if (x != NULL && cert_object(&t->objs[t->n_objs], &entries[i], der, dlen, x) == 0) {
			t->n_objs++;
			lc[*n_lc].entry = entries[i];
			lc[*n_lc].x = x;
			(*n_lc)++;
		} else {
			obj_clear(&t->objs[t->n_objs]);
			X509_free(x);
		}
		free(der);
	}
	return CARD_OK;
}

static X509 *cert_for_key(const struct loaded_cert *lc, size_t n, const struct p15_key *k)
{
	for (size_t i = 0; i < n; i++) {
		if (lc[i].entry.id_len == k->id_len &&
		    memcmp(lc[i].entry.id, k->id, k->id_len) == 0)
			return lc[i].x;
	}
	return NULL;
}

static enum card_rv load_keys(struct card *c, struct token *t, uint16_t prkdf_fid,
                              const struct loaded_cert *lc, size_t n_lc)
{
	struct p15_key keys[P15_MAX_KEYS];
	size_t n = 0;
	uint8_t *d = NULL;
	size_t len = 0;
	enum card_rv r = read_ef(c, t, prkdf_fid, &d, &len);
	if (r != CARD_OK || d == NULL)
		return r;
	if (p15_parse_prkdf(d, len, keys, P15_MAX_KEYS, &n) != 0)
		n = 0;
	free(d);
	for (size_t i = 0; i < n && t->n_objs + 2 <= TOKEN_MAX_OBJECTS; i++) {
		X509 *x = cert_for_key(lc, n_lc, &keys[i]);
		if (x == NULL && keys[i].bits == 0)
			continue; /* no way to tell the key size */
		if (private_key_object(&t->objs[t->n_objs], t, &keys[i], x) != 0) {
			obj_clear(&t->objs[t->n_objs]);
			continue;
		}
		t->n_objs++;
		if (x != NULL) {
			if (public_key_object(&t->objs[t->n_objs], &keys[i], x) == 0)
				t->n_objs++;
			else
				obj_clear(&t->objs[t->n_objs]);
		}
	}
	return CARD_OK;
}

enum card_rv token_load(struct card *c, const struct card_profile *prof, struct token **out)
{
	struct loaded_cert lc[P15_MAX_CERTS];
	size_t n_lc = 0;
	struct p15_odf odf = {0, 0, 0};
	uint8_t *d = NULL;
	size_t len = 0;
	uint16_t sw = 0;
	enum card_rv r;
	struct token *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return CARD_ERROR;
	t->prof = prof;
	r = card_select_aid(c, prof->aid, prof->aid_len, &sw);
	if (r == CARD_OK && sw != 0x9000)
		r = CARD_ERROR;
	if (r == CARD_OK)
		r = read_ef(c, t, prof->odf, &d, &len);
	if (r == CARD_OK && d != NULL && p15_parse_odf(d, len, &odf) != 0)
		memset(&odf, 0, sizeof(odf));
	free(d);
	d = NULL;
	if (r == CARD_OK)
		r = read_ef(c, t, prof->tokeninfo, &d, &len);
	if (r == CARD_OK && d != NULL && p15_parse_tokeninfo(d, len, &t->info) != 0)
		memset(&t->info, 0, sizeof(t->info));
	free(d);
	d = NULL;
	if (r == CARD_OK)
		r = read_ef(c, t, odf.aodf ? odf.aodf : prof->aodf, &d, &len);
	if (r == CARD_OK)
		pin_rules(t, d, len);
	free(d);
	if (r == CARD_OK)
		r = load_certs(c, t, odf.cdf ? odf.cdf : prof->cdf, lc, &n_lc);
	if (r == CARD_OK)
		r = load_keys(c, t, odf.prkdf ? odf.prkdf : prof->prkdf, lc, n_lc);
	for (size_t i = 0; i < n_lc; i++)
		X509_free(lc[i].x);
	if (r != CARD_OK) {
		token_free(t);
		return r;
	}
	*out = t;
	return CARD_OK;
}
