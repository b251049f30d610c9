/* PDF objects: construction, access, parsing from a token stream,
 * serialization and comparison. */
#include "pdf_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

kyso_pdf_obj_t *kyso_pdf_obj_new(kyso_pdf_type_t type)
{
	kyso_pdf_obj_t *o = calloc(1, sizeof(*o));
	if (o)
		o->type = type;
	return o;
}

kyso_pdf_obj_t *kyso_pdf_obj_new_int(int64_t v)
{
	kyso_pdf_obj_t *o = kyso_pdf_obj_new(KYSO_PDF_INT);
	if (o)
		o->u.i = v;
	return o;
}

kyso_pdf_obj_t *kyso_pdf_obj_namev(const char *name)
{
	kyso_pdf_obj_t *o = kyso_pdf_obj_new(KYSO_PDF_NAME);
	if (o && !(o->u.name = strdup(name))) {
		free(o);
		return NULL;
	}
	return o;
}

kyso_pdf_obj_t *kyso_pdf_obj_new_ref(uint32_t num, uint16_t gen)
{
	kyso_pdf_obj_t *o = kyso_pdf_obj_new(KYSO_PDF_REF);
	if (o) {
		o->u.ref.num = num;
		o->u.ref.gen = gen;
	}
	return o;
}

kyso_pdf_obj_t *kyso_pdf_obj_new_string(const uint8_t *p, size_t len)
{
	kyso_pdf_obj_t *o = kyso_pdf_obj_new(KYSO_PDF_STRING);
	if (!o)
		return NULL;
	o->u.str.p = malloc(len + 1);
	if (!o->u.str.p) {
		free(o);
		return NULL;
	}
	if (len)
		memcpy(o->u.str.p, p, len);
	o->u.str.p[len] = 0;
	o->u.str.len = len;
	return o;
}

void kyso_pdf_obj_free(kyso_pdf_obj_t *o)
{
	if (!o)
		return;
	switch (o->type) {
	case KYSO_PDF_NAME:
		free(o->u.name);
		break;
	case KYSO_PDF_STRING:
		free(o->u.str.p);
		break;
	case KYSO_PDF_ARRAY:
		for (size_t i = 0; i < o->u.arr.n; i++) {
			/* items[0..n) are set; the analyzer loses track through realloc */
			// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage)
			kyso_pdf_obj_free(o->u.arr.items[i]);
		}
		free(o->u.arr.items);
		break;
	case KYSO_PDF_DICT:
		for (size_t i = 0; i < o->u.dict.n; i++) {
			free(o->u.dict.keys[i]); // NOLINT(clang-analyzer-core.CallAndMessage)
			kyso_pdf_obj_free(o->u.dict.vals[i]);
		}
		free(o->u.dict.keys);
		free(o->u.dict.vals);
		break;
	case KYSO_PDF_STREAM:
		kyso_pdf_obj_free(o->u.stream.dict);
		break;
	default:
		break;
	}
	free(o);
}

kyso_pdf_obj_t *kyso_pdf_obj_copy(const kyso_pdf_obj_t *o)
{
	if (!o)
		return kyso_pdf_obj_new(KYSO_PDF_NULL);
	kyso_pdf_obj_t *c;
	switch (o->type) {
	case KYSO_PDF_NAME:
		return kyso_pdf_obj_namev(o->u.name);
	case KYSO_PDF_STRING:
		return kyso_pdf_obj_new_string(o->u.str.p, o->u.str.len);
	case KYSO_PDF_ARRAY:
		c = kyso_pdf_obj_new(KYSO_PDF_ARRAY);
		for (size_t i = 0; c && i < o->u.arr.n; i++) {
			if (!kyso_pdf_array_push(c, kyso_pdf_obj_copy(o->u.arr.items[i]))) {
				kyso_pdf_obj_free(c);
				return NULL;
			}
		}
		return c;
	case KYSO_PDF_DICT:
		c = kyso_pdf_obj_new(KYSO_PDF_DICT);
		for (size_t i = 0; c && i < o->u.dict.n; i++) {
			if (!kyso_pdf_dict_set(c, o->u.dict.keys[i],
			                       kyso_pdf_obj_copy(o->u.dict.vals[i]))) {
				kyso_pdf_obj_free(c);
				return NULL;
			}
		}
		return c;
	case KYSO_PDF_STREAM:
		c = kyso_pdf_obj_new(KYSO_PDF_STREAM);
		if (!c)
			return NULL;
		c->u.stream = o->u.stream;
		c->u.stream.dict = kyso_pdf_obj_copy(o->u.stream.dict);
		if (!c->u.stream.dict) {
			free(c);
			return NULL;
		}
		return c;
	default:
		c = kyso_pdf_obj_new(o->type);
		if (c)
			c->u = o->u;
		return c;
	}
}

bool kyso_pdf_array_push(kyso_pdf_obj_t *a, kyso_pdf_obj_t *item)
{
	if (!item)
		return false;
	if (a->type != KYSO_PDF_ARRAY) {
		kyso_pdf_obj_free(item);
		return false;
	}
	if (a->u.arr.n == a->u.arr.cap) {
		size_t nc = a->u.arr.cap ? a->u.arr.cap * 2 : 8;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
		kyso_pdf_obj_t **p = realloc(a->u.arr.items, nc * sizeof(*p));
		if (!p) {
			kyso_pdf_obj_free(item);
			return false;
		}
		a->u.arr.items = p;
		a->u.arr.cap = nc;
	}
	a->u.arr.items[a->u.arr.n++] = item;
	return true;
}

bool kyso_pdf_dict_set(kyso_pdf_obj_t *d, const char *key, kyso_pdf_obj_t *val)
{
	if (!val)
		return false;
	if (d->type == KYSO_PDF_STREAM)
		d = d->u.stream.dict;
	if (d->type != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(val);
		return false;
	}
	for (size_t i = 0; i < d->u.dict.n; i++) {
		if (strcmp(d->u.dict.keys[i], key) == 0) {
			kyso_pdf_obj_free(d->u.dict.vals[i]);
			d->u.dict.vals[i] = val;
			return true;
		}
	}
	if (d->u.dict.n == d->u.dict.cap) {
		size_t nc = d->u.dict.cap ? d->u.dict.cap * 2 : 8;
		char **k = realloc(d->u.dict.keys, nc * sizeof(*k));
		if (k)
			d->u.dict.keys = k;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
		kyso_pdf_obj_t **v = realloc(d->u.dict.vals, nc * sizeof(*v));
		if (v)
			d->u.dict.vals = v;
		if (!k || !v) {
			kyso_pdf_obj_free(val);
			return false;
		}
		d->u.dict.cap = nc;
	}
	char *kc = strdup(key);
	if (!kc) {
		kyso_pdf_obj_free(val);
		return false;
	}
	d->u.dict.keys[d->u.dict.n] = kc;
	d->u.dict.vals[d->u.dict.n++] = val;
	return true;
}

void kyso_pdf_dict_remove(kyso_pdf_obj_t *d, const char *key)
{
	if (d->type == KYSO_PDF_STREAM)
		d = d->u.stream.dict;
	if (d->type != KYSO_PDF_DICT)
		return;
	for (size_t i = 0; i < d->u.dict.n; i++) {
		if (strcmp(d->u.dict.keys[i], key) == 0) {
			free(d->u.dict.keys[i]);
			kyso_pdf_obj_free(d->u.dict.vals[i]);
			memmove(&d->u.dict.keys[i], &d->u.dict.keys[i + 1],
			        (d->u.dict.n - i - 1) * sizeof(char *));
			memmove(&d->u.dict.vals[i], &d->u.dict.vals[i + 1],
			        (d->u.dict.n - i - 1) * sizeof(kyso_pdf_obj_t *));
			d->u.dict.n--;
			return;
		}
	}
}

/* ---- accessors ---- */

kyso_pdf_type_t kyso_pdf_obj_type(const kyso_pdf_obj_t *o)
{
	return o ? o->type : KYSO_PDF_NULL;
}

static const kyso_pdf_obj_t *as_dict(const kyso_pdf_obj_t *d)
{
	if (d && d->type == KYSO_PDF_STREAM)
		d = d->u.stream.dict;
	return d && d->type == KYSO_PDF_DICT ? d : NULL;
}

const kyso_pdf_obj_t *kyso_pdf_dict_get(const kyso_pdf_obj_t *d, const char *key)
{
	d = as_dict(d);
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->u.dict.n; i++)
		if (strcmp(d->u.dict.keys[i], key) == 0)
			return d->u.dict.vals[i];
	return NULL;
}

size_t kyso_pdf_dict_len(const kyso_pdf_obj_t *d)
{
	d = as_dict(d);
	return d ? d->u.dict.n : 0;
}

const char *kyso_pdf_dict_key(const kyso_pdf_obj_t *d, size_t i)
{
	d = as_dict(d);
	return d && i < d->u.dict.n ? d->u.dict.keys[i] : NULL;
}

const kyso_pdf_obj_t *kyso_pdf_dict_value(const kyso_pdf_obj_t *d, size_t i)
{
	d = as_dict(d);
	return d && i < d->u.dict.n ? d->u.dict.vals[i] : NULL;
}

bool kyso_pdf_obj_bool(const kyso_pdf_obj_t *o, bool *out)
{
	if (!o || o->type != KYSO_PDF_BOOL)
		return false;
	*out = o->u.b;
	return true;
}

bool kyso_pdf_obj_int(const kyso_pdf_obj_t *o, int64_t *out)
{
	if (!o)
		return false;
	if (o->type == KYSO_PDF_INT) {
		*out = o->u.i;
		return true;
	}
	if (o->type == KYSO_PDF_REAL && o->u.r > -9e18 && o->u.r < 9e18 &&
	    (double)(int64_t)o->u.r == o->u.r) {
		*out = (int64_t)o->u.r;
		return true;
	}
	return false;
}

bool kyso_pdf_obj_number(const kyso_pdf_obj_t *o, double *out)
{
	if (!o)
		return false;
	if (o->type == KYSO_PDF_INT) {
		*out = (double)o->u.i;
		return true;
	}
	if (o->type == KYSO_PDF_REAL) {
		*out = o->u.r;
		return true;
	}
	return false;
}

const char *kyso_pdf_obj_name(const kyso_pdf_obj_t *o)
{
	return o && o->type == KYSO_PDF_NAME ? o->u.name : NULL;
}

bool kyso_pdf_obj_is_name(const kyso_pdf_obj_t *o, const char *name)
{
	const char *n = kyso_pdf_obj_name(o);
	return n && strcmp(n, name) == 0;
}

const uint8_t *kyso_pdf_obj_string(const kyso_pdf_obj_t *o, size_t *len)
{
	if (!o || o->type != KYSO_PDF_STRING)
		return NULL;
	if (len)
		*len = o->u.str.len;
	return o->u.str.p;
}

size_t kyso_pdf_array_len(const kyso_pdf_obj_t *a)
{
	return a && a->type == KYSO_PDF_ARRAY ? a->u.arr.n : 0;
}

const kyso_pdf_obj_t *kyso_pdf_array_get(const kyso_pdf_obj_t *a, size_t i)
{
	return a && a->type == KYSO_PDF_ARRAY && i < a->u.arr.n ? a->u.arr.items[i] : NULL;
}

bool kyso_pdf_obj_ref(const kyso_pdf_obj_t *o, uint32_t *num, uint16_t *gen)
{
	if (!o || o->type != KYSO_PDF_REF)
		return false;
	if (num)
		*num = o->u.ref.num;
	if (gen)
		*gen = o->u.ref.gen;
	return true;
}

/* PDFDocEncoding 0x80..0xAD differ from Latin-1 (ISO 32000-2 Annex D). */
static const uint16_t pdfdoc_high[32] = {
        0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203A, 0x2212,
        0x2030, 0x201E, 0x201C, 0x201D, 0x2018, 0x2019, 0x201A, 0x2122, 0xFB01, 0xFB02, 0x0141,
        0x0152, 0x0160, 0x0178, 0x017D, 0x0131, 0x0142, 0x0153, 0x0161, 0x017E, 0xFFFD};

static bool put_utf8(kyso_buf_t *b, uint32_t cp)
{
	uint8_t t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (uint8_t)(0xC0 | (cp >> 6));
		t[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (uint8_t)(0xE0 | (cp >> 12));
		t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		t[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		t[0] = (uint8_t)(0xF0 | (cp >> 18));
		t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
		t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		t[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return kyso_buf_append(b, t, n) == KYSO_OK;
}

char *kyso_pdf_obj_text(const kyso_pdf_obj_t *o)
{
	size_t len;
	const uint8_t *p = kyso_pdf_obj_string(o, &len);
	if (!p)
		return NULL;
	kyso_buf_t b;
	kyso_buf_init(&b);
	bool ok = true;
	if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
		for (size_t i = 2; ok && i + 1 < len; i += 2) {
			uint32_t cp = (uint32_t)(p[i] << 8 | p[i + 1]);
			if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < len) {
				uint32_t lo = (uint32_t)(p[i + 2] << 8 | p[i + 3]);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 2;
				}
			}
			ok = put_utf8(&b, cp);
		}
	} else if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		ok = kyso_buf_append(&b, p + 3, len - 3) == KYSO_OK;
	} else {
		for (size_t i = 0; ok && i < len; i++) {
			uint32_t cp = p[i];
			if (cp >= 0x80 && cp < 0xA0)
				cp = pdfdoc_high[cp - 0x80];
			ok = put_utf8(&b, cp);
		}
	}
	if (ok)
		ok = kyso_buf_append(&b, "", 1) == KYSO_OK;
	if (!ok) {
		kyso_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* ---- parser ---- */

static kyso_pdf_obj_t *parse_fail(kyso_error_t *err, const char *what, uint64_t pos)
{
	if (err && err->code == KYSO_OK)
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Damaged PDF object: %s at byte %llu"),
		               what, (unsigned long long)pos);
	return NULL;
}

static kyso_pdf_obj_t *parse_tok(pdf_src_t *s, pdf_tok_t *t, int depth, kyso_error_t *err);

static kyso_pdf_obj_t *parse_container(pdf_src_t *s, pdf_tok_t *t, int depth, bool is_dict,
                                       kyso_error_t *err)
{
	kyso_pdf_obj_t *o = kyso_pdf_obj_new(is_dict ? KYSO_PDF_DICT : KYSO_PDF_ARRAY);
	if (!o)
		return NULL;
	for (;;) {
		uint64_t pos = s->pos;
		pdf_tok_type_t tt = kyso_pdf_lex(s, t);
		if (tt == (is_dict ? TOK_DICT_CLOSE : TOK_ARRAY_CLOSE))
			return o;
		if (tt == TOK_EOF || tt == TOK_ERROR) {
			kyso_pdf_obj_free(o);
			return parse_fail(
			        err, is_dict ? "unterminated dictionary" : "unterminated array",
			        pos);
		}
		if (is_dict) {
			if (tt != TOK_NAME) {
				/* tolerate junk keywords inside dictionaries (e.g. stray "endobj")
				 */
				if (tt == TOK_KEYWORD &&
				    (strcmp((char *)t->s.data, "endobj") == 0 ||
				     strcmp((char *)t->s.data, "stream") == 0)) {
					s->pos = pos;
					return o;
				}
				kyso_pdf_obj_free(o);
				return parse_fail(err, "dictionary key is not a name", pos);
			}
			char *key = strdup((char *)t->s.data);
			if (!key) {
				kyso_pdf_obj_free(o);
				return NULL;
			}
			pos = s->pos;
			pdf_tok_type_t vt = kyso_pdf_lex(s, t);
			if (vt == TOK_DICT_CLOSE) {
				/* key without value: treat as null and end */
				free(key);
				return o;
			}
			kyso_pdf_obj_t *v = vt == TOK_EOF ? NULL : parse_tok(s, t, depth + 1, err);
			if (!v || !kyso_pdf_dict_set(o, key, v)) {
				free(key);
				kyso_pdf_obj_free(o);
				return v ? NULL : parse_fail(err, "bad dictionary value", pos);
			}
			free(key);
		} else {
			kyso_pdf_obj_t *v = parse_tok(s, t, depth + 1, err);
			if (!v || !kyso_pdf_array_push(o, v)) {
				kyso_pdf_obj_free(o);
				return v ? NULL : parse_fail(err, "bad array item", pos);
			}
		}
	}
}

static kyso_pdf_obj_t *parse_tok(pdf_src_t *s, pdf_tok_t *t, int depth, kyso_error_t *err)
{
	if (depth > PDF_MAX_DEPTH) {
		if (err && err->code == KYSO_OK)
			kyso_error_set(err, KYSO_ERR_BAD_PDF,
			               _("The PDF nests objects too deeply (limit %d)"),
			               PDF_MAX_DEPTH);
		return NULL;
	}
	kyso_pdf_obj_t *o;
	switch (t->type) {
	case TOK_INT: {
		int64_t v = t->i;
		uint64_t save = s->pos;
		if (v >= 0 && v <= UINT32_MAX) {
			if (kyso_pdf_lex(s, t) == TOK_INT && t->i >= 0 && t->i <= 65535) {
				int64_t g = t->i;
				if (kyso_pdf_lex(s, t) == TOK_KEYWORD &&
				    strcmp((char *)t->s.data, "R") == 0)
					return kyso_pdf_obj_new_ref((uint32_t)v, (uint16_t)g);
			}
		}
		s->pos = save;
		return kyso_pdf_obj_new_int(v);
	}
	case TOK_REAL:
		o = kyso_pdf_obj_new(KYSO_PDF_REAL);
		if (o)
			o->u.r = t->r;
		return o;
	case TOK_NAME:
		return kyso_pdf_obj_namev((char *)(t->s.data ? t->s.data : (uint8_t *)""));
	case TOK_STRING:
		return kyso_pdf_obj_new_string(t->s.data, t->s.len);
	case TOK_ARRAY_OPEN:
		return parse_container(s, t, depth, false, err);
	case TOK_DICT_OPEN:
		return parse_container(s, t, depth, true, err);
	case TOK_KEYWORD: {
		const char *k = (const char *)t->s.data;
		if (strcmp(k, "true") == 0 || strcmp(k, "false") == 0) {
			o = kyso_pdf_obj_new(KYSO_PDF_BOOL);
			if (o)
				o->u.b = k[0] == 't';
			return o;
		}
		if (strcmp(k, "null") == 0)
			return kyso_pdf_obj_new(KYSO_PDF_NULL);
		return parse_fail(err, "unexpected keyword", t->start);
	}
	default:
		return parse_fail(err, "unexpected token", t->start);
	}
}

kyso_pdf_obj_t *kyso_pdf_parse_object(pdf_src_t *s, int depth, kyso_error_t *err)
{
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	kyso_pdf_obj_t *o = NULL;
	pdf_tok_type_t tt = kyso_pdf_lex(s, &t);
	if (tt == TOK_EOF || tt == TOK_ERROR)
		parse_fail(err, "missing object", t.start);
	else
		o = parse_tok(s, &t, depth, err);
	kyso_pdf_tok_free(&t);
	return o;
}

/* ---- serializer ---- */

void kyso_pdf_write_name(kyso_buf_t *out, const char *name)
{
	kyso_buf_append(out, "/", 1);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '#' || kyso_pdf_is_delim(*p))
			kyso_buf_printf(out, "#%02X", *p);
		else
			kyso_buf_append(out, p, 1);
	}
}

static void write_hex(kyso_buf_t *out, const uint8_t *p, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	kyso_buf_append(out, "<", 1);
	if (kyso_buf_reserve(out, len * 2 + 1) == KYSO_OK) {
		for (size_t i = 0; i < len; i++) {
			out->data[out->len++] = (uint8_t)hx[p[i] >> 4];
			out->data[out->len++] = (uint8_t)hx[p[i] & 15];
		}
	}
	kyso_buf_append(out, ">", 1);
}

static kyso_err_t write_string(kyso_pdf_t *pdf, kyso_buf_t *out, const uint8_t *p, size_t len,
                               uint32_t num, uint16_t gen)
{
	if (pdf && pdf->crypt.on) {
		kyso_buf_t enc;
		kyso_buf_init(&enc);
		kyso_error_t e;
		kyso_error_clear(&e);
		kyso_err_t rc = kyso_pdf_crypt_buf(pdf, true, false, num, gen, p, len, &enc, &e);
		if (rc == KYSO_OK)
			write_hex(out, enc.data, enc.len);
		kyso_buf_free(&enc);
		return rc;
	}
	write_hex(out, p, len);
	return KYSO_OK;
}

kyso_err_t kyso_pdf_write_text_string(kyso_pdf_t *pdf, kyso_buf_t *out, const char *utf8,
                                      uint32_t num, uint16_t gen)
{
	kyso_buf_t u;
	kyso_buf_init(&u);
	bool ascii = true;
	for (const unsigned char *p = (const unsigned char *)utf8; *p; p++)
		if (*p >= 0x80)
			ascii = false;
	if (ascii) {
		kyso_buf_append(&u, utf8, strlen(utf8));
	} else {
		/* UTF-8 -> UTF-16BE with BOM */
		const uint8_t bom[2] = {0xFE, 0xFF};
		kyso_buf_append(&u, bom, 2);
		const unsigned char *p = (const unsigned char *)utf8;
		while (*p) {
			uint32_t cp;
			int n;
			if (*p < 0x80) {
				cp = *p;
				n = 1;
			} else if ((*p & 0xE0) == 0xC0) {
				cp = *p & 0x1Fu;
				n = 2;
			} else if ((*p & 0xF0) == 0xE0) {
				cp = *p & 0x0Fu;
				n = 3;
			} else {
				cp = *p & 0x07u;
				n = 4;
			}
			int k;
			for (k = 1; k < n && (p[k] & 0xC0) == 0x80; k++)
				cp = cp << 6 | (p[k] & 0x3Fu);
			if (k < n)
				cp = 0xFFFD;
			p += k;
			uint8_t t[4];
			if (cp >= 0x10000) {
				cp -= 0x10000;
				uint32_t hi = 0xD800 + (cp >> 10), lo = 0xDC00 + (cp & 0x3FF);
				t[0] = (uint8_t)(hi >> 8);
				t[1] = (uint8_t)hi;
				t[2] = (uint8_t)(lo >> 8);
				t[3] = (uint8_t)lo;
				kyso_buf_append(&u, t, 4);
			} else {
				t[0] = (uint8_t)(cp >> 8);
				t[1] = (uint8_t)cp;
				kyso_buf_append(&u, t, 2);
			}
		}
	}
	kyso_err_t rc =
	        write_string(pdf, out, u.data ? u.data : (const uint8_t *)"", u.len, num, gen);
	kyso_buf_free(&u);
	return rc;
}

static void write_real(kyso_buf_t *out, double r)
{
	char tmp[64];
	if (!isfinite(r))
		r = 0;
	snprintf(tmp, sizeof(tmp), "%.6f", r);
	char *e = tmp + strlen(tmp) - 1;
	while (e > tmp && *e == '0')
		*e-- = 0;
	if (*e == '.')
		*e = 0;
	if (strcmp(tmp, "-0") == 0)
		strcpy(tmp, "0");
	kyso_buf_append(out, tmp, strlen(tmp));
}

kyso_err_t kyso_pdf_obj_serialize(kyso_pdf_t *pdf, const kyso_pdf_obj_t *o, uint32_t num,
                                  uint16_t gen, kyso_buf_t *out)
{
	kyso_err_t rc = KYSO_OK;
	switch (kyso_pdf_obj_type(o)) {
	case KYSO_PDF_NULL:
		kyso_buf_append(out, "null", 4);
		break;
	case KYSO_PDF_BOOL:
		kyso_buf_printf(out, "%s", o->u.b ? "true" : "false");
		break;
	case KYSO_PDF_INT:
		kyso_buf_printf(out, "%lld", (long long)o->u.i);
		break;
	case KYSO_PDF_REAL:
		write_real(out, o->u.r);
		break;
	case KYSO_PDF_NAME:
		kyso_pdf_write_name(out, o->u.name);
		break;
	case KYSO_PDF_STRING:
		rc = write_string(pdf, out, o->u.str.p, o->u.str.len, num, gen);
		break;
	case KYSO_PDF_ARRAY:
		kyso_buf_append(out, "[", 1);
		for (size_t i = 0; rc == KYSO_OK && i < o->u.arr.n; i++) {
			if (i)
				kyso_buf_append(out, " ", 1);
			rc = kyso_pdf_obj_serialize(pdf, o->u.arr.items[i], num, gen, out);
		}
		kyso_buf_append(out, "]", 1);
		break;
	case KYSO_PDF_DICT:
		kyso_buf_append(out, "<<", 2);
		for (size_t i = 0; rc == KYSO_OK && i < o->u.dict.n; i++) {
			kyso_pdf_write_name(out, o->u.dict.keys[i]);
			kyso_buf_append(out, " ", 1);
			rc = kyso_pdf_obj_serialize(pdf, o->u.dict.vals[i], num, gen, out);
		}
		kyso_buf_append(out, ">>", 2);
		break;
	case KYSO_PDF_REF:
		kyso_buf_printf(out, "%u %u R", o->u.ref.num, o->u.ref.gen);
		break;
	case KYSO_PDF_STREAM:
		/* streams are never rewritten by the update */
		rc = KYSO_ERR_INTERNAL;
		break;
	}
	return rc;
}

bool kyso_pdf_obj_equal(const kyso_pdf_obj_t *a, const kyso_pdf_obj_t *b)
{
	if (kyso_pdf_obj_type(a) != kyso_pdf_obj_type(b))
		return false;
	if (!a)
		return true;
	switch (a->type) {
	case KYSO_PDF_NULL:
		return true;
	case KYSO_PDF_BOOL:
		return a->u.b == b->u.b;
	case KYSO_PDF_INT:
		return a->u.i == b->u.i;
	case KYSO_PDF_REAL:
		return a->u.r == b->u.r;
	case KYSO_PDF_NAME:
		return strcmp(a->u.name, b->u.name) == 0;
	case KYSO_PDF_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.p, b->u.str.p, a->u.str.len) == 0;
	case KYSO_PDF_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!kyso_pdf_obj_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case KYSO_PDF_DICT:
		if (a->u.dict.n != b->u.dict.n)
			return false;
		for (size_t i = 0; i < a->u.dict.n; i++)
			if (!kyso_pdf_obj_equal(a->u.dict.vals[i],
			                        kyso_pdf_dict_get(b, a->u.dict.keys[i])))
				return false;
		return true;
	case KYSO_PDF_REF:
		return a->u.ref.num == b->u.ref.num && a->u.ref.gen == b->u.ref.gen;
	case KYSO_PDF_STREAM:
		return a->u.stream.offset == b->u.stream.offset &&
		       a->u.stream.length == b->u.stream.length &&
		       kyso_pdf_obj_equal(a->u.stream.dict, b->u.stream.dict);
	}
	return false;
}
