/* PKCS#15 directory files and certificate files read from the card. */
#include "p15.h"

#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const */
#include <zlib.h>

int der_next(const uint8_t **p, const uint8_t *end, struct der_elem *e)
{
	const uint8_t *s = *p;
	size_t avail = (size_t)(end - s);
	size_t len, hdr = 2;

	if (avail < 2)
		return -1;
	if ((s[0] & 0x1F) == 0x1F) /* multi-byte tags are not used by PKCS#15 */
		return -1;
	len = s[1];
	if (len & 0x80) {
		size_t n = len & 0x7F;
		if (n == 0 || n > 3 || avail < 2 + n) /* no indefinite length, < 16 MiB */
			return -1;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | s[2 + i];
		hdr += n;
	}
	if (len > avail - hdr)
		return -1;
	e->tag = s[0];
	e->val = s + hdr;
	e->len = len;
	*p = s + hdr + len;
	return 0;
}

size_t der_total_len(const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;
	struct der_elem e;
	if (der_next(&p, buf + len, &e) != 0)
		return 0;
	return (size_t)(p - buf);
}

/* Iterate over the elements inside a constructed value. */
struct der_iter {
	const uint8_t *p;
	const uint8_t *end;
};

static void iter_init(struct der_iter *it, const struct der_elem *outer)
{
	it->p = outer->val;
	it->end = outer->val + outer->len;
}

/* 1 next element, 0 end (or zero padding), -1 malformed. */
static int iter_next(struct der_iter *it, struct der_elem *e)
{
	if (it->p >= it->end || it->p[0] == 0x00 || it->p[0] == 0xFF)
		return 0;
	return der_next(&it->p, it->end, e) == 0 ? 1 : -1;
}

/* Find the first element with this tag directly inside outer. */
static int find_tag(const struct der_elem *outer, uint8_t tag, struct der_elem *out)
{
	struct der_iter it;
	struct der_elem e;
	iter_init(&it, outer);
	while (iter_next(&it, &e) == 1) {
		if (e.tag == tag) {
			*out = e;
			return 0;
		}
	}
	return -1;
}

static int der_uint(const struct der_elem *e, unsigned *out)
{
	unsigned v = 0;
	if (e->len == 0 || e->len > 4 || (e->val[0] & 0x80))
		return -1;
	for (size_t i = 0; i < e->len; i++)
		v = v << 8 | e->val[i];
	*out = v;
	return 0;
}

static int bit_set(const struct der_elem *bits, unsigned i)
{
	if (bits->len < 2 || 1 + i / 8 >= bits->len)
		return 0;
	return (bits->val[1 + i / 8] & (0x80 >> (i % 8))) != 0;
}

/* Copy a string value: control bytes dropped, cut at a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const struct der_elem *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->len && n + 1 < cap; i++) {
		uint8_t c = e->val[i];
		if (c < 0x20 || c == 0x7F)
			continue;
		dst[n++] = (char)c;
	}
	/* do not leave half a UTF-8 sequence at the end */
	if (n > 0 && ((uint8_t)dst[n - 1] & 0x80)) {
		size_t k = n;
		while (k > 0 && ((uint8_t)dst[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0) {
			uint8_t lead = (uint8_t)dst[k - 1];
			size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
			if (n - (k - 1) < need)
				n = k - 1;
		}
	}
	dst[n] = '\0';
}

/* A Path (SEQUENCE { path OCTET STRING, ... }) or a bare OCTET STRING: its last file id. */
static int path_fid(const struct der_elem *e, uint16_t *fid)
{
	struct der_elem path = *e;
	if (e->tag == 0x30 && find_tag(e, 0x04, &path) != 0)
		return -1;
	if (path.tag != 0x04 || path.len < 2)
		return -1;
	*fid = (uint16_t)(path.val[path.len - 2] << 8 | path.val[path.len - 1]);
	return 0;
}

int p15_parse_odf(const uint8_t *d, size_t len, struct p15_odf *out)
{
	struct der_elem all = {.tag = 0, .val = d, .len = len}, e, inner;
	struct der_iter it;
	int rc;
	memset(out, 0, sizeof(*out));
	iter_init(&it, &all);
	while ((rc = iter_next(&it, &e)) == 1) {
		uint16_t fid;
		struct der_iter in;
		iter_init(&in, &e);
		if (iter_next(&in, &inner) != 1 || path_fid(&inner, &fid) != 0)
			continue;
		if (e.tag == 0xA0 && out->prkdf == 0)
			out->prkdf = fid;
		else if (e.tag == 0xA4 && out->cdf == 0)
			out->cdf = fid;
		else if (e.tag == 0xA8 && out->aodf == 0)
			out->aodf = fid;
	}
	return rc < 0 && out->prkdf == 0 && out->cdf == 0 ? -1 : 0;
}

int p15_parse_tokeninfo(const uint8_t *d, size_t len, struct p15_tokeninfo *out)
{
	const uint8_t *p = d;
	struct der_elem ti, e;
	struct der_iter it;
	memset(out, 0, sizeof(*out));
	if (der_next(&p, d + len, &ti) != 0 || ti.tag != 0x30)
		return -1;
	iter_init(&it, &ti);
	while (iter_next(&it, &e) == 1) {
		if (e.tag == 0x04 && out->serial[0] == '\0') {
			static const char hex[] = "0123456789ABCDEF";
			size_t n = e.len < 16 ? e.len : 16;
			for (size_t i = 0; i < n; i++) {
				out->serial[2 * i] = hex[e.val[i] >> 4];
				out->serial[2 * i + 1] = hex[e.val[i] & 15];
			}
			out->serial[2 * n] = '\0';
		} else if (e.tag == 0x0C) {
			copy_text(out->manufacturer, sizeof(out->manufacturer), &e);
		} else if (e.tag == 0x80) {
			copy_text(out->label, sizeof(out->label), &e);
		}
	}
	return 0;
}

/* The common parts of a PKCS#15 object: label and authId from CommonObjectAttributes. */
static int object_common(const struct der_elem *obj, char *label, size_t cap, uint8_t *auth_id)
{
	struct der_elem coa, e;
	struct der_iter it;
	label[0] = '\0';
	if (auth_id != NULL)
		*auth_id = 0;
	if (find_tag(obj, 0x30, &coa) != 0)
		return -1;
	iter_init(&it, &coa);
	while (iter_next(&it, &e) == 1) {
		if (e.tag == 0x0C)
			copy_text(label, cap, &e);
		else if (e.tag == 0x04 && auth_id != NULL && e.len == 1)
			*auth_id = e.val[0];
	}
	return 0;
}

/* The n-th SEQUENCE directly inside obj (0 = CommonObjectAttributes, 1 = class attributes). */
static int nth_seq(const struct der_elem *obj, int n, struct der_elem *out)
{
	struct der_iter it;
	struct der_elem e;
	iter_init(&it, obj);
	while (iter_next(&it, &e) == 1) {
		if (e.tag == 0x30 && n-- == 0) {
			*out = e;
			return 0;
		}
	}
	return -1;
}

/* typeAttributes [1] { SEQUENCE { value ObjectValue (a Path), ... } } */
static int type_attrs(const struct der_elem *obj, struct der_elem *seq)
{
	struct der_elem a1;
	if (find_tag(obj, 0xA1, &a1) != 0 || find_tag(&a1, 0x30, seq) != 0)
		return -1;
	return 0;
}

static int copy_id(const struct der_elem *cls, uint8_t *id, size_t *id_len)
{
	struct der_elem e;
	if (find_tag(cls, 0x04, &e) != 0 || e.len == 0 || e.len > P15_MAX_ID)
		return -1;
	memcpy(id, e.val, e.len);
	*id_len = e.len;
	return 0;
}

static int cert_entry(const struct der_elem *obj, struct p15_cert *c)
{
	struct der_elem cca, type, value, b;
	memset(c, 0, sizeof(*c));
	if (object_common(obj, c->label, sizeof(c->label), NULL) != 0 ||
	    nth_seq(obj, 1, &cca) != 0 || copy_id(&cca, c->id, &c->id_len) != 0 ||
	    type_attrs(obj, &type) != 0)
		return -1;
	if (find_tag(&cca, 0x01, &b) == 0 && b.len == 1 && b.val[0] != 0)
		c->authority = 1;
	/* ObjectValue: a Path (SEQUENCE); direct values are not supported */
	struct der_iter it;
	iter_init(&it, &type);
	if (iter_next(&it, &value) != 1 || path_fid(&value, &c->fid) != 0)
		return -1;
	return 0;
}

int p15_parse_cdf(const uint8_t *d, size_t len, struct p15_cert *out, size_t max, size_t *n)
{
	struct der_elem all = {.tag = 0, .val = d, .len = len}, e;
	struct der_iter it;
	int rc;
	*n = 0;
	iter_init(&it, &all);
	while ((rc = iter_next(&it, &e)) == 1 && *n < max) {
		if (e.tag == 0x30 && cert_entry(&e, &out[*n]) == 0) /* x509Certificate */
			(*n)++;
	}
	return rc < 0 && *n == 0 ? -1 : 0;
}

static int key_entry(const struct der_elem *obj, struct p15_key *k)
{
	struct der_elem cka, type, e;
	struct der_iter it;
	memset(k, 0, sizeof(*k));
	k->key_ref = -1;
	if (object_common(obj, k->label, sizeof(k->label), &k->auth_id) != 0 ||
	    nth_seq(obj, 1, &cka) != 0 || copy_id(&cka, k->id, &k->id_len) != 0)
		return -1;
	int bitstrings = 0;
	iter_init(&it, &cka);
	while (iter_next(&it, &e) == 1) {
		if (e.tag == 0x03 && bitstrings++ == 0) { /* usage comes before accessFlags */
			for (unsigned i = 0; i < 10; i++)
				k->usage |= bit_set(&e, i) ? 1u << i : 0;
		} else if (e.tag == 0x02) {
			unsigned ref;
			if (der_uint(&e, &ref) == 0 && ref <= 0xFF)
				k->key_ref = (int)ref;
		}
	}
	if (type_attrs(obj, &type) == 0 && find_tag(&type, 0x02, &e) == 0) {
		unsigned bits;
		if (der_uint(&e, &bits) == 0 && bits <= 16384)
			k->bits = bits;
	}
	return 0;
}

int p15_parse_prkdf(const uint8_t *d, size_t len, struct p15_key *out, size_t max, size_t *n)
{
	struct der_elem all = {.tag = 0, .val = d, .len = len}, e;
	struct der_iter it;
	int rc;
	*n = 0;
	iter_init(&it, &all);
	while ((rc = iter_next(&it, &e)) == 1 && *n < max) {
		if (e.tag == 0x30 && key_entry(&e, &out[*n]) == 0) /* privateRSAKey */
			(*n)++;
	}
	return rc < 0 && *n == 0 ? -1 : 0;
}

static void pin_attrs(const struct der_elem *pa, struct p15_pin *pin)
{
	struct der_iter it;
	struct der_elem e;
	int ints = 0;
	iter_init(&it, pa);
	while (iter_next(&it, &e) == 1) {
		unsigned v;
		if (e.tag == 0x03) {
			pin->needs_padding = bit_set(&e, 5);
		} else if (e.tag == 0x02 && der_uint(&e, &v) == 0 && v <= 0xFF) {
			/* minLength, storedLength, maxLength in this order */
			if (ints == 0)
				pin->min_len = v;
			else if (ints == 1)
				pin->stored_len = v;
			else if (ints == 2)
				pin->max_len = v;
			ints++;
		} else if (e.tag == 0x80 && der_uint(&e, &v) == 0 && v <= 0xFF) {
			pin->reference = (int)v;
		} else if (e.tag == 0x04 && e.len == 1) {
			pin->pad_char = e.val[0];
		}
	}
}

int p15_parse_aodf(const uint8_t *d, size_t len, struct p15_pin *out)
{
	struct der_elem all = {.tag = 0, .val = d, .len = len}, e, type;
	struct der_iter it;
	int rc;
	memset(out, 0, sizeof(*out));
	out->reference = -1;
	out->pad_char = -1;
	iter_init(&it, &all);
	while ((rc = iter_next(&it, &e)) == 1) {
		/* pin objects are SEQUENCEs; biometric etc. are context tagged */
		if (e.tag != 0x30 || type_attrs(&e, &type) != 0)
			continue;
		pin_attrs(&type, out);
		out->found = 1;
		return 0;
	}
	return rc < 0 ? -1 : 0;
}

static int inflate_to(const uint8_t *z, size_t zlen, uint8_t *out, size_t cap, size_t *out_len)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 15 + 32) != Z_OK) /* zlib or gzip header */
		return -1;
	s.next_in = z;
	s.avail_in = (uInt)zlen;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	int rc = inflate(&s, Z_FINISH);
	*out_len = cap - s.avail_out;
	inflateEnd(&s);
	return rc == Z_STREAM_END ? 0 : -1;
}

int p15_cert_decode(const uint8_t *d, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = NULL;
	size_t n = 0;

	*out = NULL;
	*out_len = 0;
	if (len < 4 || len > (size_t)4 * P15_MAX_CERT)
		return -1;
	if (d[0] == 0x30) {
		n = der_total_len(d, len);
		if (n == 0 || n > P15_MAX_CERT)
			return -1;
		buf = malloc(n);
		if (buf == NULL)
			return -1;
		memcpy(buf, d, n);
	} else {
		size_t skip = 0, want = P15_MAX_CERT;
		if (d[0] == 0x01 && d[1] == 0x00) { /* 01 00, length little endian, zlib */
			want = (size_t)d[2] | (size_t)d[3] << 8;
			skip = 4;
		} else if (!(d[0] == 0x78 || (d[0] == 0x1F && d[1] == 0x8B))) {
			return -1;
		}
		if (want == 0 || want > P15_MAX_CERT)
			return -1;
		buf = malloc(want);
		if (buf == NULL)
			return -1;
		if (inflate_to(d + skip, len - skip, buf, want, &n) != 0 || (skip && n != want)) {
			free(buf);
			return -1;
		}
	}
	size_t total = n > 0 && buf[0] == 0x30 ? der_total_len(buf, n) : 0;
	if (total == 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = total;
	return 0;
}
