/* Standard security handler (ISO 32000-2 7.6.4): RC4 40/128 (R2/R3/R4),
 * AES-128 (V4 /AESV2), AES-256 (V5 R5/R6 /AESV3). MD5, SHA-2 and AES come
 * from OpenSSL EVP; RC4 is implemented here (OpenSSL 3 keeps it in the
 * legacy provider). */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

static const uint8_t pad32[32] = {0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E,
                                  0x56, 0xFF, 0xFA, 0x01, 0x08, 0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68,
                                  0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};

void kyso_pdf_rc4(const uint8_t *key, size_t key_len, const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t s[256];
	for (int i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	unsigned j = 0;
	for (unsigned i = 0; i < 256; i++) {
		j = (j + s[i] + key[i % key_len]) & 0xff;
		uint8_t t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
	unsigned a = 0;
	j = 0;
	for (size_t k = 0; k < len; k++) {
		a = (a + 1) & 0xff;
		j = (j + s[a]) & 0xff;
		uint8_t t = s[a];
		s[a] = s[j];
		s[j] = t;
		out[k] = in[k] ^ s[(s[a] + s[j]) & 0xff];
	}
	kyso_memzero(s, sizeof(s));
}

static bool digest(const EVP_MD *md, const uint8_t *const parts[], const size_t lens[],
                   size_t nparts, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c && EVP_DigestInit_ex(c, md, NULL) == 1;
	for (size_t i = 0; ok && i < nparts; i++)
		ok = EVP_DigestUpdate(c, parts[i], lens[i]) == 1;
	unsigned n = 0;
	ok = ok && EVP_DigestFinal_ex(c, out, &n) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

static bool md5(const uint8_t *p, size_t n, uint8_t out[16])
{
	const uint8_t *parts[1] = {p};
	size_t lens[1] = {n};
	return digest(EVP_md5(), parts, lens, 1, out);
}

/* AES-CBC without padding; encrypt or decrypt; len multiple of 16. */
static bool aes_cbc(bool enc, const uint8_t *key, size_t key_len, const uint8_t *iv,
                    const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *c = key_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	bool ok = x && EVP_CipherInit_ex(x, c, NULL, key, iv, enc ? 1 : 0) == 1 &&
	          EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
	          EVP_CipherUpdate(x, out, &n1, in, (int)len) == 1 &&
	          EVP_CipherFinal_ex(x, out + n1, &n2) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* ---- R2-R4 ---- */

static void pad_password(const char *pw, uint8_t out[32])
{
	size_t n = strlen(pw);
	if (n > 32)
		n = 32;
	memcpy(out, pw, n); /* NOLINT(bugprone-not-null-terminated-result): binary key */
	memcpy(out + n, pad32, 32 - n);
}

typedef struct {
	int v, r;
	size_t n; /* key length in bytes */
	uint8_t o[48], u[48], oe[32], ue[32];
	size_t olen, ulen;
	int32_t p;
	const uint8_t *id0;
	size_t id0_len;
	bool encrypt_metadata;
} std_params_t;

static bool key_r4(const std_params_t *sp, const uint8_t padded[32], uint8_t key[16])
{
	uint8_t h[16];
	uint8_t pb[4] = {(uint8_t)sp->p, (uint8_t)(sp->p >> 8), (uint8_t)(sp->p >> 16),
	                 (uint8_t)(sp->p >> 24)};
	static const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
	const uint8_t *parts[5] = {padded, sp->o, pb, sp->id0, ff};
	size_t lens[5] = {32, 32, 4, sp->id0_len, 4};
	size_t np = sp->r >= 4 && !sp->encrypt_metadata ? 5 : 4;
	if (!digest(EVP_md5(), parts, lens, np, h))
		return false;
	if (sp->r >= 3)
		for (int i = 0; i < 50; i++)
			if (!md5(h, sp->n, h))
				return false;
	memcpy(key, h, sp->n);
	return true;
}

static bool check_user_r4(const std_params_t *sp, const uint8_t key[16])
{
	uint8_t out[32];
	if (sp->r == 2) {
		kyso_pdf_rc4(key, sp->n, pad32, out, 32);
		return memcmp(out, sp->u, 32) == 0;
	}
	const uint8_t *parts[2] = {pad32, sp->id0};
	size_t lens[2] = {32, sp->id0_len};
	uint8_t h[16];
	if (!digest(EVP_md5(), parts, lens, 2, h))
		return false;
	kyso_pdf_rc4(key, sp->n, h, out, 16);
	for (int i = 1; i <= 19; i++) {
		uint8_t k2[16] = {0};
		for (size_t j = 0; j < sp->n; j++)
			k2[j] = (uint8_t)(key[j] ^ i);
		kyso_pdf_rc4(k2, sp->n, out, out, 16);
	}
	return memcmp(out, sp->u, 16) == 0;
}

static bool auth_r4(const std_params_t *sp, const char *pw, uint8_t key[16], bool *owner)
{
	*owner = false;
	uint8_t padded[32];
	pad_password(pw, padded);
	if (key_r4(sp, padded, key) && check_user_r4(sp, key))
		return true;
	/* owner password: recover the user password from /O */
	uint8_t h[16];
	if (!md5(padded, 32, h))
		return false;
	if (sp->r >= 3)
		for (int i = 0; i < 50; i++)
			if (!md5(h, 16, h))
				return false;
	uint8_t upw[32];
	if (sp->r == 2) {
		kyso_pdf_rc4(h, sp->n, sp->o, upw, 32);
	} else {
		memcpy(upw, sp->o, 32);
		for (int i = 19; i >= 0; i--) {
			uint8_t k2[16] = {0};
			for (size_t j = 0; j < sp->n; j++)
				k2[j] = (uint8_t)(h[j] ^ i);
			kyso_pdf_rc4(k2, sp->n, upw, upw, 32);
		}
	}
	*owner = true;
	return key_r4(sp, upw, key) && check_user_r4(sp, key);
}

/* ---- R5/R6 ---- */

static bool hash_r6(int r, const uint8_t *pw, size_t pwlen, const uint8_t salt[8],
                    const uint8_t *udata, size_t ulen, uint8_t out[32])
{
	uint8_t k[64];
	if (!udata)
		udata = (const uint8_t *)"";
	const uint8_t *parts[3] = {pw, salt, udata};
	size_t lens[3] = {pwlen, 8, ulen};
	if (!digest(EVP_sha256(), parts, lens, 3, k))
		return false;
	if (r == 5) {
		memcpy(out, k, 32);
		return true;
	}
	size_t klen = 32;
	size_t seq = pwlen + 64 + ulen;
	uint8_t *k1 = malloc(seq * 64);
	uint8_t *e = malloc(seq * 64);
	bool ok = k1 && e;
	for (int i = 0; ok && (i < 64 || e[seq * 64 - 1] > i - 32); i++) {
		for (int j = 0; j < 64; j++) {
			uint8_t *p = k1 + (size_t)j * (pwlen + klen + ulen);
			memcpy(p, pw, pwlen);
			memcpy(p + pwlen, k, klen);
			memcpy(p + pwlen + klen, udata, ulen);
		}
		size_t total = (pwlen + klen + ulen) * 64;
		if (!aes_cbc(true, k, 16, k + 16, k1, total, e)) {
			ok = false;
			break;
		}
		unsigned sum = 0;
		for (int j = 0; j < 16; j++)
			sum += e[j];
		const EVP_MD *md =
		        sum % 3 == 0 ? EVP_sha256() : (sum % 3 == 1 ? EVP_sha384() : EVP_sha512());
		klen = sum % 3 == 0 ? 32 : (sum % 3 == 1 ? 48 : 64);
		const uint8_t *pp[1] = {e};
		size_t pl[1] = {total};
		if (!digest(md, pp, pl, 1, k)) {
			ok = false;
			break;
		}
		/* the loop condition looks at the last byte of this E */
		e[seq * 64 - 1] = e[total - 1];
	}
	if (ok)
		memcpy(out, k, 32);
	free(k1);
	free(e);
	return ok;
}

static bool auth_r6(const std_params_t *sp, const char *pw, uint8_t key[32], bool *owner)
{
	*owner = false;
	size_t pwlen = strlen(pw);
	if (pwlen > 127)
		pwlen = 127;
	const uint8_t *p = (const uint8_t *)pw;
	uint8_t h[32], iv[16] = {0};
	if (sp->ulen < 48 || sp->olen < 48)
		return false;
	if (hash_r6(sp->r, p, pwlen, sp->o + 32, sp->u, 48, h) && memcmp(h, sp->o, 32) == 0) {
		*owner = true;
		return hash_r6(sp->r, p, pwlen, sp->o + 40, sp->u, 48, h) &&
		       aes_cbc(false, h, 32, iv, sp->oe, 32, key);
	}
	if (hash_r6(sp->r, p, pwlen, sp->u + 32, NULL, 0, h) && memcmp(h, sp->u, 32) == 0) {
		return hash_r6(sp->r, p, pwlen, sp->u + 40, NULL, 0, h) &&
		       aes_cbc(false, h, 32, iv, sp->ue, 32, key);
	}
	return false;
}

/* ---- setup ---- */

static pdf_cipher_t cf_method(const kyso_pdf_obj_t *enc, const kyso_pdf_obj_t *name)
{
	const char *n = kyso_pdf_obj_name(name);
	if (!n || strcmp(n, "Identity") == 0)
		return PDF_CRYPT_IDENTITY;
	const kyso_pdf_obj_t *cf = kyso_pdf_dict_get(kyso_pdf_dict_get(enc, "CF"), n);
	const char *m = kyso_pdf_obj_name(kyso_pdf_dict_get(cf, "CFM"));
	if (!cf)
		return PDF_CRYPT_NONE; /* unknown filter name */
	if (!m || strcmp(m, "None") == 0)
		return PDF_CRYPT_IDENTITY;
	if (strcmp(m, "V2") == 0)
		return PDF_CRYPT_RC4;
	if (strcmp(m, "AESV2") == 0)
		return PDF_CRYPT_AESV2;
	if (strcmp(m, "AESV3") == 0)
		return PDF_CRYPT_AESV3;
	return PDF_CRYPT_NONE;
}

static bool copy_str(const kyso_pdf_obj_t *o, uint8_t *dst, size_t cap, size_t *len)
{
	size_t n;
	const uint8_t *p = kyso_pdf_obj_string(o, &n);
	if (!p)
		return false;
	if (n > cap)
		n = cap;
	memcpy(dst, p, n);
	if (len)
		*len = n;
	return true;
}

kyso_err_t kyso_pdf_crypt_init(kyso_pdf_t *pdf, const char *password, kyso_error_t *err)
{
	const kyso_pdf_obj_t *er = kyso_pdf_dict_get(pdf->trailer, "Encrypt");
	uint32_t enum_ = 0;
	kyso_pdf_obj_t *enc = NULL;
	if (kyso_pdf_obj_ref(er, &enum_, NULL)) {
		enc = kyso_pdf_load(pdf, enum_, err);
		if (!enc)
			return err->code;
	} else {
		enc = kyso_pdf_obj_copy(er);
	}
	kyso_err_t rc = KYSO_OK;
	std_params_t sp;
	memset(&sp, 0, sizeof(sp));
	pdf_crypt_t *c = &pdf->crypt;
	const char *filter = kyso_pdf_obj_name(kyso_pdf_dict_get(enc, "Filter"));
	if (!enc || enc->type != KYSO_PDF_DICT || !filter) {
		rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                    _("The PDF encryption dictionary is damaged"));
		goto out;
	}
	if (strcmp(filter, "Standard") != 0) {
		rc = kyso_error_set(
		        err, KYSO_ERR_ENCRYPTED,
		        _("The PDF is encrypted with the \"%s\" security handler, which is "
		          "not supported (only password encryption is)"),
		        filter);
		goto out;
	}
	int64_t v = 0, r = 0, len = 40, p = 0;
	kyso_pdf_obj_int(kyso_pdf_dict_get(enc, "V"), &v);
	kyso_pdf_obj_int(kyso_pdf_dict_get(enc, "R"), &r);
	kyso_pdf_obj_int(kyso_pdf_dict_get(enc, "Length"), &len);
	kyso_pdf_obj_int(kyso_pdf_dict_get(enc, "P"), &p);
	sp.v = (int)v;
	sp.r = (int)r;
	sp.p = (int32_t)p;
	sp.encrypt_metadata = true;
	kyso_pdf_obj_bool(kyso_pdf_dict_get(enc, "EncryptMetadata"), &sp.encrypt_metadata);
	const kyso_pdf_obj_t *id = kyso_pdf_array_get(kyso_pdf_dict_get(pdf->trailer, "ID"), 0);
	sp.id0 = kyso_pdf_obj_string(id, &sp.id0_len);
	if (!sp.id0) {
		sp.id0 = (const uint8_t *)"";
		sp.id0_len = 0;
	}
	if (!copy_str(kyso_pdf_dict_get(enc, "O"), sp.o, 48, &sp.olen) ||
	    !copy_str(kyso_pdf_dict_get(enc, "U"), sp.u, 48, &sp.ulen)) {
		rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                    _("The PDF encryption dictionary is damaged"));
		goto out;
	}
	bool supported = false;
	if ((v == 1 || v == 2) && (r == 2 || r == 3)) {
		c->stm = c->str = PDF_CRYPT_RC4;
		sp.n = v == 1 ? 5 : (size_t)(len / 8);
		supported = sp.n >= 5 && sp.n <= 16 && sp.olen >= 32 && sp.ulen >= 32;
	} else if (v == 4 && r == 4) {
		c->stm = cf_method(enc, kyso_pdf_dict_get(enc, "StmF"));
		c->str = cf_method(enc, kyso_pdf_dict_get(enc, "StrF"));
		sp.n = 16;
		supported = c->stm != PDF_CRYPT_NONE && c->str != PDF_CRYPT_NONE &&
		            c->stm != PDF_CRYPT_AESV3 && c->str != PDF_CRYPT_AESV3 &&
		            sp.olen >= 32 && sp.ulen >= 32;
		int64_t cflen;
		const kyso_pdf_obj_t *cf =
		        kyso_pdf_dict_get(kyso_pdf_dict_get(enc, "CF"),
		                          kyso_pdf_obj_name(kyso_pdf_dict_get(enc, "StmF")) ?: "");
		if (kyso_pdf_obj_int(kyso_pdf_dict_get(cf, "Length"), &cflen) && cflen >= 5 &&
		    cflen <= 16 && c->stm == PDF_CRYPT_RC4)
			sp.n = (size_t)cflen; /* some writers give bytes here */
	} else if (v == 5 && (r == 5 || r == 6)) {
		c->stm = cf_method(enc, kyso_pdf_dict_get(enc, "StmF"));
		c->str = cf_method(enc, kyso_pdf_dict_get(enc, "StrF"));
		sp.n = 32;
		supported = (c->stm == PDF_CRYPT_AESV3 || c->stm == PDF_CRYPT_IDENTITY) &&
		            (c->str == PDF_CRYPT_AESV3 || c->str == PDF_CRYPT_IDENTITY) &&
		            copy_str(kyso_pdf_dict_get(enc, "OE"), sp.oe, 32, NULL) &&
		            copy_str(kyso_pdf_dict_get(enc, "UE"), sp.ue, 32, NULL);
	}
	if (!supported) {
		rc = kyso_error_set(
		        err, KYSO_ERR_ENCRYPTED,
		        _("The PDF uses an unsupported encryption method (V=%lld, R=%lld)"),
		        (long long)v, (long long)r);
		goto out;
	}
	const char *pw = password ? password : "";
	bool owner = false;
	bool ok = v == 5 ? auth_r6(&sp, pw, c->key, &owner) : auth_r4(&sp, pw, c->key, &owner);
	if (!ok) {
		rc = kyso_error_set(err, KYSO_ERR_BAD_PASSWORD, "%s",
		                    password && *password
		                            ? _("The password does not open this encrypted PDF")
		                            : _("This PDF is protected by a password; give it with "
		                                "--password"));
		goto out;
	}
	c->on = true;
	c->v = (int)v;
	c->r = (int)r;
	c->key_len = sp.n;
	c->encrypt_metadata = sp.encrypt_metadata;
	c->encrypt_num = enum_;
	c->owner = owner;
	c->perms = sp.p;
out:
	kyso_pdf_obj_free(enc);
	return rc;
}

/* ---- per-object encryption ---- */

static size_t object_key(const pdf_crypt_t *c, pdf_cipher_t cipher, uint32_t num, uint16_t gen,
                         uint8_t out[32])
{
	if (cipher == PDF_CRYPT_AESV3) {
		memcpy(out, c->key, 32);
		return 32;
	}
	uint8_t buf[16 + 9];
	memcpy(buf, c->key, c->key_len);
	size_t n = c->key_len;
	buf[n++] = (uint8_t)num;
	buf[n++] = (uint8_t)(num >> 8);
	buf[n++] = (uint8_t)(num >> 16);
	buf[n++] = (uint8_t)gen;
	buf[n++] = (uint8_t)(gen >> 8);
	if (cipher == PDF_CRYPT_AESV2) {
		memcpy(buf + n, "sAlT", 4); /* NOLINT(bugprone-not-null-terminated-result) */
		n += 4;
	}
	uint8_t h[16];
	md5(buf, n, h);
	size_t kl = c->key_len + 5 > 16 ? 16 : c->key_len + 5;
	memcpy(out, h, kl);
	return kl;
}

kyso_err_t kyso_pdf_crypt_buf(kyso_pdf_t *pdf, bool encrypt, bool is_stream, uint32_t num,
                              uint16_t gen, const uint8_t *in, size_t len, kyso_buf_t *out,
                              kyso_error_t *err)
{
	const pdf_crypt_t *c = &pdf->crypt;
	pdf_cipher_t cipher = is_stream ? c->stm : c->str;
	out->len = 0;
	if (!c->on || cipher == PDF_CRYPT_IDENTITY || cipher == PDF_CRYPT_NONE)
		return kyso_buf_append(out, in, len);
	uint8_t key[32];
	size_t kl = object_key(c, cipher, num, gen, key);
	if (cipher == PDF_CRYPT_RC4) {
		if (kyso_buf_reserve(out, len + 1) != KYSO_OK)
			return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		kyso_pdf_rc4(key, kl, in, out->data, len);
		out->len = len;
		kyso_memzero(key, sizeof(key));
		return KYSO_OK;
	}
	kyso_err_t rc = KYSO_OK;
	if (encrypt) {
		uint8_t iv[16];
		size_t padn = 16 - len % 16;
		size_t total = len + padn;
		uint8_t *tmp = malloc(total);
		if (!tmp || RAND_bytes(iv, 16) != 1 ||
		    kyso_buf_reserve(out, total + 16) != KYSO_OK) {
			free(tmp);
			return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		}
		memcpy(tmp, in, len);
		memset(tmp + len, (int)padn, padn);
		memcpy(out->data, iv, 16);
		if (!aes_cbc(true, key, kl, iv, tmp, total, out->data + 16))
			rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", _("Encryption failed"));
		else
			out->len = total + 16;
		free(tmp);
	} else {
		if (len < 16) {
			/* too short for an IV: decrypts to nothing (empty string) */
			kyso_memzero(key, sizeof(key));
			return KYSO_OK;
		}
		size_t body = (len - 16) / 16 * 16;
		if (kyso_buf_reserve(out, body + 1) != KYSO_OK)
			return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		if (body && !aes_cbc(false, key, kl, in, in + 16, body, out->data)) {
			rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s", _("Decryption failed"));
		} else {
			out->len = body;
			if (body >= 16) {
				uint8_t pn = out->data[body - 1];
				bool valid = pn >= 1 && pn <= 16;
				for (size_t i = 0; valid && i < pn; i++)
					valid = out->data[body - 1 - i] == pn;
				if (valid)
					out->len -= pn;
			}
		}
	}
	kyso_memzero(key, sizeof(key));
	return rc;
}

static kyso_err_t crypt_tree(kyso_pdf_t *pdf, kyso_pdf_obj_t *o, uint32_t num, uint16_t gen,
                             int depth, kyso_error_t *err)
{
	if (depth > PDF_MAX_DEPTH + 2)
		return KYSO_OK;
	switch (o->type) {
	case KYSO_PDF_STRING: {
		kyso_buf_t out;
		kyso_buf_init(&out);
		kyso_err_t rc = kyso_pdf_crypt_buf(pdf, false, false, num, gen, o->u.str.p,
		                                   o->u.str.len, &out, err);
		if (rc != KYSO_OK) {
			kyso_buf_free(&out);
			return rc;
		}
		kyso_pdf_obj_t *n =
		        kyso_pdf_obj_new_string(out.data ? out.data : (const uint8_t *)"", out.len);
		kyso_buf_free(&out);
		if (!n)
			return KYSO_ERR_NOMEM;
		free(o->u.str.p);
		o->u.str = n->u.str;
		free(n);
		return KYSO_OK;
	}
	case KYSO_PDF_ARRAY:
		for (size_t i = 0; i < o->u.arr.n; i++) {
			kyso_err_t rc =
			        crypt_tree(pdf, o->u.arr.items[i], num, gen, depth + 1, err);
			if (rc != KYSO_OK)
				return rc;
		}
		return KYSO_OK;
	case KYSO_PDF_STREAM:
		return crypt_tree(pdf, o->u.stream.dict, num, gen, depth + 1, err);
	case KYSO_PDF_DICT: {
		const kyso_pdf_obj_t *t = kyso_pdf_dict_get(o, "Type");
		bool sig = kyso_pdf_obj_is_name(t, "Sig") ||
		           kyso_pdf_obj_is_name(t, "DocTimeStamp") ||
		           (kyso_pdf_dict_get(o, "ByteRange") && kyso_pdf_dict_get(o, "Contents"));
		for (size_t i = 0; i < o->u.dict.n; i++) {
			if (sig && strcmp(o->u.dict.keys[i], "Contents") == 0)
				continue; /* signature /Contents is never encrypted */
			kyso_err_t rc =
			        crypt_tree(pdf, o->u.dict.vals[i], num, gen, depth + 1, err);
			if (rc != KYSO_OK)
				return rc;
		}
		return KYSO_OK;
	}
	default:
		return KYSO_OK;
	}
}

kyso_err_t kyso_pdf_crypt_obj(kyso_pdf_t *pdf, kyso_pdf_obj_t *obj, uint32_t num, uint16_t gen,
                              kyso_error_t *err)
{
	if (!pdf->crypt.on)
		return KYSO_OK;
	if (obj->type == KYSO_PDF_STREAM &&
	    kyso_pdf_obj_is_name(kyso_pdf_dict_get(obj, "Type"), "XRef"))
		return KYSO_OK;
	return crypt_tree(pdf, obj, num, gen, 0, err);
}
