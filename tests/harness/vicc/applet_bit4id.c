/*
 * Emulation of the applet on the government "USB Token Bit4ID" (Bit4id
 * TokenME EVO v2, IAS-ECC "ChipDoc"), as far as a public field report measured
 * it (docs/tokens/bit4id-tokenme-evo.md lists what is measured and what is our
 * assumption):
 *   SELECT by AID E828BD080FD25047656E65726963 (other AIDs: 6A82), then EFs by
 *   file id under it: ODF 5031, TokenInfo 5032, AODF 7001, PrKDF 7002, CDF 7005,
 *   certificates 0003 (signer), 0002 and 0001 (CA chain), stored compressed;
 *   READ BINARY hands out at most 231 bytes per command; DF files are padded
 *   with zero bytes;
 *   VERIFY P2=01 with the PIN padded with FF to 8 bytes (shorter: 6A80), an
 *   empty VERIFY answers the tries left (63Cx) or 6983 when locked; 3 tries;
 *   MSE SET 41 B6 with algorithm 80 01 8A (others: 6A80) and key 84 01 81;
 *   PSO: COMPUTE DIGITAL SIGNATURE 9E 9A pads its input (the caller's full
 *   DigestInfo) with PKCS#1 v1.5 type 1 and signs it with the key given as a
 *   PEM file; input longer than the modulus allows: 6A80.
 *
 * Options (--applet-opt KEY=VALUE):
 *   key=PEM     signer private key (RSA)             (required)
 *   cert=FILE   signer certificate, PEM or DER        (required)
 *   ca=FILE     CA certificate, repeatable: first goes to EF 0002, second to 0001
 *   pin=PIN     user PIN (default 1234)
 *   tries=N     PIN tries left at start (default 3; 0 = locked)
 *   cdf=FID     move the CDF to another file id (the ODF points to it)
 *   compress=0  store certificates as plain DER instead of compressed
 * The environment variables KYSO_BIT4ID_KEY and KYSO_BIT4ID_CERT are used
 * when key= or cert= is not given.
 */
#include "vicc_applet.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define B4_MAX_FILES  12
#define B4_MAX_CA     2
#define B4_READ_MAX   231
#define B4_PIN_MAX    16
#define B4_PIN_STORED 8
#define B4_TRIES      3
#define B4_ALG_REF    0x8A
#define B4_KEY_REF    0x81
#define B4_PIN_REF    0x01

#define SW_END_OF_FILE       0x6282
#define SW_WRONG_DATA        0x6A80
#define SW_REF_NOT_FOUND     0x6A88
#define SW_WRONG_OFFSET      0x6B00
#define SW_SEC_NOT_SATISFIED 0x6982
#define SW_PIN_BLOCKED       0x6983
#define SW_NO_EF             0x6986

static const uint8_t b4_aid[] = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xD2, 0x50,
                                 0x47, 0x65, 0x6E, 0x65, 0x72, 0x69, 0x63};

struct b4_file {
	uint16_t fid;
	uint8_t *data;
	size_t len;
};

/* A growable byte string used to build the PKCS#15 files. */
struct b4_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int failed;
};

struct b4_card {
	struct b4_file files[B4_MAX_FILES];
	size_t n_files;
	EVP_PKEY *key;
	uint8_t pin[B4_PIN_MAX];
	size_t pin_len;
	int tries;
	/* volatile state */
	int app_selected;
	const struct b4_file *ef;
	int verified;
	int mse_ok;
	struct vicc_pending pending;
};

/* ---- byte strings and DER building ---- */

static void buf_put(struct b4_buf *b, const void *v, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->cap + len) * 2 + 64;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->len, v, len);
	b->len += len;
}

static void buf_byte(struct b4_buf *b, uint8_t v)
{
	buf_put(b, &v, 1);
}

static void der_len(struct b4_buf *b, size_t len)
{
	if (len < 0x80) {
		buf_byte(b, (uint8_t)len);
	} else if (len < 0x100) {
		buf_byte(b, 0x81);
		buf_byte(b, (uint8_t)len);
	} else {
		buf_byte(b, 0x82);
		buf_byte(b, (uint8_t)(len >> 8));
		buf_byte(b, (uint8_t)len);
	}
}

/* Append tag + length + value. */
static void der(struct b4_buf *b, uint8_t tag, const void *v, size_t len)
{
	buf_byte(b, tag);
	der_len(b, len);
	buf_put(b, v, len);
}

/* Append tag wrapping the contents of inner, and free inner. */
static void der_wrap(struct b4_buf *b, uint8_t tag, struct b4_buf *inner)
{
	if (inner->failed)
		b->failed = 1;
	der(b, tag, inner->p, inner->len);
	free(inner->p);
	memset(inner, 0, sizeof(*inner));
}

static void der_int(struct b4_buf *b, uint8_t tag, unsigned v)
{
	uint8_t tmp[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	size_t i = 0;
	while (i < 2 && tmp[i] == 0 && (tmp[i + 1] & 0x80) == 0)
		i++;
	der(b, tag, tmp + i, 3 - i);
}

static void der_path(struct b4_buf *b, uint16_t fid)
{
	uint8_t p[2] = {(uint8_t)(fid >> 8), (uint8_t)fid};
	struct b4_buf path = {0};
	der(&path, 0x04, p, 2);
	der_wrap(b, 0x30, &path);
}

/* ---- files ---- */

static int add_file(struct b4_card *c, uint16_t fid, struct b4_buf *content, size_t pad_to)
{
	if (content->failed || c->n_files >= B4_MAX_FILES)
		return -1;
	/* Files have a fixed allocated size; the unused tail reads as zeros. */
	while (pad_to > 0 && content->len % pad_to != 0)
		buf_byte(content, 0x00);
	if (content->failed)
		return -1;
	c->files[c->n_files].fid = fid;
	c->files[c->n_files].data = content->p;
	c->files[c->n_files].len = content->len;
	c->n_files++;
	memset(content, 0, sizeof(*content));
	return 0;
}

static const struct b4_file *find_file(const struct b4_card *c, const uint8_t *fid)
{
	uint16_t id = (uint16_t)(fid[0] << 8 | fid[1]);
	for (size_t i = 0; i < c->n_files; i++) {
		if (c->files[i].fid == id)
			return &c->files[i];
	}
	return NULL;
}

/* Certificate file: 01 00, uncompressed length (2 bytes, little endian), zlib stream. */
static int cert_file(struct b4_card *c, uint16_t fid, const uint8_t *der_cert, size_t len,
                     int compress)
{
	struct b4_buf f = {0};
	if (!compress) {
		buf_put(&f, der_cert, len);
		return add_file(c, fid, &f, 64);
	}
	uLongf zlen = compressBound((uLong)len);
	uint8_t *z = malloc(zlen);
	if (z == NULL || len > 0xFFFF || compress2(z, &zlen, der_cert, (uLong)len, 9) != Z_OK) {
		free(z);
		return -1;
	}
	uint8_t hdr[4] = {0x01, 0x00, (uint8_t)len, (uint8_t)(len >> 8)};
	buf_put(&f, hdr, sizeof(hdr));
	buf_put(&f, z, zlen);
	free(z);
	return add_file(c, fid, &f, 64);
}

static void common_attrs(struct b4_buf *obj, const char *label, uint8_t flags, int with_auth)
{
	struct b4_buf coa = {0};
	/* CommonObjectFlags: private (bit 0), modifiable (bit 1); 6 unused bits */
	uint8_t flag_bits[2] = {0x06, flags};
	uint8_t no_flags = 0x00;
	uint8_t auth_id = 0x01;
	der(&coa, 0x0C, label, strlen(label));
	if (flags != 0)
		der(&coa, 0x03, flag_bits, 2);
	else
		der(&coa, 0x03, &no_flags, 1);
	if (with_auth)
		der(&coa, 0x04, &auth_id, 1);
	der_wrap(obj, 0x30, &coa);
}

static void cdf_entry(struct b4_buf *cdf, const char *label, const uint8_t *id, size_t id_len,
                      int authority, uint16_t fid)
{
	struct b4_buf obj = {0}, cca = {0}, type = {0}, x509 = {0};
	uint8_t yes = 0xFF;
	common_attrs(&obj, label, 0, 0);
	der(&cca, 0x04, id, id_len);
	if (authority)
		der(&cca, 0x01, &yes, 1);
	der_wrap(&obj, 0x30, &cca);
	der_path(&x509, fid);
	der_wrap(&type, 0x30, &x509);
	der_wrap(&obj, 0xA1, &type);
	der_wrap(cdf, 0x30, &obj);
}

static int build_prkdf(struct b4_card *c, const uint8_t *id, size_t id_len, unsigned bits)
{
	struct b4_buf f = {0}, obj = {0}, cka = {0}, type = {0}, rsa = {0};
	/* usage: sign (bit 2) and nonRepudiation (bit 9) */
	uint8_t usage[3] = {0x06, 0x20, 0x40};
	/* accessFlags: sensitive, alwaysSensitive, neverExtractable, local */
	uint8_t access[2] = {0x03, 0xB8};
	common_attrs(&obj, "Signature key", 0x80, 1);
	der(&cka, 0x04, id, id_len);
	der(&cka, 0x03, usage, sizeof(usage));
	der(&cka, 0x03, access, sizeof(access));
	der_int(&cka, 0x02, B4_KEY_REF & 0x7F); /* the card's own key id; MSE uses 0x80 | id */
	der_wrap(&obj, 0x30, &cka);
	der_path(&rsa, 0x7002);
	der_int(&rsa, 0x02, bits);
	der_wrap(&type, 0x30, &rsa);
	der_wrap(&obj, 0xA1, &type);
	der_wrap(&f, 0x30, &obj);
	return add_file(c, 0x7002, &f, 256);
}

static int build_aodf(struct b4_card *c)
{
	struct b4_buf f = {0}, obj = {0}, caa = {0}, type = {0}, pin = {0};
	/* pinFlags: local, initialized, needs-padding */
	uint8_t flags[2] = {0x02, 0x4C};                     /* bits 1, 4, 5 */
	uint8_t auth_id = 0x01, pad = 0xFF, pin_type = 0x02; /* utf8 */
	common_attrs(&obj, "User PIN", 0x00, 0);
	der(&caa, 0x04, &auth_id, 1);
	der_wrap(&obj, 0x30, &caa);
	der(&pin, 0x03, flags, sizeof(flags));
	der(&pin, 0x0A, &pin_type, 1);
	der_int(&pin, 0x02, 4);             /* minLength */
	der_int(&pin, 0x02, B4_PIN_STORED); /* storedLength */
	der_int(&pin, 0x02, B4_PIN_MAX);    /* maxLength */
	der_int(&pin, 0x80, B4_PIN_REF);    /* pinReference [0] */
	der(&pin, 0x04, &pad, 1);           /* padChar */
	der_wrap(&type, 0x30, &pin);
	der_wrap(&obj, 0xA1, &type);
	der_wrap(&f, 0x30, &obj);
	return add_file(c, 0x7001, &f, 256);
}

static int build_odf(struct b4_card *c, uint16_t cdf_fid)
{
	/* ODF entries: [0] PrKDF, [4] CDF, [8] AODF, each around a Path */
	struct b4_buf out = {0}, p = {0};
	der_path(&p, 0x7002);
	der_wrap(&out, 0xA0, &p);
	der_path(&p, cdf_fid);
	der_wrap(&out, 0xA4, &p);
	der_path(&p, 0x7001);
	der_wrap(&out, 0xA8, &p);
	return add_file(c, 0x5031, &out, 64);
}

static int build_tokeninfo(struct b4_card *c)
{
	static const uint8_t serial[8] = {0x4B, 0x59, 0x53, 0x4F, 0x00, 0x00, 0x23, 0x71};
	static const char manuf[] = "bit4id";
	static const char label[] = "VGCA";
	uint8_t flags[2] = {0x07, 0x80}; /* readonly */
	struct b4_buf f = {0}, ti = {0};
	der_int(&ti, 0x02, 0);
	der(&ti, 0x04, serial, sizeof(serial));
	der(&ti, 0x0C, manuf, strlen(manuf));
	der(&ti, 0x80, label, strlen(label));
	der(&ti, 0x03, flags, sizeof(flags));
	der_wrap(&f, 0x30, &ti);
	return add_file(c, 0x5032, &f, 64);
}

/* ---- loading the key and certificates ---- */

static X509 *load_cert(const char *path)
{
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x;
	if (bio == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (x == NULL && BIO_reset(bio) == 0)
		x = d2i_X509_bio(bio, NULL);
	BIO_free(bio);
	return x;
}

static int cert_der(X509 *x, uint8_t **out, size_t *len)
{
	int n = i2d_X509(x, NULL);
	if (n <= 0)
		return -1;
	*out = malloc((size_t)n);
	if (*out == NULL)
		return -1;
	uint8_t *p = *out;
	if (i2d_X509(x, &p) != n) {
		free(*out);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* The key id: SHA-1 of the modulus (as many PKCS#15 cards do). */
static int key_id(EVP_PKEY *key, uint8_t id[20])
{
	BIGNUM *n = NULL;
	uint8_t mod[1024];
	unsigned int mdlen = 0;
	if (EVP_PKEY_get_bn_param(key, "n", &n) != 1)
		return -1;
	int len = BN_bn2bin(n, mod);
	BN_free(n);
	if (len <= 0 || len > (int)sizeof(mod))
		return -1;
	if (EVP_Digest(mod, (size_t)len, id, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return -1;
	return 0;
}

struct b4_opts {
	const char *key;
	const char *cert;
	const char *ca[B4_MAX_CA];
	size_t n_ca;
	const char *pin;
	int tries;
	uint16_t cdf;
	int compress;
};

static int parse_opts(const struct vicc_config *cfg, struct b4_opts *o)
{
	o->key = getenv("KYSO_BIT4ID_KEY");
	o->cert = getenv("KYSO_BIT4ID_CERT");
	o->pin = "1234";
	o->tries = B4_TRIES;
	o->cdf = 0x7005;
	o->compress = 1;
	for (size_t i = 0; i < cfg->n_opts; i++) {
		const char *kv = cfg->opts[i];
		const char *v = strchr(kv, '=') + 1;
		size_t klen = (size_t)(v - kv - 1);
		if (klen == 3 && strncmp(kv, "key", 3) == 0) {
			o->key = v;
		} else if (klen == 4 && strncmp(kv, "cert", 4) == 0) {
			o->cert = v;
		} else if (klen == 2 && strncmp(kv, "ca", 2) == 0 && o->n_ca < B4_MAX_CA) {
			o->ca[o->n_ca++] = v;
		} else if (klen == 3 && strncmp(kv, "pin", 3) == 0) {
			o->pin = v;
		} else if (klen == 5 && strncmp(kv, "tries", 5) == 0) {
			o->tries = atoi(v);
		} else if (klen == 3 && strncmp(kv, "cdf", 3) == 0) {
			o->cdf = (uint16_t)strtoul(v, NULL, 16);
		} else if (klen == 8 && strncmp(kv, "compress", 8) == 0) {
			o->compress = atoi(v);
		} else {
			fprintf(stderr, "kyso-vicc: bit4id: unknown option %s\n", kv);
			return -1;
		}
	}
	size_t pl = strlen(o->pin);
	if (o->key == NULL || o->cert == NULL || pl < 4 || pl > B4_PIN_MAX || o->tries < 0 ||
	    o->tries > B4_TRIES || o->cdf == 0) {
		fprintf(stderr, "kyso-vicc: bit4id needs key=PEM and cert=FILE, a PIN of 4-16 "
		                "characters and tries 0-3\n");
		return -1;
	}
	return 0;
}

static int load_key(struct b4_card *c, const char *path)
{
	BIO *bio = BIO_new_file(path, "rb");
	if (bio == NULL)
		return -1;
	c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return c->key != NULL && EVP_PKEY_base_id(c->key) == EVP_PKEY_RSA ? 0 : -1;
}

static int build_certs(struct b4_card *c, const struct b4_opts *o, const uint8_t *id)
{
	static const uint16_t ca_fid[B4_MAX_CA] = {0x0002, 0x0001};
	static const char *const ca_label[B4_MAX_CA] = {"CA", "Root CA"};
	struct b4_buf cdf = {0};
	const char *paths[1 + B4_MAX_CA];
	int rc = 0;

	paths[0] = o->cert;
	for (size_t i = 0; i < o->n_ca; i++)
		paths[1 + i] = o->ca[i];
	for (size_t i = 0; i < 1 + o->n_ca && rc == 0; i++) {
		X509 *x = load_cert(paths[i]);
		uint8_t *d = NULL;
		size_t dl = 0;
		if (x == NULL || cert_der(x, &d, &dl) != 0) {
			fprintf(stderr, "kyso-vicc: bit4id: cannot read certificate %s\n",
			        paths[i]);
			X509_free(x);
			rc = -1;
			break;
		}
		uint16_t fid = i == 0 ? 0x0003 : ca_fid[i - 1];
		uint8_t ca_id[1] = {(uint8_t)(0xC0 + i)};
		if (i == 0)
			cdf_entry(&cdf, "Signature certificate", id, 20, 0, fid);
		else
			cdf_entry(&cdf, ca_label[i - 1], ca_id, 1, 1, fid);
		rc = cert_file(c, fid, d, dl, o->compress);
		free(d);
		X509_free(x);
	}
	if (rc != 0) {
		free(cdf.p);
		return -1;
	}
	return add_file(c, o->cdf, &cdf, 256);
}

static void b4_destroy(void *state)
{
	struct b4_card *c = state;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i].data);
	EVP_PKEY_free(c->key);
	OPENSSL_cleanse(c->pin, sizeof(c->pin));
	free(c);
}

static void *b4_create(const struct vicc_config *cfg)
{
	struct b4_opts o;
	uint8_t id[20];
	struct b4_card *c;

	memset(&o, 0, sizeof(o));
	if (parse_opts(cfg, &o) != 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (load_key(c, o.key) != 0) {
		fprintf(stderr, "kyso-vicc: bit4id: cannot read RSA key %s\n", o.key);
		b4_destroy(c);
		return NULL;
	}
	c->pin_len = strlen(o.pin);
	memcpy(c->pin, o.pin, c->pin_len);
	c->tries = o.tries;
	if (key_id(c->key, id) != 0 || build_odf(c, o.cdf) != 0 || build_tokeninfo(c) != 0 ||
	    build_aodf(c) != 0 ||
	    build_prkdf(c, id, sizeof(id), (unsigned)EVP_PKEY_get_bits(c->key)) != 0 ||
	    build_certs(c, &o, id) != 0) {
		fprintf(stderr, "kyso-vicc: bit4id: cannot build the card's files\n");
		b4_destroy(c);
		return NULL;
	}
	return c;
}

static void b4_reset(void *state)
{
	struct b4_card *c = state;
	c->app_selected = 0;
	c->ef = NULL;
	c->verified = 0;
	c->mse_ok = 0;
	vicc_pending_clear(&c->pending);
}

/* ---- commands ---- */

static int do_select(struct b4_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	if (a->p1 == 0x04) {
		if (a->lc != sizeof(b4_aid) || memcmp(a->data, b4_aid, sizeof(b4_aid)) != 0)
			return vicc_rapdu_sw(r, SW_FILE_NOT_FOUND);
		/* Selecting the application again keeps the PIN status (measured:
		 * the field report re-selects before MSE/PSO after VERIFY). */
		c->app_selected = 1;
		c->ef = NULL;
		c->mse_ok = 0;
		return vicc_rapdu_sw(r, SW_OK);
	}
	if (a->p1 != 0x00 && a->p1 != 0x02)
		return vicc_rapdu_sw(r, SW_WRONG_P1P2);
	if (a->lc != 2)
		return vicc_rapdu_sw(r, SW_WRONG_LENGTH);
	const struct b4_file *f = c->app_selected ? find_file(c, a->data) : NULL;
	if (f == NULL)
		return vicc_rapdu_sw(r, SW_FILE_NOT_FOUND);
	c->ef = f;
	if ((a->p2 & 0x0C) == 0x0C)
		return vicc_rapdu_sw(r, SW_OK);
	/* FCP: 62 { 80 02 size, 83 02 fid } */
	uint8_t fcp[10] = {
	        0x62, 0x08, 0x80,       0x02,      (uint8_t)(f->len >> 8), (uint8_t)f->len,
	        0x83, 0x02, a->data[0], a->data[1]};
	return vicc_pending_reply(&c->pending, a, fcp, sizeof(fcp), r);
}

static int do_read(struct b4_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	if (a->p1 & 0x80)
		return vicc_rapdu_sw(r, SW_WRONG_P1P2);
	if (c->ef == NULL)
		return vicc_rapdu_sw(r, SW_NO_EF);
	size_t off = (size_t)a->p1 << 8 | a->p2;
	if (off >= c->ef->len)
		return vicc_rapdu_sw(r, SW_WRONG_OFFSET);
	size_t n = a->has_le ? a->le : 256;
	if (n > B4_READ_MAX)
		n = B4_READ_MAX;
	if (n > c->ef->len - off)
		n = c->ef->len - off;
	if (vicc_rapdu_data(r, c->ef->data + off, n) != 0)
		return -1;
	return vicc_rapdu_sw(r, SW_OK);
}

static int pin_status(const struct b4_card *c, struct vicc_rapdu *r)
{
	if (c->tries == 0)
		return vicc_rapdu_sw(r, SW_PIN_BLOCKED);
	if (c->verified)
		return vicc_rapdu_sw(r, SW_OK);
	return vicc_rapdu_sw(r, (uint16_t)(0x63C0 | c->tries));
}

/* The PIN block the card expects: PIN padded with FF to 8 bytes (longer PINs as they are). */
static size_t expected_pin(const struct b4_card *c, uint8_t out[B4_PIN_MAX])
{
	memset(out, 0xFF, B4_PIN_MAX);
	memcpy(out, c->pin, c->pin_len);
	return c->pin_len < B4_PIN_STORED ? B4_PIN_STORED : c->pin_len;
}

static int do_verify(struct b4_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	uint8_t want[B4_PIN_MAX];
	if (!c->app_selected)
		return vicc_rapdu_sw(r, SW_COND_NOT_SATISFIED);
	if (a->p1 != 0x00 || a->p2 != B4_PIN_REF)
		return vicc_rapdu_sw(r, SW_REF_NOT_FOUND);
	if (a->lc == 0)
		return pin_status(c, r);
	if (c->tries == 0)
		return vicc_rapdu_sw(r, SW_PIN_BLOCKED);
	/* Strict: a PIN block shorter than 8 bytes was not padded. No try is used. */
	if (a->lc < B4_PIN_STORED || a->lc > B4_PIN_MAX)
		return vicc_rapdu_sw(r, SW_WRONG_DATA);
	size_t wl = expected_pin(c, want);
	int ok = a->lc == wl && CRYPTO_memcmp(a->data, want, wl) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (ok) {
		c->tries = B4_TRIES;
		c->verified = 1;
		return vicc_rapdu_sw(r, SW_OK);
	}
	c->verified = 0;
	c->tries--;
	return vicc_rapdu_sw(r, (uint16_t)(0x63C0 | c->tries));
}

static int do_mse(struct b4_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	int alg = -1, key = -1;
	c->mse_ok = 0;
	if (!c->app_selected)
		return vicc_rapdu_sw(r, SW_COND_NOT_SATISFIED);
	if (a->p1 != 0x41 || a->p2 != 0xB6)
		return vicc_rapdu_sw(r, SW_WRONG_P1P2);
	for (size_t i = 0; i + 2 <= a->lc;) {
		uint8_t tag = a->data[i], len = a->data[i + 1];
		if (i + 2 + len > a->lc)
			return vicc_rapdu_sw(r, SW_WRONG_DATA);
		if (len == 1 && tag == 0x80)
			alg = a->data[i + 2];
		else if (len == 1 && tag == 0x84)
			key = a->data[i + 2];
		else
			return vicc_rapdu_sw(r, SW_WRONG_DATA);
		i += 2u + len;
	}
	if (alg != B4_ALG_REF)
		return vicc_rapdu_sw(r, SW_WRONG_DATA);
	if (key != B4_KEY_REF)
		return vicc_rapdu_sw(r, SW_REF_NOT_FOUND);
	c->mse_ok = 1;
	return vicc_rapdu_sw(r, SW_OK);
}

static int do_pso(struct b4_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	uint8_t sig[512];
	size_t siglen = sizeof(sig);
	if (a->p1 != 0x9E || a->p2 != 0x9A)
		return vicc_rapdu_sw(r, SW_WRONG_P1P2);
	if (!c->verified)
		return vicc_rapdu_sw(r, SW_SEC_NOT_SATISFIED);
	if (!c->mse_ok)
		return vicc_rapdu_sw(r, SW_COND_NOT_SATISFIED);
	/* The card pads what it gets (PKCS#1 v1.5 type 1) and signs it: callers
	 * must send the full DigestInfo, a bare hash gives a useless signature. */
	if (a->lc == 0 || a->lc + 11 > (size_t)EVP_PKEY_get_size(c->key))
		return vicc_rapdu_sw(r, SW_WRONG_DATA);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(c->key, NULL);
	int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	         EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	         EVP_PKEY_sign(ctx, sig, &siglen, a->data, a->lc) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return vicc_rapdu_sw(r, SW_UNKNOWN);
	return vicc_pending_reply(&c->pending, a, sig, siglen, r);
}

static int b4_process(void *state, const uint8_t *capdu, size_t clen, struct vicc_rapdu *r)
{
	struct b4_card *c = state;
	struct vicc_apdu a;

	if (vicc_apdu_parse(capdu, clen, &a) != 0) {
		vicc_pending_clear(&c->pending);
		return vicc_rapdu_sw(r, SW_WRONG_LENGTH);
	}
	if (a.ins == 0xC0 && a.cla == 0x00)
		return vicc_pending_get_response(&c->pending, &a, r);
	vicc_pending_clear(&c->pending);
	if (a.cla != 0x00)
		return vicc_rapdu_sw(r, SW_CLA_NOT_SUPPORTED);
	switch (a.ins) {
	case 0xA4:
		return do_select(c, &a, r);
	case 0xB0:
		return do_read(c, &a, r);
	case 0x20:
		return do_verify(c, &a, r);
	case 0x22:
		return do_mse(c, &a, r);
	case 0x2A:
		return do_pso(c, &a, r);
	default:
		return vicc_rapdu_sw(r, SW_INS_NOT_SUPPORTED);
	}
}

const struct vicc_applet vicc_applet_bit4id = {
        .name = "bit4id",
        .help = "Bit4id TokenME EVO v2 (VGCA) applet: PKCS#15, PIN, RSA signing (key=, cert=, ca=)",
        .default_atr = "3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3",
        .create = b4_create,
        .reset = b4_reset,
        .process_apdu = b4_process,
        .destroy = b4_destroy,
};
