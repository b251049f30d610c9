/* The incremental update that adds a signature: original bytes copied
 * exactly, then new objects, a new xref section (classic table or xref
 * stream, like the file's last one) and trailer. The digest of the ByteRange
 * parts is computed while writing. */
#include "pdf_impl.h"
#include "kyso_platform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#define BR_WIDTH 64 /* bytes reserved for the /ByteRange array */

typedef struct {
	uint32_t num;
	uint16_t gen;
	uint64_t off; /* relative to the header */
} new_obj_t;

typedef struct {
	kyso_pdf_t *pdf;
	kyso_buf_t u;      /* the appended bytes */
	uint64_t base_rel; /* offset of u[0] relative to the header */
	new_obj_t *objs;
	size_t nobjs, cap;
	uint32_t next_num;
	kyso_error_t *err;
	kyso_err_t rc;
} writer_t;

static void w_fail(writer_t *w, kyso_err_t rc)
{
	if (w->rc == KYSO_OK)
		w->rc = rc;
}

static void obj_begin(writer_t *w, uint32_t num, uint16_t gen)
{
	if (w->nobjs == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 16;
		new_obj_t *p = realloc(w->objs, nc * sizeof(*p));
		if (!p) {
			w_fail(w, KYSO_ERR_NOMEM);
			return;
		}
		w->objs = p;
		w->cap = nc;
	}
	w->objs[w->nobjs].num = num;
	w->objs[w->nobjs].gen = gen;
	w->objs[w->nobjs].off = w->base_rel + w->u.len;
	w->nobjs++;
	kyso_buf_printf(&w->u, "%u %u obj\n", num, gen);
}

static void obj_end(writer_t *w)
{
	kyso_buf_append(&w->u, "\nendobj\n", 8);
}

static void write_obj(writer_t *w, uint32_t num, uint16_t gen, const kyso_pdf_obj_t *o)
{
	obj_begin(w, num, gen);
	kyso_err_t rc = kyso_pdf_obj_serialize(w->pdf, o, num, gen, &w->u);
	if (rc != KYSO_OK)
		w_fail(w, rc);
	obj_end(w);
}

/* Replaces "@k@" with "N 0 R" of extra object k. */
static void put_subst(writer_t *w, const char *s, const uint32_t *nums, size_t n)
{
	while (*s) {
		if (*s == '@') {
			char *end;
			unsigned long k = strtoul(s + 1, &end, 10);
			if (end != s + 1 && *end == '@' && k < n) {
				kyso_buf_printf(&w->u, "%u 0 R", nums[k]);
				s = end + 1;
				continue;
			}
		}
		kyso_buf_append(&w->u, s, 1);
		s++;
	}
}

static void write_stream(writer_t *w, uint32_t num, const char *dict_head, const uint32_t *nums,
                         size_t n, const uint8_t *data, size_t len)
{
	kyso_buf_t enc;
	kyso_buf_init(&enc);
	if (w->pdf->crypt.on) {
		kyso_err_t rc =
		        kyso_pdf_crypt_buf(w->pdf, true, true, num, 0, data, len, &enc, w->err);
		if (rc != KYSO_OK)
			w_fail(w, rc);
	} else {
		kyso_buf_append(&enc, data, len);
	}
	obj_begin(w, num, 0);
	/* dict_head is "<< ... >>": insert /Length before the closing >> */
	size_t hl = strlen(dict_head);
	while (hl > 0 && (dict_head[hl - 1] == ' ' || dict_head[hl - 1] == '\n'))
		hl--;
	char *head = strndup(dict_head, hl >= 2 ? hl - 2 : 0);
	if (!head) {
		w_fail(w, KYSO_ERR_NOMEM);
	} else {
		put_subst(w, head, nums, n);
		free(head);
	}
	kyso_buf_printf(&w->u, " /Length %zu>>\nstream\n", enc.len);
	kyso_buf_append(&w->u, enc.data ? enc.data : (uint8_t *)"", enc.len);
	kyso_buf_append(&w->u, "\nendstream", 10);
	obj_end(w);
	kyso_buf_free(&enc);
}

static uint16_t entry_gen(kyso_pdf_t *pdf, uint32_t num)
{
	if (num < pdf->xref_n && pdf->xref[num].type == XREF_OFFSET)
		return pdf->xref[num].gen;
	return 0;
}

/* ---- field names ---- */

static bool name_used(kyso_pdf_t *pdf, const kyso_pdf_obj_t *fields, const char *name)
{
	size_t n = kyso_pdf_array_len(fields);
	for (size_t i = 0; i < n && i < 100000; i++) {
		kyso_pdf_obj_t *f = kyso_pdf_resolve(pdf, kyso_pdf_array_get(fields, i), NULL);
		char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(f, "T"));
		bool same = t && strcmp(t, name) == 0;
		free(t);
		kyso_pdf_obj_free(f);
		if (same)
			return true;
	}
	return false;
}

/* An empty signature field among the top-level fields: /FT /Sig, no /V,
 * named name (any when NULL). Returns its object number, 0 if none. */
static uint32_t find_empty_sig_field(kyso_pdf_t *pdf, const kyso_pdf_obj_t *fields,
                                     const char *name, kyso_pdf_obj_t **out)
{
	size_t n = kyso_pdf_array_len(fields);
	for (size_t i = 0; i < n && i < 100000; i++) {
		uint32_t num;
		if (!kyso_pdf_obj_ref(kyso_pdf_array_get(fields, i), &num, NULL))
			continue;
		kyso_pdf_obj_t *f = kyso_pdf_load(pdf, num, NULL);
		bool match = kyso_pdf_obj_type(f) == KYSO_PDF_DICT &&
		             kyso_pdf_obj_is_name(kyso_pdf_dict_get(f, "FT"), "Sig") &&
		             !kyso_pdf_dict_get(f, "V");
		if (match && name) {
			char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(f, "T"));
			match = t && strcmp(t, name) == 0;
			free(t);
		}
		if (match) {
			*out = f;
			return num;
		}
		kyso_pdf_obj_free(f);
	}
	return 0;
}

/* ---- AcroForm and page ---- */

static bool push_refs(kyso_pdf_obj_t *arr, const uint32_t *nums, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nums[i] && !kyso_pdf_array_push(arr, kyso_pdf_obj_new_ref(nums[i], 0)))
			return false;
	return true;
}

/* owner[key] is an array (direct or indirect) that gains "num 0 R" for
 * every non-zero num of nums (written once). */
static kyso_err_t add_to_array_obj_n(writer_t *w, kyso_pdf_obj_t *owner, const char *key,
                                     const uint32_t *nums, size_t n, bool *owner_changed)
{
	const kyso_pdf_obj_t *v = kyso_pdf_dict_get(owner, key);
	uint32_t anum;
	if (kyso_pdf_obj_ref(v, &anum, NULL)) {
		kyso_pdf_obj_t *arr = kyso_pdf_load(w->pdf, anum, w->err);
		if (!arr)
			return w->err->code;
		if (arr->type == KYSO_PDF_ARRAY) {
			if (!push_refs(arr, nums, n)) {
				kyso_pdf_obj_free(arr);
				return KYSO_ERR_NOMEM;
			}
			write_obj(w, anum, entry_gen(w->pdf, anum), arr);
			kyso_pdf_obj_free(arr);
			return KYSO_OK;
		}
		kyso_pdf_obj_free(arr);
		v = NULL; /* broken: replace by a direct array */
	}
	kyso_pdf_obj_t *arr = v && v->type == KYSO_PDF_ARRAY ? kyso_pdf_obj_copy(v)
	                                                     : kyso_pdf_obj_new(KYSO_PDF_ARRAY);
	if (!arr)
		return KYSO_ERR_NOMEM;
	if (!push_refs(arr, nums, n)) {
		kyso_pdf_obj_free(arr);
		return KYSO_ERR_NOMEM;
	}
	if (!kyso_pdf_dict_set(owner, key, arr))
		return KYSO_ERR_NOMEM;
	*owner_changed = true;
	return KYSO_OK;
}

/* Sets /SigFlags 3 and adds the non-zero fields[] to /Fields. */
static kyso_err_t update_acroform(writer_t *w, kyso_pdf_obj_t *cat, uint32_t root_num,
                                  const uint32_t *fields, size_t nfields)
{
	const kyso_pdf_obj_t *af = kyso_pdf_dict_get(cat, "AcroForm");
	uint32_t afnum = 0;
	kyso_pdf_obj_t *afd = NULL;
	if (kyso_pdf_obj_ref(af, &afnum, NULL)) {
		afd = kyso_pdf_load(w->pdf, afnum, w->err);
		if (!afd)
			return w->err->code;
		if (afd->type != KYSO_PDF_DICT) {
			kyso_pdf_obj_free(afd);
			afd = NULL;
			afnum = 0;
		}
	} else if (af && af->type == KYSO_PDF_DICT) {
		afd = kyso_pdf_obj_copy(af);
	}
	bool cat_changed = false;
	if (!afd) {
		afd = kyso_pdf_obj_new(KYSO_PDF_DICT);
		afnum = w->next_num++;
		if (!afd || !kyso_pdf_dict_set(cat, "AcroForm", kyso_pdf_obj_new_ref(afnum, 0)))
			return KYSO_ERR_NOMEM;
		cat_changed = true;
	}
	bool af_changed = false;
	bool any = false;
	for (size_t i = 0; i < nfields; i++)
		any = any || fields[i] != 0;
	kyso_err_t rc =
	        any ? add_to_array_obj_n(w, afd, "Fields", fields, nfields, &af_changed) : KYSO_OK;
	if (rc == KYSO_OK && !kyso_pdf_dict_set(afd, "SigFlags", kyso_pdf_obj_new_int(3)))
		rc = KYSO_ERR_NOMEM;
	if (rc == KYSO_OK) {
		if (afnum) {
			write_obj(w, afnum, entry_gen(w->pdf, afnum), afd);
		} else {
			if (!kyso_pdf_dict_set(cat, "AcroForm", afd))
				rc = KYSO_ERR_NOMEM;
			afd = NULL;
			cat_changed = true;
		}
	}
	kyso_pdf_obj_free(afd);
	if (rc == KYSO_OK && cat_changed)
		write_obj(w, root_num, entry_gen(w->pdf, root_num), cat);
	return rc;
}

/* ---- xref output ---- */

static int new_obj_cmp(const void *a, const void *b)
{
	const new_obj_t *x = a, *y = b;
	return x->num < y->num ? -1 : (x->num > y->num ? 1 : 0);
}

static void write_trailer_keys(writer_t *w, uint32_t size, bool with_prev)
{
	kyso_pdf_t *pdf = w->pdf;
	const kyso_pdf_obj_t *tr = pdf->trailer;
	kyso_buf_printf(&w->u, "/Size %u", size);
	static const char *const keys[] = {"Root", "Info", "Encrypt"};
	for (size_t k = 0; k < 3; k++) {
		const kyso_pdf_obj_t *v = kyso_pdf_dict_get(tr, keys[k]);
		if (!v || (k == 1 && v->type != KYSO_PDF_REF))
			continue;
		kyso_buf_printf(&w->u, "/%s ", keys[k]);
		kyso_pdf_obj_serialize(NULL, v, 0, 0, &w->u);
	}
	/* /ID: keep the first element, new second element */
	uint8_t fresh[16];
	RAND_bytes(fresh, sizeof(fresh));
	const kyso_pdf_obj_t *id0 = kyso_pdf_array_get(kyso_pdf_dict_get(tr, "ID"), 0);
	kyso_buf_append(&w->u, "/ID [", 5);
	kyso_pdf_obj_t *f = kyso_pdf_obj_new_string(fresh, sizeof(fresh));
	if (id0 && id0->type == KYSO_PDF_STRING)
		kyso_pdf_obj_serialize(NULL, id0, 0, 0, &w->u);
	else
		kyso_pdf_obj_serialize(NULL, f, 0, 0, &w->u);
	kyso_buf_append(&w->u, " ", 1);
	kyso_pdf_obj_serialize(NULL, f, 0, 0, &w->u);
	kyso_pdf_obj_free(f);
	kyso_buf_append(&w->u, "]", 1);
	if (with_prev)
		kyso_buf_printf(&w->u, "/Prev %llu", (unsigned long long)pdf->last_xref_offset);
}

/* Full table of every object when the xref was rebuilt (no /Prev). */
static bool full_table(const writer_t *w)
{
	return w->pdf->repaired;
}

static void entry_for(const writer_t *w, uint32_t num, pdf_xref_entry_t *e)
{
	for (size_t i = 0; i < w->nobjs; i++) {
		if (w->objs[i].num == num) {
			e->type = XREF_OFFSET;
			e->off = w->objs[i].off;
			e->gen = w->objs[i].gen;
			e->idx = 0;
			return;
		}
	}
	if (num < w->pdf->xref_n &&
	    (w->pdf->xref[num].type == XREF_OFFSET || w->pdf->xref[num].type == XREF_COMPRESSED)) {
		*e = w->pdf->xref[num];
		return;
	}
	memset(e, 0, sizeof(*e));
	e->type = XREF_FREE;
	e->gen = num == 0 ? 65535 : 0;
}

static void write_classic_xref(writer_t *w, uint32_t size)
{
	uint64_t xref_off = w->base_rel + w->u.len;
	kyso_buf_append(&w->u, "xref\n", 5);
	if (full_table(w)) {
		kyso_buf_printf(&w->u, "0 %u\n", size);
		for (uint32_t n = 0; n < size; n++) {
			pdf_xref_entry_t e;
			entry_for(w, n, &e);
			kyso_buf_printf(&w->u, "%010llu %05u %c\r\n",
			                e.type == XREF_OFFSET ? (unsigned long long)e.off : 0ULL,
			                (unsigned)e.gen, e.type == XREF_OFFSET ? 'n' : 'f');
		}
	} else {
		qsort(w->objs, w->nobjs, sizeof(*w->objs), new_obj_cmp);
		for (size_t i = 0; i < w->nobjs;) {
			size_t j = i + 1;
			while (j < w->nobjs && w->objs[j].num == w->objs[j - 1].num + 1)
				j++;
			kyso_buf_printf(&w->u, "%u %zu\n", w->objs[i].num, j - i);
			for (size_t k = i; k < j; k++)
				kyso_buf_printf(&w->u, "%010llu %05u n\r\n",
				                (unsigned long long)w->objs[k].off,
				                (unsigned)w->objs[k].gen);
			i = j;
		}
	}
	kyso_buf_append(&w->u, "trailer\n<<", 10);
	write_trailer_keys(w, size, !full_table(w));
	kyso_buf_printf(&w->u, ">>\nstartxref\n%llu\n%%%%EOF\n", (unsigned long long)xref_off);
}

static size_t bytes_for(uint64_t v)
{
	size_t n = 1;
	while (n < 8 && v >> (8 * n))
		n++;
	return n;
}

static void put_be(kyso_buf_t *b, uint64_t v, size_t n)
{
	uint8_t t[8];
	for (size_t i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	kyso_buf_append(b, t, n);
}

static void write_stream_xref(writer_t *w, uint32_t xnum, uint32_t size)
{
	uint64_t xref_off = w->base_rel + w->u.len;
	/* the xref stream itself is an entry too */
	obj_begin(w, xnum, 0);
	w->objs[w->nobjs - 1].off = xref_off;
	uint64_t maxoff = xref_off;
	uint32_t maxgen = 0;
	for (uint32_t n = 0; full_table(w) && n < size; n++) {
		pdf_xref_entry_t e;
		entry_for(w, n, &e);
		if (e.off > maxoff)
			maxoff = e.off;
		if (e.gen > maxgen)
			maxgen = e.gen;
		if (e.idx > maxgen)
			maxgen = e.idx;
	}
	for (size_t i = 0; i < w->nobjs; i++)
		if (w->objs[i].gen > maxgen)
			maxgen = w->objs[i].gen;
	size_t w2 = bytes_for(maxoff), w3 = bytes_for(maxgen);
	kyso_buf_t data;
	kyso_buf_init(&data);
	kyso_buf_t index;
	kyso_buf_init(&index);
	if (full_table(w)) {
		kyso_buf_printf(&index, "0 %u", size);
		for (uint32_t n = 0; n < size; n++) {
			pdf_xref_entry_t e;
			entry_for(w, n, &e);
			put_be(&data,
			       e.type == XREF_OFFSET ? 1 : (e.type == XREF_COMPRESSED ? 2 : 0), 1);
			put_be(&data, e.type == XREF_FREE ? 0 : e.off, w2);
			put_be(&data, e.type == XREF_COMPRESSED ? e.idx : e.gen, w3);
		}
	} else {
		qsort(w->objs, w->nobjs, sizeof(*w->objs), new_obj_cmp);
		for (size_t i = 0; i < w->nobjs;) {
			size_t j = i + 1;
			while (j < w->nobjs && w->objs[j].num == w->objs[j - 1].num + 1)
				j++;
			kyso_buf_printf(&index, "%s%u %zu", i ? " " : "", w->objs[i].num, j - i);
			for (size_t k = i; k < j; k++) {
				put_be(&data, 1, 1);
				put_be(&data, w->objs[k].off, w2);
				put_be(&data, w->objs[k].gen, w3);
			}
			i = j;
		}
	}
	kyso_buf_printf(&w->u, "<</Type/XRef/W [1 %zu %zu]/Index [", w2, w3);
	kyso_buf_append(&w->u, index.data, index.len);
	kyso_buf_append(&w->u, "]", 1);
	write_trailer_keys(w, size, !full_table(w));
	kyso_buf_printf(&w->u, "/Length %zu>>\nstream\n", data.len);
	kyso_buf_append(&w->u, data.data, data.len);
	kyso_buf_append(&w->u, "\nendstream", 10);
	obj_end(w);
	kyso_buf_printf(&w->u, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref_off);
	kyso_buf_free(&data);
	kyso_buf_free(&index);
}

/* First object number free for new objects: the trailer's /Size or past
 * the highest object in the xref. */
static uint32_t first_new_num(kyso_pdf_t *pdf)
{
	int64_t size = 0;
	kyso_pdf_obj_int(kyso_pdf_dict_get(pdf->trailer, "Size"), &size);
	uint32_t hi = pdf->xref_n;
	while (hi > 0 && pdf->xref[hi - 1].type == XREF_NONE)
		hi--;
	if (size < (int64_t)hi)
		size = hi;
	if (size <= 0 || size >= PDF_MAX_OBJECTS)
		size = hi ? hi : 1;
	return (uint32_t)size;
}

/* Writes the xref section in the style of the file's last one. */
static void write_xref(writer_t *w)
{
	kyso_pdf_t *pdf = w->pdf;
	bool stream_style = pdf->nsections > 0 ? pdf->sections[0].is_stream : false;
	if (full_table(w))
		for (uint32_t n = 0; n < pdf->xref_n && !stream_style; n++)
			stream_style = pdf->xref[n].type == XREF_COMPRESSED;
	if (stream_style) {
		uint32_t xnum = w->next_num++;
		write_stream_xref(w, xnum, w->next_num);
	} else {
		write_classic_xref(w, w->next_num);
	}
}

/* ---- the signature ---- */

static void write_date(writer_t *w, time_t t, uint32_t num)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	char d[40];
	snprintf(d, sizeof(d), "D:%04d%02d%02d%02d%02d%02d+00'00'", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	kyso_pdf_write_text_string(w->pdf, &w->u, d, num, 0);
}

static void write_opt_text(writer_t *w, const char *key, const char *val, uint32_t num)
{
	if (!val || !*val)
		return;
	kyso_buf_printf(&w->u, "/%s ", key);
	kyso_pdf_write_text_string(w->pdf, &w->u, val, num, 0);
}

/* A copy's failure in the signer's words. */
static kyso_err_t copy_error(kyso_err_t rc, kyso_error_t *err)
{
	switch (rc) {
	case KYSO_OK:
	case KYSO_ERR_NOMEM:
		return rc;
	case KYSO_ERR_BAD_INPUT:
		return kyso_error_set(
		        err, KYSO_ERR_IO, "%s",
		        _("The input PDF changed or could not be read while signing"));
	case KYSO_ERR_INTERNAL:
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", _("Hashing failed"));
	default:
		return kyso_error_set(err, KYSO_ERR_IO, "%s",
		                      _("Could not write the signed PDF (disk full?)"));
	}
}

struct kyso_pdf_prefix {
	kyso_file_copy_t *copy;
	EVP_MD_CTX *mdc;
	const EVP_MD *md;
	FILE *out;
};

kyso_pdf_prefix_t *kyso_pdf_prefix_start(kyso_pdf_t *pdf, FILE *out, const EVP_MD *md)
{
	kyso_pdf_prefix_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->md = md;
	p->out = out;
	p->mdc = EVP_MD_CTX_new();
	if (p->mdc != NULL && EVP_DigestInit_ex(p->mdc, md, NULL) == 1 &&
	    fseeko(out, 0, SEEK_SET) == 0)
		p->copy =
		        kyso_file_copy_start(pdf->f, out, pdf->size, kyso_pdf_digest_sink, p->mdc);
	if (p->copy == NULL) {
		EVP_MD_CTX_free(p->mdc);
		free(p);
		return NULL;
	}
	return p;
}

/* Waits for the copy; on success *mdc takes over its hash. */
static kyso_err_t prefix_take(kyso_pdf_prefix_t *p, EVP_MD_CTX **mdc, kyso_error_t *err)
{
	kyso_err_t rc = copy_error(kyso_file_copy_finish(&p->copy, err), err);
	if (rc == KYSO_OK) {
		*mdc = p->mdc;
		p->mdc = NULL;
	}
	return rc;
}

void kyso_pdf_prefix_free(kyso_pdf_prefix_t **pp)
{
	kyso_pdf_prefix_t *p = *pp;
	if (p == NULL)
		return;
	if (p->copy != NULL)
		(void)kyso_file_copy_finish(&p->copy, NULL);
	EVP_MD_CTX_free(p->mdc);
	free(p);
	*pp = NULL;
}

/* One signature update being built (kyso_pdf_sig_prepare's steps). */
typedef struct {
	kyso_pdf_t *pdf;
	const kyso_pdf_sig_params_t *p;
	kyso_error_t *err;
	writer_t w;
	long pages, pidx;
	kyso_pdf_obj_t *cat, *page, *afd, *exf;
	uint32_t root_num, page_num;
	/* the field: an existing empty one, or a new one named fname */
	uint32_t existing;
	char namebuf[64];
	const char *fname;
	char stn[4][128]; /* stamp field names */
	/* object numbers */
	uint32_t sig_num, field_num, ap_num;
	const kyso_pdf_appearance_t *ap;
	uint32_t *extra; /* the appearance's objects */
	size_t nextra;
	size_t nst;      /* stamps */
	uint32_t *snums; /* [0] field being signed, then stamp fields, stamp forms */
	uint32_t *wnums; /* all pages: widget, page object numbers */
	bool every;
	/* in the update: where the /ByteRange and /Contents placeholders are */
	size_t br_at, hex_at, hex_len;
} sig_build_t;

/* What the document allows: no DocMDP P=1, the author's permissions, the page. */
static kyso_err_t sig_check(sig_build_t *b)
{
	const kyso_pdf_sig_params_t *p = b->p;
	kyso_pdf_t *pdf = b->pdf;
	kyso_error_t *err = b->err;
	int mdp = kyso_pdf_docmdp(pdf, err);
	if (mdp < 0)
		return err->code;
	if (mdp == 1)
		return kyso_error_set(
		        err, KYSO_ERR_BAD_INPUT, "%s",
		        _("The document is certified with \"no changes allowed\" (DocMDP "
		          "P=1); adding a signature would invalidate the certification"));
	/* the author's permissions bind a user-password opener: signing needs
	 * "fill in forms / sign" (bit 9, R>=3) or "annotate and fill in" (bit 6) */
	if (pdf->crypt.on && !pdf->crypt.owner) {
		uint32_t pb = (uint32_t)pdf->crypt.perms;
		bool allowed = (pb & 32u) || (pdf->crypt.r >= 3 && (pb & 256u));
		if (!allowed)
			return kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s",
			                      _("The document's security settings do not allow "
			                        "signing; open it with the owner password"));
	}
	b->pages = kyso_pdf_page_count(pdf, err);
	if (b->pages <= 0)
		return err->code ? err->code
		                 : kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                                  _("The PDF has no pages"));
	b->pidx = p->page < 0 ? b->pages - 1 : p->page;
	if (b->pidx >= b->pages)
		return kyso_error_set(err, KYSO_ERR_USAGE,
		                      _("Page %ld does not exist; the document has %ld pages"),
		                      b->pidx + 1, b->pages);
	return KYSO_OK;
}

/* The catalog, the page, and the field's name: an empty signature field
 * named so, or a new unique "SignatureN"; unique stamp field names. */
static kyso_err_t sig_field_names(sig_build_t *b)
{
	kyso_pdf_t *pdf = b->pdf;
	const kyso_pdf_sig_params_t *p = b->p;
	kyso_pdf_obj_ref(kyso_pdf_dict_get(pdf->trailer, "Root"), &b->root_num, NULL);
	b->cat = kyso_pdf_catalog(pdf, b->err);
	b->page = b->cat ? kyso_pdf_page_raw(pdf, b->pidx, &b->page_num, b->err) : NULL;
	if (!b->cat || !b->page)
		return b->err->code ? b->err->code : KYSO_ERR_BAD_PDF;
	b->fname = p->field_name;
	const kyso_pdf_obj_t *af = kyso_pdf_dict_get(b->cat, "AcroForm");
	b->afd = kyso_pdf_resolve(pdf, af, NULL);
	kyso_pdf_obj_t *fields =
	        b->afd ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(b->afd, "Fields"), NULL) : NULL;
	if (!p->always_new_field)
		b->existing = find_empty_sig_field(pdf, fields, b->fname, &b->exf);
	if (!b->existing && b->fname && name_used(pdf, fields, b->fname)) {
		kyso_pdf_obj_free(fields);
		return kyso_error_set(b->err, KYSO_ERR_EXISTS,
		                      _("A form field named \"%s\" already exists"), b->fname);
	}
	for (int i = 1; !b->existing && !b->fname && i < 100000; i++) {
		snprintf(b->namebuf, sizeof(b->namebuf), "Signature%d", i);
		if (!name_used(pdf, fields, b->namebuf))
			b->fname = b->namebuf;
	}
	/* stamp field names: unique among the top-level fields */
	for (size_t i = 0; p->appearance && i < p->nstamps && i < 4; i++) {
		const char *base = p->stamps[i].name;
		snprintf(b->stn[i], sizeof(b->stn[i]), "%s", base);
		for (int k = 2; k < 1000 && name_used(pdf, fields, b->stn[i]); k++)
			snprintf(b->stn[i], sizeof(b->stn[i]), "%s %d", base, k);
	}
	kyso_pdf_obj_free(fields);
	if (!b->fname && !b->existing)
		return kyso_error_set(b->err, KYSO_ERR_EXISTS, "%s",
		                      _("Too many signature fields"));
	return KYSO_OK;
}

/* Object numbers of everything the update adds. */
static kyso_err_t sig_numbers(sig_build_t *b)
{
	writer_t *w = &b->w;
	const kyso_pdf_sig_params_t *p = b->p;
	b->sig_num = w->next_num++;
	b->field_num = b->existing ? b->existing : w->next_num++;
	b->ap = p->appearance;
	b->nextra = b->ap ? b->ap->object_count : 0;
	if (b->ap) {
		b->ap_num = w->next_num++;
		b->extra = calloc(b->nextra + 1, sizeof(*b->extra));
		if (!b->extra)
			return kyso_error_set(b->err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		for (size_t i = 0; i < b->nextra; i++)
			b->extra[i] = w->next_num++;
	}
	/* stamps (issue role: number, date): a read-only text field each, with
	 * its own widget and form; snums[0] = the signature field (if new) */
	b->nst = b->ap ? (p->nstamps < 4 ? p->nstamps : 4) : 0;
	b->snums = calloc(2 * b->nst + 1, sizeof(*b->snums));
	if (!b->snums)
		return kyso_error_set(b->err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	for (size_t i = 0; i < b->nst; i++) {
		b->snums[1 + i] = w->next_num++;
		b->snums[1 + b->nst + i] = w->next_num++;
	}
	b->every = p->all_pages && b->ap && !b->existing;
	return KYSO_OK;
}

/* The pages' /Annots gain the widgets, the AcroForm the fields. */
static kyso_err_t sig_pages_and_form(sig_build_t *b)
{
	kyso_pdf_t *pdf = b->pdf;
	writer_t *w = &b->w;
	kyso_err_t rc = KYSO_OK;
	/* all pages (issue 6): one widget per page, kids of the field */
	if (b->every) {
		b->wnums = calloc((size_t)b->pages * 2, sizeof(*b->wnums));
		if (!b->wnums)
			return kyso_error_set(b->err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		for (long i = 0; i < b->pages && rc == KYSO_OK; i++) {
			uint32_t pn = 0;
			bool changed = false;
			kyso_pdf_obj_t *pg = kyso_pdf_page_raw(pdf, i, &pn, b->err);
			b->wnums[2 * i] = w->next_num++;
			b->wnums[2 * i + 1] = pn;
			b->snums[0] = b->wnums[2 * i];
			rc = pg ? add_to_array_obj_n(w, pg, "Annots", b->snums,
			                             i == b->pidx ? 1 + b->nst : 1, &changed)
			        : (b->err->code ? b->err->code : KYSO_ERR_BAD_PDF);
			if (rc == KYSO_OK && changed)
				write_obj(w, pn, entry_gen(pdf, pn), pg);
			kyso_pdf_obj_free(pg);
		}
		if (rc != KYSO_OK)
			return rc;
	}
	/* page: /Annots gains the widget (an existing field is already there) */
	if ((!b->existing || b->nst > 0) && !b->every) {
		bool changed = false;
		kyso_pdf_obj_t *np = kyso_pdf_obj_copy(b->page);
		b->snums[0] = b->existing ? 0 : b->field_num;
		rc = np ? add_to_array_obj_n(w, np, "Annots", b->snums, 1 + b->nst, &changed)
		        : KYSO_ERR_NOMEM;
		if (rc == KYSO_OK && changed)
			write_obj(w, b->page_num, entry_gen(pdf, b->page_num), np);
		kyso_pdf_obj_free(np);
		if (rc != KYSO_OK)
			return rc;
	}
	/* AcroForm (catalog is rewritten only when needed) */
	b->snums[0] = b->existing ? 0 : b->field_num;
	return update_acroform(w, b->cat, b->root_num, b->snums, 1 + b->nst);
}

/* The signature field and its widget(s). */
static kyso_err_t sig_field(sig_build_t *b)
{
	kyso_pdf_t *pdf = b->pdf;
	writer_t *w = &b->w;
	const kyso_pdf_appearance_t *ap = b->ap;
	if (b->existing) {
		/* sign into the existing empty field */
		if (!kyso_pdf_dict_set(b->exf, "V", kyso_pdf_obj_new_ref(b->sig_num, 0)) ||
		    (ap && !kyso_pdf_dict_set(b->exf, "AP", kyso_pdf_obj_new(KYSO_PDF_DICT))) ||
		    (ap && !kyso_pdf_dict_set((kyso_pdf_obj_t *)kyso_pdf_dict_get(b->exf, "AP"),
		                              "N", kyso_pdf_obj_new_ref(b->ap_num, 0))))
			return kyso_error_set(b->err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		write_obj(w, b->existing, entry_gen(pdf, b->existing), b->exf);
	} else if (b->every) {
		obj_begin(w, b->field_num, 0);
		kyso_buf_append(&w->u, "<</FT/Sig/T ", 12);
		kyso_pdf_write_text_string(pdf, &w->u, b->fname, b->field_num, 0);
		kyso_buf_printf(&w->u, "/V %u 0 R/Kids [", b->sig_num);
		for (long i = 0; i < b->pages; i++)
			kyso_buf_printf(&w->u, "%s%u 0 R", i ? " " : "", b->wnums[2 * i]);
		kyso_buf_append(&w->u, "]>>", 3);
		obj_end(w);
		for (long i = 0; i < b->pages; i++) {
			obj_begin(w, b->wnums[2 * i], 0);
			kyso_buf_printf(&w->u,
			                "<</Type/Annot/Subtype/Widget/F 132/Parent %u 0 R/P %u %u R"
			                "/Rect [%.3f %.3f %.3f %.3f]/AP <</N %u 0 R>>>>",
			                b->field_num, b->wnums[2 * i + 1],
			                entry_gen(pdf, b->wnums[2 * i + 1]), ap->rect[0],
			                ap->rect[1], ap->rect[2], ap->rect[3], b->ap_num);
			obj_end(w);
		}
	} else {
		/* field + widget (merged) */
		obj_begin(w, b->field_num, 0);
		kyso_buf_append(&w->u, "<</Type/Annot/Subtype/Widget/FT/Sig/F 132/T ", 44);
		kyso_pdf_write_text_string(pdf, &w->u, b->fname, b->field_num, 0);
		kyso_buf_printf(&w->u, "/V %u 0 R/P %u %u R/Rect [", b->sig_num, b->page_num,
		                entry_gen(pdf, b->page_num));
		kyso_pdf_obj_t *r = kyso_pdf_obj_new(KYSO_PDF_REAL);
		for (int i = 0; r && i < 4; i++) {
			r->u.r = ap ? ap->rect[i] : 0;
			if (i)
				kyso_buf_append(&w->u, " ", 1);
			kyso_pdf_obj_serialize(NULL, r, 0, 0, &w->u);
		}
		kyso_pdf_obj_free(r);
		kyso_buf_append(&w->u, "]", 1);
		if (ap)
			kyso_buf_printf(&w->u, "/AP <</N %u 0 R>>", b->ap_num);
		kyso_buf_append(&w->u, ">>", 2);
		obj_end(w);
	}
	return KYSO_OK;
}

/* A form XObject of width x height with its content stream. */
static void sig_form(sig_build_t *b, uint32_t num, double wd, double ht, const char *resources,
                     const uint8_t *content, size_t len)
{
	kyso_buf_t head;
	kyso_buf_init(&head);
	kyso_buf_printf(&head, "<</Type/XObject/Subtype/Form/BBox [0 0 %.3f %.3f]/Resources %s>>",
	                wd, ht, resources ? resources : "<<>>");
	kyso_buf_append(&head, "", 1);
	write_stream(&b->w, num, (const char *)head.data, b->extra, b->nextra,
	             content ? content : (const uint8_t *)"", len);
	kyso_buf_free(&head);
}

/* The visible appearance (issue 6) and the stamps (read-only text field +
 * widget, merged, with their forms). */
static void sig_appearance(sig_build_t *b)
{
	writer_t *w = &b->w;
	const kyso_pdf_appearance_t *ap = b->ap;
	if (ap) {
		sig_form(b, b->ap_num, fabs(ap->rect[2] - ap->rect[0]),
		         fabs(ap->rect[3] - ap->rect[1]), ap->resources, ap->content,
		         ap->content_len);
		for (size_t i = 0; i < b->nextra; i++) {
			const kyso_pdf_new_obj_t *o = &ap->objects[i];
			if (o->data) {
				write_stream(w, b->extra[i], o->dict ? o->dict : "<<>>", b->extra,
				             b->nextra, o->data, o->data_len);
			} else {
				obj_begin(w, b->extra[i], 0);
				put_subst(w, o->dict ? o->dict : "null", b->extra, b->nextra);
				obj_end(w);
			}
		}
	}
	for (size_t i = 0; i < b->nst; i++) {
		const kyso_pdf_stamp_t *st = &b->p->stamps[i];
		uint32_t fnum = b->snums[1 + i], anum = b->snums[1 + b->nst + i];
		obj_begin(w, fnum, 0);
		kyso_buf_append(&w->u, "<</Type/Annot/Subtype/Widget/FT/Tx/Ff 1/F 4/T ", 46);
		kyso_pdf_write_text_string(b->pdf, &w->u, b->stn[i], fnum, 0);
		kyso_buf_append(&w->u, "/V ", 3);
		kyso_pdf_write_text_string(b->pdf, &w->u, st->value, fnum, 0);
		kyso_buf_printf(&w->u, "/P %u %u R/Rect [%.3f %.3f %.3f %.3f]/AP <</N %u 0 R>>>>",
		                b->page_num, entry_gen(b->pdf, b->page_num), st->rect[0],
		                st->rect[1], st->rect[2], st->rect[3], anum);
		obj_end(w);
		sig_form(b, anum, st->rect[2] - st->rect[0], st->rect[3] - st->rect[1],
		         st->resources, st->content, st->content_len);
	}
}

/* The signature dictionary with its /ByteRange and /Contents placeholders,
 * then the xref section in the style of the last one. */
static kyso_err_t sig_dictionary(sig_build_t *b)
{
	writer_t *w = &b->w;
	const kyso_pdf_sig_params_t *p = b->p;
	obj_begin(w, b->sig_num, 0);
	kyso_buf_printf(&w->u, "<</Type/%s/Filter", p->doc_timestamp ? "DocTimeStamp" : "Sig");
	kyso_pdf_write_name(&w->u, p->filter ? p->filter : "Adobe.PPKLite");
	kyso_buf_append(&w->u, "/SubFilter", 10);
	kyso_pdf_write_name(&w->u, p->sub_filter);
	kyso_buf_append(&w->u, "/ByteRange ", 11);
	b->br_at = w->u.len;
	for (int i = 0; i < BR_WIDTH; i++)
		kyso_buf_append(&w->u, " ", 1);
	kyso_buf_append(&w->u, "/Contents <", 11);
	b->hex_at = w->u.len;
	b->hex_len = p->contents_size * 2;
	if (kyso_buf_reserve(&w->u, b->hex_len + 1) == KYSO_OK) {
		memset(w->u.data + w->u.len, '0', b->hex_len);
		w->u.len += b->hex_len;
	}
	kyso_buf_append(&w->u, ">", 1);
	if (!p->doc_timestamp) {
		kyso_buf_append(&w->u, "/M ", 3);
		write_date(w, p->signing_time ? p->signing_time : time(NULL), b->sig_num);
		write_opt_text(w, "Name", p->name, b->sig_num);
		write_opt_text(w, "Reason", p->reason, b->sig_num);
		write_opt_text(w, "Location", p->location, b->sig_num);
		write_opt_text(w, "ContactInfo", p->contact_info, b->sig_num);
	}
	kyso_buf_append(&w->u, ">>", 2);
	obj_end(w);
	write_xref(w);
	if (w->rc != KYSO_OK || w->u.len < b->hex_at + b->hex_len)
		return b->err->code ? b->err->code
		                    : kyso_error_set(b->err, w->rc ? w->rc : KYSO_ERR_NOMEM, "%s",
		                                     _("Could not build the signature update"));
	return KYSO_OK;
}

/* Fills the /ByteRange, writes the input's bytes (started early, or now)
 * and the update to out, hashing all but /Contents; fills slot. */
static kyso_err_t sig_write(sig_build_t *b, FILE *out, const EVP_MD *md, uint8_t *digest,
                            unsigned *digest_len, kyso_pdf_sig_slot_t *slot)
{
	kyso_pdf_t *pdf = b->pdf;
	const kyso_pdf_sig_params_t *p = b->p;
	kyso_error_t *err = b->err;
	writer_t *w = &b->w;
	uint64_t total = pdf->size + w->u.len;
	uint64_t lt = pdf->size + b->hex_at - 1;              /* offset of '<' */
	uint64_t gt = pdf->size + b->hex_at + b->hex_len + 1; /* just after '>' */
	char br[BR_WIDTH + 1];
	int bl = snprintf(br, sizeof(br), "[0 %llu %llu %llu]", (unsigned long long)lt,
	                  (unsigned long long)gt, (unsigned long long)(total - gt));
	if (bl <= 0 || bl > BR_WIDTH)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "%s",
		                      _("Could not build the signature update"));
	memcpy(w->u.data + b->br_at, br, (size_t)bl);

	EVP_MD_CTX *mdc = NULL;
	kyso_err_t rc;
	bool early = p->prefix != NULL && p->prefix->copy != NULL && p->prefix->out == out &&
	             p->prefix->md == md;
	if (!early && p->prefix != NULL && p->prefix->copy != NULL) /* not ours: let it end */
		(void)kyso_file_copy_finish(&p->prefix->copy, NULL);
	if (early) {
		rc = prefix_take(p->prefix, &mdc, err);
	} else {
		mdc = EVP_MD_CTX_new();
		if (!mdc || EVP_DigestInit_ex(mdc, md, NULL) != 1)
			rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", _("Hashing failed"));
		else if (fseeko(out, 0, SEEK_SET) != 0)
			rc = kyso_error_set(err, KYSO_ERR_IO, "%s",
			                    _("Could not write the signed PDF (disk full?)"));
		else
			rc = copy_error(kyso_file_copy_to(pdf->f, out, pdf->size,
			                                  kyso_pdf_digest_sink, mdc, err),
			                err);
	}
	if (rc == KYSO_OK && (EVP_DigestUpdate(mdc, w->u.data, b->hex_at - 1) != 1 ||
	                      EVP_DigestUpdate(mdc, w->u.data + b->hex_at + b->hex_len + 1,
	                                       w->u.len - b->hex_at - b->hex_len - 1) != 1 ||
	                      EVP_DigestFinal_ex(mdc, digest, digest_len) != 1))
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", _("Hashing failed"));
	EVP_MD_CTX_free(mdc);
	if (rc == KYSO_OK && (fwrite(w->u.data, 1, w->u.len, out) != w->u.len || fflush(out) != 0))
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s",
		                    _("Could not write the signed PDF (disk full?)"));
	if (rc != KYSO_OK)
		return rc;
	slot->contents_offset = pdf->size + b->hex_at;
	slot->contents_hex_len = b->hex_len;
	slot->byte_range[0] = 0;
	slot->byte_range[1] = lt;
	slot->byte_range[2] = gt;
	slot->byte_range[3] = total - gt;
	slot->file_size = total;
	if (b->existing) {
		char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(b->exf, "T"));
		snprintf(slot->field_name, sizeof(slot->field_name), "%s", t ? t : "");
		free(t);
	} else {
		snprintf(slot->field_name, sizeof(slot->field_name), "%s", b->fname);
	}
	return KYSO_OK;
}

static void sig_build_free(sig_build_t *b)
{
	kyso_pdf_obj_free(b->cat);
	kyso_pdf_obj_free(b->page);
	kyso_pdf_obj_free(b->afd);
	kyso_pdf_obj_free(b->exf);
	free(b->extra);
	free(b->wnums);
	free(b->snums);
	free(b->w.objs);
	kyso_buf_free(&b->w.u);
}

kyso_err_t kyso_pdf_sig_prepare(kyso_pdf_t *pdf, const kyso_pdf_sig_params_t *p, FILE *out,
                                const EVP_MD *md, uint8_t *digest, unsigned *digest_len,
                                kyso_pdf_sig_slot_t *slot, kyso_error_t *err)
{
	kyso_error_clear(err);
	if (!p || !p->sub_filter || p->contents_size == 0 || p->contents_size > ((size_t)1 << 20) ||
	    !out || !md || !digest || !slot)
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                      _("Invalid signature parameters (internal error)"));
	/* objects loaded below may trigger the lazy xref rebuild; the update is
	 * then built again on the rebuilt xref (once: it cannot happen twice) */
	bool was_repaired = pdf->repaired;
	sig_build_t b;
	memset(&b, 0, sizeof(b));
	b.pdf = pdf;
	b.p = p;
	b.err = err;
	b.w.pdf = pdf;
	b.w.err = err;
	kyso_buf_init(&b.w.u);
	kyso_err_t rc = sig_check(&b);
	if (rc != KYSO_OK)
		return rc;
	b.w.next_num = first_new_num(pdf);
	rc = sig_field_names(&b);
	if (rc == KYSO_OK)
		rc = sig_numbers(&b);
	if (rc == KYSO_OK) {
		uint8_t last = 0;
		if (pdf->size > 0)
			kyso_pdf_file_read(pdf, pdf->size - 1, &last, 1);
		b.w.base_rel = pdf->size - pdf->hdr;
		if (pdf->size > 0 && last != '\n' && last != '\r')
			kyso_buf_append(&b.w.u, "\n", 1);
		rc = sig_pages_and_form(&b);
	}
	if (rc == KYSO_OK)
		rc = sig_field(&b);
	if (rc == KYSO_OK) {
		sig_appearance(&b);
		rc = sig_dictionary(&b);
	}
	/* a document that used up its reading budget is not signed */
	if (rc == KYSO_OK || pdf->over_budget)
		rc = pdf->over_budget ? kyso_pdf_budget_error(pdf, err) : rc;
	bool retry = rc == KYSO_OK && pdf->repaired != was_repaired;
	if (rc == KYSO_OK && !retry)
		rc = sig_write(&b, out, md, digest, digest_len, slot);
	sig_build_free(&b);
	if (retry)
		return kyso_pdf_sig_prepare(pdf, p, out, md, digest, digest_len, slot, err);
	return rc;
}

kyso_err_t kyso_pdf_sig_fill(FILE *out, const kyso_pdf_sig_slot_t *slot, const uint8_t *der,
                             size_t der_len, kyso_error_t *err)
{
	if (!slot || der_len * 2 > slot->contents_hex_len)
		return kyso_error_set(
		        err, KYSO_ERR_INTERNAL,
		        _("The signature (%zu bytes) does not fit the reserved space"), der_len);
	char *hex = malloc(der_len * 2 + 1);
	if (!hex)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	kyso_hex_encode(der, der_len, hex);
	kyso_err_t rc = KYSO_OK;
	if (fseeko(out, (off_t)slot->contents_offset, SEEK_SET) != 0 ||
	    fwrite(hex, 1, der_len * 2, out) != der_len * 2 || fflush(out) != 0)
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s",
		                    _("Could not write the signed PDF (disk full?)"));
	free(hex);
	return rc;
}

/* ---- long-term validation data (DSS) ---- */

/* Index in arr of a stream whose data equals b, or -1. */
static long find_same_stream(kyso_pdf_t *pdf, const kyso_pdf_obj_t *arr, const kyso_pdf_blob_t *b)
{
	for (size_t i = 0; i < kyso_pdf_array_len(arr) && i < 10000; i++) {
		kyso_pdf_obj_t *o = kyso_pdf_resolve(pdf, kyso_pdf_array_get(arr, i), NULL);
		kyso_buf_t d;
		kyso_buf_init(&d);
		bool decoded = false, same = false;
		if (kyso_pdf_obj_type(o) == KYSO_PDF_STREAM &&
		    kyso_pdf_stream_data(pdf, o, b->len + 1, &d, &decoded, NULL) == KYSO_OK)
			same = d.len == b->len && memcmp(d.data, b->data, b->len) == 0;
		kyso_buf_free(&d);
		kyso_pdf_obj_free(o);
		if (same)
			return (long)i;
	}
	return -1;
}

/* Adds the blobs to the DSS array dss[key] (new streams unless already
 * there) and their references to vri_arr (may be NULL). */
static kyso_err_t dss_add(writer_t *w, kyso_pdf_obj_t *dss, const char *key,
                          const kyso_pdf_blob_t *b, size_t n, kyso_pdf_obj_t *vri_arr)
{
	if (n == 0)
		return KYSO_OK;
	kyso_pdf_obj_t *arr = kyso_pdf_resolve(w->pdf, kyso_pdf_dict_get(dss, key), NULL);
	if (kyso_pdf_obj_type(arr) != KYSO_PDF_ARRAY) {
		kyso_pdf_obj_free(arr);
		arr = kyso_pdf_obj_new(KYSO_PDF_ARRAY);
		if (!arr)
			return KYSO_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		long at = find_same_stream(w->pdf, arr, &b[i]);
		kyso_pdf_obj_t *ref;
		if (at >= 0) {
			ref = kyso_pdf_obj_copy(kyso_pdf_array_get(arr, (size_t)at));
		} else {
			uint32_t num = w->next_num++;
			write_stream(w, num, "<<>>", NULL, 0, b[i].data, b[i].len);
			ref = kyso_pdf_obj_new_ref(num, 0);
			if (!ref || !kyso_pdf_array_push(arr, kyso_pdf_obj_copy(ref))) {
				kyso_pdf_obj_free(ref);
				kyso_pdf_obj_free(arr);
				return KYSO_ERR_NOMEM;
			}
		}
		if (!ref || (vri_arr && !kyso_pdf_array_push(vri_arr, kyso_pdf_obj_copy(ref)))) {
			kyso_pdf_obj_free(ref);
			kyso_pdf_obj_free(arr);
			return KYSO_ERR_NOMEM;
		}
		kyso_pdf_obj_free(ref);
	}
	return kyso_pdf_dict_set(dss, key, arr) ? KYSO_OK : KYSO_ERR_NOMEM;
}

static kyso_err_t dss_vri(writer_t *w, kyso_pdf_obj_t *dss, const kyso_pdf_dss_t *d)
{
	kyso_pdf_obj_t *vri = kyso_pdf_resolve(w->pdf, kyso_pdf_dict_get(dss, "VRI"), NULL);
	if (kyso_pdf_obj_type(vri) != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(vri);
		vri = kyso_pdf_obj_new(KYSO_PDF_DICT);
	}
	kyso_pdf_obj_t *entry = kyso_pdf_obj_new(KYSO_PDF_DICT);
	kyso_pdf_obj_t *a[3] = {kyso_pdf_obj_new(KYSO_PDF_ARRAY), kyso_pdf_obj_new(KYSO_PDF_ARRAY),
	                        kyso_pdf_obj_new(KYSO_PDF_ARRAY)};
	kyso_err_t rc = vri && entry && a[0] && a[1] && a[2] ? KYSO_OK : KYSO_ERR_NOMEM;
	if (rc == KYSO_OK)
		rc = dss_add(w, dss, "Certs", d->certs, d->ncerts, a[0]);
	if (rc == KYSO_OK)
		rc = dss_add(w, dss, "CRLs", d->crls, d->ncrls, a[1]);
	if (rc == KYSO_OK)
		rc = dss_add(w, dss, "OCSPs", d->ocsps, d->nocsps, a[2]);
	static const char *const keys[] = {"Cert", "CRL", "OCSP"};
	if (rc == KYSO_OK && !kyso_pdf_dict_set(entry, "Type", kyso_pdf_obj_namev("VRI")))
		rc = KYSO_ERR_NOMEM;
	for (int i = 0; i < 3; i++) {
		if (rc == KYSO_OK && kyso_pdf_array_len(a[i]) > 0) {
			if (!kyso_pdf_dict_set(entry, keys[i], a[i]))
				rc = KYSO_ERR_NOMEM;
			a[i] = NULL;
		}
		kyso_pdf_obj_free(a[i]);
	}
	if (rc == KYSO_OK) {
		if (!kyso_pdf_dict_set(vri, d->vri_key, entry))
			rc = KYSO_ERR_NOMEM;
		entry = NULL;
	}
	kyso_pdf_obj_free(entry);
	if (rc == KYSO_OK) {
		if (!kyso_pdf_dict_set(dss, "VRI", vri))
			rc = KYSO_ERR_NOMEM;
		vri = NULL;
	}
	kyso_pdf_obj_free(vri);
	return rc;
}

kyso_err_t kyso_pdf_append_dss(kyso_pdf_t *pdf, const kyso_pdf_dss_t *d, FILE *out,
                               uint64_t *file_size, kyso_error_t *err)
{
	kyso_error_clear(err);
	writer_t w;
	memset(&w, 0, sizeof(w));
	w.pdf = pdf;
	w.err = err;
	kyso_buf_init(&w.u);
	w.next_num = first_new_num(pdf);
	w.base_rel = pdf->size - pdf->hdr;
	uint8_t last = 0;
	if (pdf->size > 0)
		kyso_pdf_file_read(pdf, pdf->size - 1, &last, 1);
	if (pdf->size > 0 && last != '\n' && last != '\r')
		kyso_buf_append(&w.u, "\n", 1);
	kyso_err_t rc = KYSO_OK;
	uint32_t root_num = 0, dss_num = 0;
	kyso_pdf_obj_ref(kyso_pdf_dict_get(pdf->trailer, "Root"), &root_num, NULL);
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	kyso_pdf_obj_t *dss = NULL;
	if (!cat || !root_num) {
		rc = err->code ? err->code
		               : kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                                _("The PDF has no usable document catalog; it is "
		                                  "damaged beyond repair"));
		goto out;
	}
	const kyso_pdf_obj_t *dv = kyso_pdf_dict_get(cat, "DSS");
	kyso_pdf_obj_ref(dv, &dss_num, NULL);
	dss = kyso_pdf_resolve(pdf, dv, NULL);
	if (kyso_pdf_obj_type(dss) != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(dss);
		dss = kyso_pdf_obj_new(KYSO_PDF_DICT);
		dss_num = 0;
	}
	if (!dss || !kyso_pdf_dict_set(dss, "Type", kyso_pdf_obj_namev("DSS"))) {
		rc = KYSO_ERR_NOMEM;
		goto out;
	}
	if (d->vri_key) {
		rc = dss_vri(&w, dss, d);
	} else {
		rc = dss_add(&w, dss, "Certs", d->certs, d->ncerts, NULL);
		if (rc == KYSO_OK)
			rc = dss_add(&w, dss, "CRLs", d->crls, d->ncrls, NULL);
		if (rc == KYSO_OK)
			rc = dss_add(&w, dss, "OCSPs", d->ocsps, d->nocsps, NULL);
	}
	if (rc != KYSO_OK)
		goto out;
	if (dss_num) {
		write_obj(&w, dss_num, entry_gen(pdf, dss_num), dss);
	} else {
		dss_num = w.next_num++;
		write_obj(&w, dss_num, 0, dss);
		if (!kyso_pdf_dict_set(cat, "DSS", kyso_pdf_obj_new_ref(dss_num, 0))) {
			rc = KYSO_ERR_NOMEM;
			goto out;
		}
		write_obj(&w, root_num, entry_gen(pdf, root_num), cat);
	}
	write_xref(&w);
	if (w.rc != KYSO_OK) {
		rc = w.rc;
		goto out;
	}
	if (fseeko(out, 0, SEEK_END) != 0 || (uint64_t)ftello(out) != pdf->size ||
	    fwrite(w.u.data, 1, w.u.len, out) != w.u.len || fflush(out) != 0) {
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s",
		                    _("Could not write the signed PDF (disk full?)"));
		goto out;
	}
	*file_size = pdf->size + w.u.len;
out:
	if (rc != KYSO_OK && err->code == KYSO_OK)
		kyso_error_set(err, rc, "%s", _("Could not add the long-term validation data"));
	kyso_pdf_obj_free(dss);
	kyso_pdf_obj_free(cat);
	free(w.objs);
	kyso_buf_free(&w.u);
	return rc;
}
