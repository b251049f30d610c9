/* Opening a PDF, loading objects on demand, stream data, page tree. */
#include "pdf_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void kyso_pdf_warn(kyso_pdf_t *pdf, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pdf->nwarnings >= 64)
		return;
	char **w = realloc(pdf->warnings, (pdf->nwarnings + 1) * sizeof(*w));
	if (!w)
		return;
	pdf->warnings = w;
	w[pdf->nwarnings] = strdup(msg);
	if (w[pdf->nwarnings])
		pdf->nwarnings++;
	kyso_warn("pdf: %s", msg);
}

static bool find_header(kyso_pdf_t *pdf)
{
	uint8_t buf[4096];
	size_t n = kyso_pdf_file_read(pdf, 0, buf, sizeof(buf));
	for (size_t i = 0; i + 8 <= n; i++) {
		if (memcmp(buf + i, "%PDF-", 5) == 0 && buf[i + 5] >= '1' && buf[i + 5] <= '9' &&
		    buf[i + 6] == '.' && buf[i + 7] >= '0' && buf[i + 7] <= '9') {
			pdf->hdr = i;
			pdf->version = (buf[i + 5] - '0') * 10 + (buf[i + 7] - '0');
			return true;
		}
	}
	return false;
}

static bool check_root(kyso_pdf_t *pdf)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, &e);
	bool ok = cat && kyso_pdf_obj_type(cat) == KYSO_PDF_DICT &&
	          kyso_pdf_obj_type(kyso_pdf_dict_get(cat, "Pages")) == KYSO_PDF_REF;
	kyso_pdf_obj_free(cat);
	return ok;
}

/* Opens the PDF read through f (taken over; NULL: open path). */
static kyso_pdf_t *pdf_open(FILE *f, const char *path, const char *password, uint64_t max_size,
                            kyso_error_t *err)
{
	kyso_error_clear(err);
	if (max_size == 0)
		max_size = KYSO_PDF_DEFAULT_MAX_SIZE;
	kyso_pdf_t *pdf = calloc(1, sizeof(*pdf));
	if (!pdf) {
		if (f)
			fclose(f);
		kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		return NULL;
	}
	pdf->page_count = -1;
	pdf->f = f ? f : fopen(path, "rb");
	if (!pdf->f) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(fileno(pdf->f), &st) != 0 || !S_ISREG(st.st_mode)) {
		kyso_error_set(err, KYSO_ERR_IO, _("%s is not a regular file"), path);
		goto fail;
	}
	pdf->size = (uint64_t)st.st_size;
	if (pdf->size > max_size) {
		kyso_error_set(err, KYSO_ERR_TOO_LARGE,
		               _("The file is %llu bytes, larger than the allowed %llu bytes"),
		               (unsigned long long)pdf->size, (unsigned long long)max_size);
		goto fail;
	}
	pdf->work_max = PDF_WORK_BASE + PDF_WORK_PER_BYTE * pdf->size;
	if (!find_header(pdf)) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("%s is not a PDF file (no %%PDF- header)"),
		               path);
		goto fail;
	}
	if (pdf->hdr > 0)
		kyso_pdf_warn(pdf, _("%llu bytes of junk before the PDF header were ignored"),
		              (unsigned long long)pdf->hdr);
	kyso_error_t xe;
	kyso_error_clear(&xe);
	kyso_err_t rc = kyso_pdf_xref_load(pdf, &xe);
	if (rc == KYSO_ERR_NOMEM) {
		*err = xe;
		goto fail;
	}
	/* The catalog is checked before decryption: it carries no strings we need.
	 * A budget used up is no accident to repair: the file is refused. */
	if (!pdf->over_budget && (rc != KYSO_OK || !check_root(pdf)) && !pdf->over_budget) {
		kyso_debug("pdf: xref unusable (%s), rebuilding", kyso_error_message(&xe));
		if (kyso_pdf_xref_repair(pdf, err) != KYSO_OK) {
			kyso_pdf_budget_error(pdf, err);
			goto fail;
		}
	}
	if (kyso_pdf_budget_error(pdf, err) != KYSO_OK)
		goto fail;
	const kyso_pdf_obj_t *enc = kyso_pdf_dict_get(pdf->trailer, "Encrypt");
	if (enc && kyso_pdf_obj_type(enc) != KYSO_PDF_NULL) {
		if (kyso_pdf_crypt_init(pdf, password, err) != KYSO_OK)
			goto fail;
		kyso_pdf_repair_after_crypt(pdf);
	}
	if (!check_root(pdf)) {
		kyso_error_set(
		        err, KYSO_ERR_BAD_PDF,
		        _("The PDF has no usable document catalog; it is damaged beyond repair"));
		kyso_pdf_budget_error(pdf, err);
		goto fail;
	}
	return pdf;
fail:
	kyso_pdf_free(&pdf);
	return NULL;
}

kyso_pdf_t *kyso_pdf_open(const char *path, const char *password, uint64_t max_size,
                          kyso_error_t *err)
{
	return pdf_open(NULL, path, password, max_size, err);
}

kyso_pdf_t *kyso_pdf_open_stream(FILE *stream, const char *name, const char *password,
                                 uint64_t max_size, kyso_error_t *err)
{
	kyso_error_clear(err);
	if (fflush(stream) != 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot read %s: %s"), name, strerror(errno));
		return NULL;
	}
	int fd = dup(fileno(stream));
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!f) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot read %s: %s"), name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return pdf_open(f, name, password, max_size, err);
}

void kyso_pdf_free(kyso_pdf_t **pp)
{
	kyso_pdf_t *pdf = pp ? *pp : NULL;
	if (!pdf)
		return;
	if (pdf->f)
		fclose(pdf->f);
	free(pdf->xref);
	for (size_t i = 0; i < pdf->nsections; i++) {
		free(pdf->sections[i].items);
		kyso_pdf_obj_free(pdf->sections[i].trailer);
	}
	free(pdf->sections);
	kyso_pdf_obj_free(pdf->repair_trailer);
	kyso_pdf_objstm_cache_clear(pdf);
	for (size_t i = 0; i < pdf->nwarnings; i++)
		free(pdf->warnings[i]);
	free(pdf->warnings);
	free(pdf->revs);
	kyso_memzero(&pdf->crypt, sizeof(pdf->crypt));
	free(pdf);
	*pp = NULL;
}

uint64_t kyso_pdf_file_size(const kyso_pdf_t *pdf)
{
	return pdf->size;
}

uint64_t kyso_pdf_header_offset(const kyso_pdf_t *pdf)
{
	return pdf->hdr;
}

int kyso_pdf_version(const kyso_pdf_t *pdf)
{
	return pdf->version;
}

bool kyso_pdf_is_encrypted(const kyso_pdf_t *pdf)
{
	return pdf->crypt.on;
}

size_t kyso_pdf_xref_section_count(const kyso_pdf_t *pdf)
{
	return pdf->nsections;
}

bool kyso_pdf_was_repaired(const kyso_pdf_t *pdf)
{
	return pdf->repaired;
}

kyso_err_t kyso_pdf_budget_check(const kyso_pdf_t *pdf, kyso_error_t *err)
{
	return kyso_pdf_budget_error(pdf, err);
}

size_t kyso_pdf_warning_count(const kyso_pdf_t *pdf)
{
	return pdf->nwarnings;
}

const char *kyso_pdf_warning(const kyso_pdf_t *pdf, size_t i)
{
	return i < pdf->nwarnings ? pdf->warnings[i] : NULL;
}

const kyso_pdf_obj_t *kyso_pdf_trailer(const kyso_pdf_t *pdf)
{
	return pdf->trailer;
}

/* ---- loading objects ---- */

static bool expect_keyword(pdf_src_t *s, pdf_tok_t *t, const char *kw)
{
	return kyso_pdf_lex(s, t) == TOK_KEYWORD && strcmp((char *)t->s.data, kw) == 0;
}

/* Finds needle at or after from (absolute), within limit bytes. */
static uint64_t file_find(kyso_pdf_t *pdf, uint64_t from, uint64_t limit, const char *needle)
{
	size_t nl = strlen(needle);
	uint8_t buf[65536];
	uint64_t pos = from;
	uint64_t stop = limit == 0 || from + limit > pdf->size ? pdf->size : from + limit;
	while (pos < stop) {
		size_t want = sizeof(buf);
		if (want > stop - pos + nl)
			want = (size_t)(stop - pos + nl);
		size_t n = kyso_pdf_file_read(pdf, pos, buf, want);
		if (n < nl || !pdf_work(pdf, n))
			break;
		for (size_t i = 0; i + nl <= n; i++)
			if (buf[i] == (uint8_t)needle[0] && memcmp(buf + i, needle, nl) == 0)
				return pos + i;
		pos += n - nl + 1;
	}
	return UINT64_MAX;
}

kyso_pdf_obj_t *kyso_pdf_parse_indirect(kyso_pdf_t *pdf, uint64_t abs_off, uint32_t num,
                                        uint16_t *gen_out, kyso_error_t *err)
{
	pdf_src_t s;
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	kyso_pdf_obj_t *o = NULL;
	kyso_pdf_src_file(&s, pdf, abs_off);
	if (kyso_pdf_lex(&s, &t) != TOK_INT || (num != UINT32_MAX && t.i != num)) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF,
		               _("Object %u is not at the offset the xref gives"), num);
		goto out;
	}
	uint16_t gen = 0;
	bool gen_ok = kyso_pdf_lex(&s, &t) == TOK_INT && t.i >= 0 && t.i <= 65535;
	if (gen_ok)
		gen = (uint16_t)t.i;
	if (gen_out)
		*gen_out = gen;
	if (!gen_ok || !expect_keyword(&s, &t, "obj")) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF,
		               _("Object %u is not at the offset the xref gives"), num);
		goto out;
	}
	o = kyso_pdf_parse_object(&s, 0, err);
	if (!o)
		goto out;
	uint64_t after = s.pos;
	if (o->type == KYSO_PDF_DICT && expect_keyword(&s, &t, "stream")) {
		int c = kyso_pdf_src_get(&s);
		if (c == '\r') {
			if (kyso_pdf_src_peek(&s) == '\n')
				s.pos++;
		} else if (c != '\n') {
			s.pos--;
		}
		uint64_t data = s.pos;
		int64_t len = -1;
		const kyso_pdf_obj_t *lo = kyso_pdf_dict_get(o, "Length");
		if (!kyso_pdf_get_int(pdf, lo, &len))
			len = -1;
		bool ok = false;
		if (len >= 0 && (uint64_t)len <= pdf->size - data) {
			pdf_src_t e;
			kyso_pdf_src_file(&e, pdf, data + (uint64_t)len);
			ok = expect_keyword(&e, &t, "endstream");
		}
		if (!ok) {
			uint64_t at = file_find(pdf, data, 0, "endstream");
			if (at == UINT64_MAX) {
				kyso_error_set(err, KYSO_ERR_BAD_PDF,
				               _("The stream of object %u has no end"), num);
				kyso_pdf_obj_free(o);
				o = NULL;
				goto out;
			}
			uint64_t end = at;
			uint8_t eol[2];
			if (end - data >= 2 && kyso_pdf_file_read(pdf, end - 2, eol, 2) == 2) {
				if (eol[0] == '\r' && eol[1] == '\n')
					end -= 2;
				else if (eol[1] == '\n' || eol[1] == '\r')
					end -= 1;
			}
			len = (int64_t)(end - data);
		}
		kyso_pdf_obj_t *st = kyso_pdf_obj_new(KYSO_PDF_STREAM);
		if (!st) {
			kyso_pdf_obj_free(o);
			o = NULL;
			goto out;
		}
		st->u.stream.dict = o;
		st->u.stream.offset = data;
		st->u.stream.length = (uint64_t)len;
		st->u.stream.num = num;
		st->u.stream.gen = gen;
		o = st;
	} else {
		s.pos = after;
	}
out:
	kyso_pdf_tok_free(&t);
	return o;
}

kyso_pdf_obj_t *kyso_pdf_load_entry(kyso_pdf_t *pdf, uint32_t num, const pdf_xref_entry_t *e,
                                    kyso_error_t *err)
{
	if (pdf->load_depth > 16) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object %u refers to itself in a loop"),
		               num);
		return NULL;
	}
	kyso_pdf_obj_t *o = NULL;
	pdf->load_depth++;
	if (e->type == XREF_OFFSET) {
		uint16_t gen = 0;
		if (e->off >= pdf->size - pdf->hdr) {
			kyso_error_set(err, KYSO_ERR_BAD_PDF,
			               _("Object %u is beyond the end of the file"), num);
		} else {
			o = kyso_pdf_parse_indirect(pdf, pdf->hdr + e->off, num, &gen, err);
			if (o && pdf->crypt.on && num != pdf->crypt.encrypt_num &&
			    kyso_pdf_crypt_obj(pdf, o, num, gen, err) != KYSO_OK) {
				kyso_pdf_obj_free(o);
				o = NULL;
			}
		}
	} else if (e->type == XREF_COMPRESSED) {
		if (e->off > UINT32_MAX)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object %u: bad object stream"),
			               num);
		else
			o = kyso_pdf_objstm_load(pdf, (uint32_t)e->off, e->idx, num, err);
	} else {
		o = kyso_pdf_obj_new(KYSO_PDF_NULL);
	}
	pdf->load_depth--;
	return o;
}

kyso_pdf_obj_t *kyso_pdf_load(kyso_pdf_t *pdf, uint32_t num, kyso_error_t *err)
{
	if (pdf->over_budget) {
		kyso_pdf_budget_error(pdf, err);
		return NULL;
	}
	if (num >= pdf->xref_n || pdf->xref[num].type == XREF_FREE ||
	    pdf->xref[num].type == XREF_NONE)
		return kyso_pdf_obj_new(KYSO_PDF_NULL);
	kyso_error_t e;
	kyso_error_clear(&e);
	pdf_xref_entry_t ent = pdf->xref[num];
	kyso_pdf_obj_t *o = kyso_pdf_load_entry(pdf, num, &ent, &e);
	if (!o && e.code == KYSO_ERR_BAD_PDF && !pdf->repaired && !pdf->repairing &&
	    pdf->load_depth == 0 && !pdf->over_budget) {
		kyso_error_t re;
		kyso_error_clear(&re);
		if (kyso_pdf_xref_repair(pdf, &re) == KYSO_OK) {
			kyso_error_clear(&e);
			if (num >= pdf->xref_n)
				return kyso_pdf_obj_new(KYSO_PDF_NULL);
			ent = pdf->xref[num];
			o = kyso_pdf_load_entry(pdf, num, &ent, &e);
		}
	}
	if (!o && err) {
		*err = e;
		kyso_pdf_budget_error(pdf, err);
	}
	return o;
}

kyso_pdf_obj_t *kyso_pdf_resolve(kyso_pdf_t *pdf, const kyso_pdf_obj_t *obj, kyso_error_t *err)
{
	if (obj && obj->type == KYSO_PDF_REF)
		return kyso_pdf_load(pdf, obj->u.ref.num, err);
	return kyso_pdf_obj_copy(obj);
}

bool kyso_pdf_get_int(kyso_pdf_t *pdf, const kyso_pdf_obj_t *obj, int64_t *out)
{
	if (kyso_pdf_obj_int(obj, out))
		return true;
	if (!obj || obj->type != KYSO_PDF_REF)
		return false;
	kyso_pdf_obj_t *o = kyso_pdf_load(pdf, obj->u.ref.num, NULL);
	bool ok = kyso_pdf_obj_int(o, out);
	kyso_pdf_obj_free(o);
	return ok;
}

kyso_pdf_obj_t *kyso_pdf_catalog(kyso_pdf_t *pdf, kyso_error_t *err)
{
	const kyso_pdf_obj_t *root = kyso_pdf_dict_get(pdf->trailer, "Root");
	if (!root || root->type != KYSO_PDF_REF) {
		if (err)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			               _("The PDF trailer has no document catalog (/Root)"));
		return NULL;
	}
	kyso_pdf_obj_t *c = kyso_pdf_load(pdf, root->u.ref.num, err);
	if (c && c->type != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(c);
		if (err)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			               _("The PDF document catalog is not a dictionary"));
		return NULL;
	}
	return c;
}

/* ---- streams ---- */

kyso_err_t kyso_pdf_stream_decode(kyso_pdf_t *pdf, const kyso_pdf_obj_t *st, size_t max,
                                  kyso_buf_t *out, bool *decoded, kyso_error_t *err)
{
	if (!st || st->type != KYSO_PDF_STREAM)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s", _("Object is not a stream"));
	uint64_t len = st->u.stream.length;
	if (len > PDF_MAX_DECODED || len > (uint64_t)max * 4 + ((uint64_t)1 << 20))
		return kyso_error_set(err, KYSO_ERR_BAD_PDF,
		                      _("A stream of %llu bytes exceeds the reading limit"),
		                      (unsigned long long)len);
	if (!pdf_work(pdf, len))
		return kyso_pdf_budget_error(pdf, err);
	kyso_buf_t raw;
	kyso_buf_init(&raw);
	if (kyso_buf_reserve(&raw, (size_t)len + 1) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	raw.len = kyso_pdf_file_read(pdf, st->u.stream.offset, raw.data, (size_t)len);
	if (raw.len != len) {
		kyso_buf_free(&raw);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("A stream runs past the end of the file"));
	}
	const kyso_pdf_obj_t *d = st->u.stream.dict;
	bool is_xref = kyso_pdf_obj_is_name(kyso_pdf_dict_get(d, "Type"), "XRef");
	bool is_meta = kyso_pdf_obj_is_name(kyso_pdf_dict_get(d, "Type"), "Metadata");
	if (pdf->crypt.on && !is_xref && st->u.stream.num != pdf->crypt.encrypt_num &&
	    !(is_meta && !pdf->crypt.encrypt_metadata)) {
		kyso_buf_t dec;
		kyso_buf_init(&dec);
		kyso_err_t rc = kyso_pdf_crypt_buf(pdf, false, true, st->u.stream.num,
		                                   st->u.stream.gen, raw.data, raw.len, &dec, err);
		kyso_buf_free(&raw);
		if (rc != KYSO_OK) {
			kyso_buf_free(&dec);
			return rc;
		}
		raw = dec;
	}
	const kyso_pdf_obj_t *filt = kyso_pdf_dict_get(d, "Filter");
	const kyso_pdf_obj_t *parms = kyso_pdf_dict_get(d, "DecodeParms");
	size_t nf = filt && filt->type == KYSO_PDF_ARRAY ? filt->u.arr.n : (filt ? 1 : 0);
	*decoded = true;
	for (size_t i = 0; i < nf; i++) {
		const kyso_pdf_obj_t *f =
		        filt->type == KYSO_PDF_ARRAY ? filt->u.arr.items[i] : filt;
		const kyso_pdf_obj_t *p = parms && parms->type == KYSO_PDF_ARRAY
		                                  ? kyso_pdf_array_get(parms, i)
		                                  : parms;
		const char *fn = kyso_pdf_obj_name(f);
		if (fn && (strcmp(fn, "FlateDecode") == 0 || strcmp(fn, "Fl") == 0)) {
			kyso_buf_t dec;
			kyso_buf_init(&dec);
			kyso_err_t rc = kyso_pdf_flate_decode(raw.data, raw.len, max, &dec, err);
			kyso_buf_free(&raw);
			if (rc != KYSO_OK) {
				kyso_buf_free(&dec);
				return rc;
			}
			raw = dec;
			int64_t pred = 1, colors = 1, bpc = 8, cols = 1;
			if (p && p->type == KYSO_PDF_DICT) {
				kyso_pdf_obj_int(kyso_pdf_dict_get(p, "Predictor"), &pred);
				kyso_pdf_obj_int(kyso_pdf_dict_get(p, "Colors"), &colors);
				kyso_pdf_obj_int(kyso_pdf_dict_get(p, "BitsPerComponent"), &bpc);
				kyso_pdf_obj_int(kyso_pdf_dict_get(p, "Columns"), &cols);
			}
			if (pred > 1) {
				if (pred > 15 || colors < 1 || colors > 32 || bpc < 1 || bpc > 16 ||
				    cols < 1 || cols > 1 << 20) {
					kyso_buf_free(&raw);
					return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
					                      _("Unsupported stream predictor"));
				}
				rc = kyso_pdf_png_unpredict(&raw, (int)pred, (int)colors, (int)bpc,
				                            (int)cols, err);
				if (rc != KYSO_OK) {
					kyso_buf_free(&raw);
					return rc;
				}
			}
		} else if (fn && strcmp(fn, "Crypt") == 0) {
			continue;
		} else {
			*decoded = false;
			break;
		}
	}
	if (raw.len > max) {
		kyso_buf_free(&raw);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF,
		                      _("A stream decodes to more than %zu bytes (limit)"), max);
	}
	if (*decoded && !pdf_work(pdf, raw.len)) {
		kyso_buf_free(&raw);
		return kyso_pdf_budget_error(pdf, err);
	}
	*out = raw;
	return KYSO_OK;
}

kyso_err_t kyso_pdf_stream_data(kyso_pdf_t *pdf, const kyso_pdf_obj_t *stream, size_t max,
                                kyso_buf_t *out, bool *decoded, kyso_error_t *err)
{
	bool d = false;
	kyso_err_t rc = kyso_pdf_stream_decode(pdf, stream, max, out, &d, err);
	if (decoded)
		*decoded = d;
	return rc;
}

/* ---- page tree ---- */

long kyso_pdf_page_count(kyso_pdf_t *pdf, kyso_error_t *err)
{
	if (pdf->page_count >= 0)
		return pdf->page_count;
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	if (!cat)
		return -1;
	kyso_pdf_obj_t *pages = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(cat, "Pages"), err);
	kyso_pdf_obj_free(cat);
	int64_t n = -1;
	if (!pages || !kyso_pdf_obj_int(kyso_pdf_dict_get(pages, "Count"), &n) || n < 0 ||
	    n > 10000000) {
		kyso_pdf_obj_free(pages);
		if (err && err->code == KYSO_OK)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			               _("The PDF page tree is damaged"));
		return -1;
	}
	kyso_pdf_obj_free(pages);
	pdf->page_count = (long)n;
	return pdf->page_count;
}

static const char *const inherited[] = {"Resources", "MediaBox", "CropBox", "Rotate"};

static void inherit(kyso_pdf_obj_t *acc, const kyso_pdf_obj_t *node)
{
	for (size_t i = 0; i < sizeof(inherited) / sizeof(inherited[0]); i++) {
		const kyso_pdf_obj_t *v = kyso_pdf_dict_get(node, inherited[i]);
		if (v)
			kyso_pdf_dict_set(acc, inherited[i], kyso_pdf_obj_copy(v));
	}
}

/* Finds page index; raw (not inherited) dict returned, acc collects inherited values. */
static kyso_pdf_obj_t *find_page(kyso_pdf_t *pdf, long index, uint32_t *num_out,
                                 kyso_pdf_obj_t *acc, kyso_error_t *err)
{
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	if (!cat)
		return NULL;
	const kyso_pdf_obj_t *pr = kyso_pdf_dict_get(cat, "Pages");
	uint32_t num = 0;
	if (!kyso_pdf_obj_ref(pr, &num, NULL)) {
		kyso_pdf_obj_free(cat);
		kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s", _("The PDF page tree is damaged"));
		return NULL;
	}
	kyso_pdf_obj_free(cat);
	kyso_pdf_obj_t *node = kyso_pdf_load(pdf, num, err);
	for (int depth = 0; node && node->type == KYSO_PDF_DICT && depth < 64; depth++) {
		const kyso_pdf_obj_t *kids = kyso_pdf_dict_get(node, "Kids");
		if (!kids || kids->type != KYSO_PDF_ARRAY) {
			if (index == 0) {
				if (num_out)
					*num_out = num;
				return node;
			}
			break;
		}
		if (acc)
			inherit(acc, node);
		kyso_pdf_obj_t *next = NULL;
		for (size_t i = 0; i < kids->u.arr.n; i++) {
			uint32_t kn;
			if (!kyso_pdf_obj_ref(kids->u.arr.items[i], &kn, NULL))
				continue;
			kyso_pdf_obj_t *kid = kyso_pdf_load(pdf, kn, err);
			if (!kid)
				break;
			int64_t cnt = 1;
			if (kyso_pdf_dict_get(kid, "Kids") &&
			    !kyso_pdf_obj_int(kyso_pdf_dict_get(kid, "Count"), &cnt))
				cnt = 0;
			if (cnt < 0)
				cnt = 0;
			if (index < cnt) {
				next = kid;
				num = kn;
				break;
			}
			index -= (long)cnt;
			kyso_pdf_obj_free(kid);
		}
		kyso_pdf_obj_free(node);
		node = next;
	}
	kyso_pdf_obj_free(node);
	if (err && err->code == KYSO_OK)
		kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s", _("The PDF page tree is damaged"));
	return NULL;
}

kyso_pdf_obj_t *kyso_pdf_page_raw(kyso_pdf_t *pdf, long index, uint32_t *num_out, kyso_error_t *err)
{
	return find_page(pdf, index, num_out, NULL, err);
}

kyso_pdf_obj_t *kyso_pdf_page(kyso_pdf_t *pdf, long index, uint32_t *num_out, kyso_error_t *err)
{
	kyso_pdf_obj_t *acc = kyso_pdf_obj_new(KYSO_PDF_DICT);
	if (!acc)
		return NULL;
	kyso_pdf_obj_t *page = find_page(pdf, index, num_out, acc, err);
	if (!page) {
		kyso_pdf_obj_free(acc);
		return NULL;
	}
	for (size_t i = 0; i < acc->u.dict.n; i++)
		if (!kyso_pdf_dict_get(page, acc->u.dict.keys[i]))
			kyso_pdf_dict_set(page, acc->u.dict.keys[i],
			                  kyso_pdf_obj_copy(acc->u.dict.vals[i]));
	kyso_pdf_obj_free(acc);
	return page;
}

/* ---- DocMDP ---- */

int kyso_pdf_docmdp(kyso_pdf_t *pdf, kyso_error_t *err)
{
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	if (!cat)
		return -1;
	kyso_pdf_obj_t *perms = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(cat, "Perms"), NULL);
	kyso_pdf_obj_free(cat);
	kyso_pdf_obj_t *sig =
	        perms ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(perms, "DocMDP"), NULL) : NULL;
	kyso_pdf_obj_free(perms);
	int p = 0;
	if (sig && sig->type == KYSO_PDF_DICT) {
		p = 2;
		kyso_pdf_obj_t *refs =
		        kyso_pdf_resolve(pdf, kyso_pdf_dict_get(sig, "Reference"), NULL);
		for (size_t i = 0; i < kyso_pdf_array_len(refs); i++) {
			kyso_pdf_obj_t *r =
			        kyso_pdf_resolve(pdf, kyso_pdf_array_get(refs, i), NULL);
			if (kyso_pdf_obj_is_name(kyso_pdf_dict_get(r, "TransformMethod"),
			                         "DocMDP")) {
				kyso_pdf_obj_t *tp = kyso_pdf_resolve(
				        pdf, kyso_pdf_dict_get(r, "TransformParams"), NULL);
				int64_t v;
				if (kyso_pdf_obj_int(kyso_pdf_dict_get(tp, "P"), &v) && v >= 1 &&
				    v <= 3)
					p = (int)v;
				kyso_pdf_obj_free(tp);
			}
			kyso_pdf_obj_free(r);
		}
		kyso_pdf_obj_free(refs);
	}
	kyso_pdf_obj_free(sig);
	return p;
}
