/* Reading existing signatures, revisions (%%EOF markers), hashing byte
 * ranges, and classifying what later revisions changed. */
#include "pdf_impl.h"
#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

/* ---- revisions ---- */

static kyso_err_t add_rev(kyso_pdf_t *pdf, uint64_t end, uint64_t sx)
{
	kyso_pdf_revision_t *r = realloc(pdf->revs, (pdf->nrevs + 1) * sizeof(*r));
	if (!r)
		return KYSO_ERR_NOMEM;
	pdf->revs = r;
	r[pdf->nrevs].eof_end = end;
	r[pdf->nrevs].startxref = sx;
	pdf->nrevs++;
	return KYSO_OK;
}

static uint64_t startxref_before(kyso_pdf_t *pdf, uint64_t eof_pos)
{
	uint8_t buf[128];
	uint64_t from = eof_pos > sizeof(buf) ? eof_pos - sizeof(buf) : 0;
	size_t n = kyso_pdf_file_read(pdf, from, buf, (size_t)(eof_pos - from));
	for (size_t i = n >= 9 ? n - 9 + 1 : 0; i-- > 0;) {
		if (memcmp(buf + i, "startxref", 9) == 0) {
			uint64_t v = 0;
			size_t j = i + 9;
			while (j < n && kyso_pdf_is_white(buf[j]))
				j++;
			size_t d = 0;
			while (j < n && buf[j] >= '0' && buf[j] <= '9' && d < 19) {
				v = v * 10 + (uint64_t)(buf[j++] - '0');
				d++;
			}
			return d ? v : UINT64_MAX;
		}
	}
	return UINT64_MAX;
}

kyso_err_t kyso_pdf_revisions(kyso_pdf_t *pdf, const kyso_pdf_revision_t **revs, size_t *n,
                              kyso_error_t *err)
{
	if (!pdf->revs_done) {
		uint8_t *buf = malloc(65536 + 8);
		if (!buf)
			return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		uint64_t pos = pdf->hdr;
		while (pos < pdf->size) {
			size_t got = kyso_pdf_file_read(pdf, pos, buf, 65536 + 8);
			if (got < 5)
				break;
			size_t lim = pos + got >= pdf->size ? got - 5 + 1 : got - 8;
			for (size_t i = 0; i < lim; i++) {
				if (buf[i] != '%' || memcmp(buf + i, "%%EOF", 5) != 0)
					continue;
				uint64_t end = pos + i + 5;
				uint8_t eol[2] = {0, 0};
				size_t k = kyso_pdf_file_read(pdf, end, eol, 2);
				if (k >= 1 && eol[0] == '\r') {
					end++;
					if (k == 2 && eol[1] == '\n')
						end++;
				} else if (k >= 1 && eol[0] == '\n') {
					end++;
				}
				if (add_rev(pdf, end, startxref_before(pdf, pos + i)) != KYSO_OK) {
					free(buf);
					return kyso_error_set(err, KYSO_ERR_NOMEM, "%s",
					                      _("Out of memory"));
				}
			}
			if (pos + got >= pdf->size)
				break;
			pos += lim;
		}
		free(buf);
		pdf->revs_done = true;
	}
	*revs = pdf->revs;
	*n = pdf->nrevs;
	return KYSO_OK;
}

/* ---- hashing ---- */

bool kyso_pdf_digest_sink(void *ctx, const uint8_t *data, size_t len)
{
	return EVP_DigestUpdate(ctx, data, len) == 1;
}

kyso_err_t kyso_pdf_hash_ranges(kyso_pdf_t *pdf, const uint64_t br[4], const EVP_MD *md,
                                uint8_t *digest, unsigned *digest_len, kyso_error_t *err)
{
	if (br[0] > pdf->size || br[1] > pdf->size - br[0] || br[2] > pdf->size ||
	    br[3] > pdf->size - br[2])
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The signature's byte range lies outside the file"));
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	kyso_err_t rc = KYSO_OK;
	if (!c || EVP_DigestInit_ex(c, md, NULL) != 1) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		goto out;
	}
	/* straight from the page cache where the OS can (no copy through stdio) */
	for (size_t r = 0; r < 2 && rc == KYSO_OK; r++) {
		rc = kyso_file_read_range(pdf->f, br[2 * r], br[2 * r + 1], kyso_pdf_digest_sink, c,
		                          err);
		if (rc == KYSO_ERR_INTERNAL)
			rc = kyso_error_set(err, rc, "%s", _("Hashing failed"));
		else if (rc != KYSO_OK && rc != KYSO_ERR_NOMEM)
			rc = kyso_error_set(err, KYSO_ERR_IO, "%s",
			                    _("Could not read the input PDF"));
	}
	if (rc == KYSO_OK && EVP_DigestFinal_ex(c, digest, digest_len) != 1)
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", _("Hashing failed"));
out:
	EVP_MD_CTX_free(c);
	return rc;
}

/* ---- signatures ---- */

typedef struct {
	kyso_pdf_sig_info_t *v;
	size_t n, cap;
	size_t visited;
} sig_list_t;

static char *dup_text(const kyso_pdf_obj_t *o)
{
	return kyso_pdf_obj_text(o);
}

/* Absolute offset of the '<' of /Contents in object num (0 if unknown). */
static uint64_t contents_offset(kyso_pdf_t *pdf, uint32_t num)
{
	if (num >= pdf->xref_n || pdf->xref[num].type != XREF_OFFSET)
		return 0;
	pdf_src_t s;
	kyso_pdf_src_file(&s, pdf, pdf->hdr + pdf->xref[num].off);
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	uint64_t found = 0;
	int depth = 0;
	for (int i = 0; i < 100000; i++) {
		pdf_tok_type_t tt = kyso_pdf_lex(&s, &t);
		if (tt == TOK_EOF || tt == TOK_ERROR)
			break;
		if (tt == TOK_DICT_OPEN || tt == TOK_ARRAY_OPEN)
			depth++;
		else if (tt == TOK_DICT_CLOSE || tt == TOK_ARRAY_CLOSE)
			depth--;
		else if (tt == TOK_KEYWORD && strcmp((char *)t.s.data, "endobj") == 0)
			break;
		if (depth == 0 && tt == TOK_DICT_CLOSE)
			break;
		if (depth == 1 && tt == TOK_NAME && strcmp((char *)t.s.data, "Contents") == 0) {
			if (kyso_pdf_lex(&s, &t) == TOK_STRING && t.hex)
				found = t.start;
			break;
		}
	}
	kyso_pdf_tok_free(&t);
	return found;
}

/* FieldMDP parameters (/Action, /Fields) into s; false when there are none. */
static bool read_lock(kyso_pdf_t *pdf, const kyso_pdf_obj_t *params, kyso_pdf_sig_info_t *s)
{
	const kyso_pdf_obj_t *a = kyso_pdf_dict_get(params, "Action");
	kyso_pdf_lock_t lk = kyso_pdf_obj_is_name(a, "All")       ? KYSO_PDF_LOCK_ALL
	                     : kyso_pdf_obj_is_name(a, "Include") ? KYSO_PDF_LOCK_INCLUDE
	                     : kyso_pdf_obj_is_name(a, "Exclude") ? KYSO_PDF_LOCK_EXCLUDE
	                                                          : KYSO_PDF_LOCK_NONE;
	if (lk == KYSO_PDF_LOCK_NONE)
		return false;
	s->lock = lk;
	if (lk == KYSO_PDF_LOCK_ALL)
		return true;
	kyso_pdf_obj_t *f = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(params, "Fields"), NULL);
	size_t n = kyso_pdf_array_len(f);
	if (n > 4096)
		n = 4096;
	s->lock_fields = n > 0 ? calloc(n, sizeof(char *)) : NULL;
	for (size_t i = 0; s->lock_fields != NULL && i < n; i++) {
		kyso_pdf_obj_t *t = kyso_pdf_resolve(pdf, kyso_pdf_array_get(f, i), NULL);
		char *name = kyso_pdf_obj_text(t);
		kyso_pdf_obj_free(t);
		if (name != NULL)
			s->lock_fields[s->nlock_fields++] = name;
	}
	kyso_pdf_obj_free(f);
	return true;
}

static void add_sig(kyso_pdf_t *pdf, sig_list_t *l, const char *fullname,
                    const kyso_pdf_obj_t *vref, uint32_t field_num, const kyso_pdf_obj_t *field)
{
	uint32_t sig_num = 0;
	kyso_pdf_obj_ref(vref, &sig_num, NULL);
	kyso_pdf_obj_t *sig = kyso_pdf_resolve(pdf, vref, NULL);
	if (!sig || sig->type != KYSO_PDF_DICT) {
		kyso_pdf_obj_free(sig);
		return;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4;
		kyso_pdf_sig_info_t *p = realloc(l->v, nc * sizeof(*p));
		if (!p) {
			kyso_pdf_obj_free(sig);
			return;
		}
		l->v = p;
		l->cap = nc;
	}
	kyso_pdf_sig_info_t *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->field_name = strdup(fullname);
	s->sub_filter = kyso_pdf_obj_name(kyso_pdf_dict_get(sig, "SubFilter"))
	                        ? strdup(kyso_pdf_obj_name(kyso_pdf_dict_get(sig, "SubFilter")))
	                        : NULL;
	s->filter = kyso_pdf_obj_name(kyso_pdf_dict_get(sig, "Filter"))
	                    ? strdup(kyso_pdf_obj_name(kyso_pdf_dict_get(sig, "Filter")))
	                    : NULL;
	s->is_doc_timestamp = kyso_pdf_obj_is_name(kyso_pdf_dict_get(sig, "Type"), "DocTimeStamp");
	const kyso_pdf_obj_t *br = kyso_pdf_dict_get(sig, "ByteRange");
	s->byte_range_ok = kyso_pdf_array_len(br) == 4;
	for (size_t i = 0; i < 4 && s->byte_range_ok; i++) {
		int64_t v;
		if (!kyso_pdf_obj_int(kyso_pdf_array_get(br, i), &v) || v < 0)
			s->byte_range_ok = false;
		else
			s->byte_range[i] = (uint64_t)v;
	}
	if (s->byte_range_ok)
		s->covered_end = s->byte_range[2] + s->byte_range[3];
	size_t cl;
	const uint8_t *c = kyso_pdf_obj_string(kyso_pdf_dict_get(sig, "Contents"), &cl);
	if (c && (s->contents = malloc(cl + 1))) {
		memcpy(s->contents, c, cl);
		s->contents_len = cl;
	}
	s->contents_offset = sig_num ? contents_offset(pdf, sig_num) : 0;
	const uint8_t *m = kyso_pdf_obj_string(kyso_pdf_dict_get(sig, "M"), &cl);
	if (m)
		s->m = strndup((const char *)m, cl);
	s->name = dup_text(kyso_pdf_dict_get(sig, "Name"));
	s->reason = dup_text(kyso_pdf_dict_get(sig, "Reason"));
	s->location = dup_text(kyso_pdf_dict_get(sig, "Location"));
	s->contact_info = dup_text(kyso_pdf_dict_get(sig, "ContactInfo"));
	s->revision = -1;
	s->sig_num = sig_num;
	s->field_num = field_num;
	/* certification signature */
	const kyso_pdf_obj_t *refs = kyso_pdf_dict_get(sig, "Reference");
	for (size_t i = 0; i < kyso_pdf_array_len(refs); i++) {
		kyso_pdf_obj_t *r = kyso_pdf_resolve(pdf, kyso_pdf_array_get(refs, i), NULL);
		if (kyso_pdf_obj_is_name(kyso_pdf_dict_get(r, "TransformMethod"), "FieldMDP") &&
		    s->lock == KYSO_PDF_LOCK_NONE) {
			kyso_pdf_obj_t *tp = kyso_pdf_resolve(
			        pdf, kyso_pdf_dict_get(r, "TransformParams"), NULL);
			read_lock(pdf, tp, s);
			kyso_pdf_obj_free(tp);
		}
		if (kyso_pdf_obj_is_name(kyso_pdf_dict_get(r, "TransformMethod"), "DocMDP")) {
			int64_t pv = 2;
			kyso_pdf_obj_t *tp = kyso_pdf_resolve(
			        pdf, kyso_pdf_dict_get(r, "TransformParams"), NULL);
			kyso_pdf_obj_int(kyso_pdf_dict_get(tp, "P"), &pv);
			kyso_pdf_obj_free(tp);
			s->docmdp_p = pv >= 1 && pv <= 3 ? (int)pv : 2;
		}
		kyso_pdf_obj_free(r);
	}
	/* no FieldMDP reference: the signature field's /Lock */
	if (s->lock == KYSO_PDF_LOCK_NONE && field != NULL) {
		kyso_pdf_obj_t *lock =
		        kyso_pdf_resolve(pdf, kyso_pdf_dict_get(field, "Lock"), NULL);
		if (kyso_pdf_obj_type(lock) == KYSO_PDF_DICT)
			read_lock(pdf, lock, s);
		kyso_pdf_obj_free(lock);
	}
	kyso_pdf_obj_free(sig);
}

static void walk_fields(kyso_pdf_t *pdf, sig_list_t *l, const kyso_pdf_obj_t *arr,
                        const char *prefix, bool inh_sig, int depth)
{
	if (depth > 32)
		return;
	for (size_t i = 0; i < kyso_pdf_array_len(arr) && l->visited < 100000; i++) {
		l->visited++;
		const kyso_pdf_obj_t *ref = kyso_pdf_array_get(arr, i);
		uint32_t fnum = 0;
		kyso_pdf_obj_ref(ref, &fnum, NULL);
		kyso_pdf_obj_t *f = kyso_pdf_resolve(pdf, ref, NULL);
		if (!f || f->type != KYSO_PDF_DICT) {
			kyso_pdf_obj_free(f);
			continue;
		}
		char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(f, "T"));
		char name[1024];
		if (t && *prefix)
			snprintf(name, sizeof(name), "%s.%s", prefix, t);
		else
			snprintf(name, sizeof(name), "%s", t ? t : prefix);
		free(t);
		const kyso_pdf_obj_t *ft = kyso_pdf_dict_get(f, "FT");
		bool is_sig = ft ? kyso_pdf_obj_is_name(ft, "Sig") : inh_sig;
		const kyso_pdf_obj_t *v = kyso_pdf_dict_get(f, "V");
		if (is_sig && v && (v->type == KYSO_PDF_REF || v->type == KYSO_PDF_DICT))
			add_sig(pdf, l, name, v, fnum, f);
		kyso_pdf_obj_t *kids = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(f, "Kids"), NULL);
		if (kids && kids->type == KYSO_PDF_ARRAY && !v)
			walk_fields(pdf, l, kids, name, is_sig, depth + 1);
		kyso_pdf_obj_free(kids);
		kyso_pdf_obj_free(f);
	}
}

kyso_err_t kyso_pdf_signatures(kyso_pdf_t *pdf, kyso_pdf_sig_info_t **out, size_t *n,
                               kyso_error_t *err)
{
	*out = NULL;
	*n = 0;
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, err);
	if (!cat)
		return err->code;
	kyso_pdf_obj_t *af = kyso_pdf_resolve(pdf, kyso_pdf_dict_get(cat, "AcroForm"), NULL);
	kyso_pdf_obj_t *fields =
	        af ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(af, "Fields"), NULL) : NULL;
	sig_list_t l;
	memset(&l, 0, sizeof(l));
	walk_fields(pdf, &l, fields, "", false, 0);
	kyso_pdf_obj_free(fields);
	kyso_pdf_obj_free(af);
	kyso_pdf_obj_free(cat);
	const kyso_pdf_revision_t *revs = NULL;
	size_t nrev = 0;
	if (l.n && kyso_pdf_revisions(pdf, &revs, &nrev, err) == KYSO_OK) {
		for (size_t i = 0; i < l.n; i++)
			for (size_t r = 0; r < nrev; r++)
				if (l.v[i].byte_range_ok && revs[r].eof_end == l.v[i].covered_end)
					l.v[i].revision = (long)r;
	}
	/* fields skipped for a budget used up: the list is not to be trusted */
	if (kyso_pdf_budget_error(pdf, err) != KYSO_OK) {
		kyso_pdf_sig_info_free(l.v, l.n);
		return KYSO_ERR_BAD_PDF;
	}
	*out = l.v;
	*n = l.n;
	return KYSO_OK;
}

void kyso_pdf_sig_info_free(kyso_pdf_sig_info_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].field_name);
		free(v[i].sub_filter);
		free(v[i].filter);
		free(v[i].contents);
		free(v[i].m);
		free(v[i].name);
		free(v[i].reason);
		free(v[i].location);
		free(v[i].contact_info);
		for (size_t k = 0; k < v[i].nlock_fields; k++)
			free(v[i].lock_fields[k]);
		free(v[i].lock_fields);
	}
	free(v);
}

/* ---- changes after a revision ---- */

const char *kyso_pdf_change_kind_id(kyso_pdf_change_kind_t k)
{
	switch (k) {
	case KYSO_PDF_CHANGE_SIGNATURE:
		return "signature";
	case KYSO_PDF_CHANGE_FORM_FIELD:
		return "form-field";
	case KYSO_PDF_CHANGE_ACROFORM:
		return "acroform";
	case KYSO_PDF_CHANGE_PAGE_ANNOTS:
		return "page-annots";
	case KYSO_PDF_CHANGE_CATALOG_FORM:
		return "catalog-form";
	case KYSO_PDF_CHANGE_APPEARANCE:
		return "appearance";
	case KYSO_PDF_CHANGE_DSS:
		return "dss";
	case KYSO_PDF_CHANGE_XREF:
		return "xref";
	case KYSO_PDF_CHANGE_ANNOTATION:
		return "annotation";
	case KYSO_PDF_CHANGE_OTHER:
		return "other";
	}
	return "other";
}

/* Object num as defined by the newest section older than index first_old. */
static kyso_pdf_obj_t *load_old(kyso_pdf_t *pdf, uint32_t num, size_t first_old)
{
	for (size_t s = first_old; s < pdf->nsections; s++) {
		const pdf_xref_entry_t *e = kyso_pdf_section_find(&pdf->sections[s], num);
		if (e) {
			if (e->type != XREF_OFFSET && e->type != XREF_COMPRESSED)
				return NULL;
			kyso_error_t err;
			kyso_error_clear(&err);
			pdf_xref_entry_t copy = *e;
			return kyso_pdf_load_entry(pdf, num, &copy, &err);
		}
	}
	return NULL;
}

/* True when old and new dicts differ only in the given keys. */
static bool only_keys_differ(const kyso_pdf_obj_t *a, const kyso_pdf_obj_t *b,
                             const char *const *keys, size_t nkeys)
{
	for (int pass = 0; pass < 2; pass++) {
		const kyso_pdf_obj_t *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < kyso_pdf_dict_len(x); i++) {
			const char *k = kyso_pdf_dict_key(x, i);
			bool allowed = false;
			for (size_t j = 0; j < nkeys; j++)
				allowed = allowed || strcmp(k, keys[j]) == 0;
			if (!allowed &&
			    !kyso_pdf_obj_equal(kyso_pdf_dict_value(x, i), kyso_pdf_dict_get(y, k)))
				return false;
		}
	}
	return true;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Is every item of old still in nw? References (the usual /Annots and
 * /Fields items) are looked up in a sorted list; other items are compared
 * one by one, charged to the work budget (two arrays of 100,000 items must
 * not cost 10^10 comparisons). */
static bool array_only_grew(kyso_pdf_t *pdf, const kyso_pdf_obj_t *old, const kyso_pdf_obj_t *nw)
{
	if (kyso_pdf_obj_type(old) != KYSO_PDF_ARRAY || kyso_pdf_obj_type(nw) != KYSO_PDF_ARRAY)
		return false;
	size_t nn = kyso_pdf_array_len(nw);
	uint64_t *refs = malloc((nn + 1) * sizeof(*refs));
	if (!refs)
		return false;
	size_t nr = 0;
	for (size_t j = 0; j < nn; j++) {
		uint32_t num;
		uint16_t gen;
		if (kyso_pdf_obj_ref(kyso_pdf_array_get(nw, j), &num, &gen))
			refs[nr++] = (uint64_t)num << 16 | gen;
	}
	qsort(refs, nr, sizeof(*refs), u64_cmp);
	bool ok = true;
	for (size_t i = 0; i < kyso_pdf_array_len(old) && ok; i++) {
		const kyso_pdf_obj_t *item = kyso_pdf_array_get(old, i);
		uint32_t num;
		uint16_t gen;
		if (kyso_pdf_obj_ref(item, &num, &gen)) {
			uint64_t key = (uint64_t)num << 16 | gen;
			ok = bsearch(&key, refs, nr, sizeof(*refs), u64_cmp) != NULL;
			continue;
		}
		if (!pdf_work(pdf, nn)) {
			ok = false;
			break;
		}
		bool found = false;
		for (size_t j = 0; j < nn && !found; j++)
			found = kyso_pdf_obj_equal(item, kyso_pdf_array_get(nw, j));
		ok = found;
	}
	free(refs);
	return ok;
}

/* A form field dictionary that is not a widget (a field with separate
 * widgets, or a parent field): /FT, or a name with a parent or kids. */
static bool is_field(const kyso_pdf_obj_t *o)
{
	return kyso_pdf_obj_type(o) == KYSO_PDF_DICT &&
	       (kyso_pdf_dict_get(o, "FT") != NULL ||
	        (kyso_pdf_dict_get(o, "T") != NULL &&
	         (kyso_pdf_dict_get(o, "Parent") != NULL || kyso_pdf_dict_get(o, "Kids") != NULL)));
}

/* An annotation other than a widget: /Type /Annot, or a known annotation
 * /Subtype with a /Rect. */
static bool is_annotation(const kyso_pdf_obj_t *o)
{
	static const char *const subtypes[] = {
	        "Text",    "Link",      "FreeText",    "Line",      "Square",         "Circle",
	        "Polygon", "PolyLine",  "Highlight",   "Underline", "Squiggly",       "StrikeOut",
	        "Stamp",   "Caret",     "Ink",         "Popup",     "FileAttachment", "Sound",
	        "Movie",   "Screen",    "PrinterMark", "TrapNet",   "Watermark",      "3D",
	        "Redact",  "RichMedia", "Projection"};
	if (kyso_pdf_obj_type(o) != KYSO_PDF_DICT)
		return false;
	if (kyso_pdf_obj_is_name(kyso_pdf_dict_get(o, "Type"), "Annot"))
		return true;
	const kyso_pdf_obj_t *sub = kyso_pdf_dict_get(o, "Subtype");
	if (kyso_pdf_dict_get(o, "Rect") == NULL || kyso_pdf_obj_name(sub) == NULL)
		return false;
	for (size_t i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
		if (kyso_pdf_obj_is_name(sub, subtypes[i]))
			return true;
	return false;
}

static kyso_pdf_change_kind_t classify(kyso_pdf_t *pdf, uint32_t num, size_t first_old,
                                       uint32_t fields_num, bool *is_new)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_pdf_obj_t *o = kyso_pdf_load(pdf, num, &e);
	kyso_pdf_obj_t *old = load_old(pdf, num, first_old);
	*is_new = old == NULL;
	kyso_pdf_change_kind_t k = KYSO_PDF_CHANGE_OTHER;
	const kyso_pdf_obj_t *type = kyso_pdf_dict_get(o, "Type");
	const kyso_pdf_obj_t *sub = kyso_pdf_dict_get(o, "Subtype");
	if (!o) {
		k = KYSO_PDF_CHANGE_OTHER;
	} else if (kyso_pdf_obj_is_name(type, "Sig") ||
	           kyso_pdf_obj_is_name(type, "DocTimeStamp")) {
		k = KYSO_PDF_CHANGE_SIGNATURE;
	} else if (kyso_pdf_obj_is_name(type, "XRef") || kyso_pdf_obj_is_name(type, "ObjStm")) {
		k = KYSO_PDF_CHANGE_XREF;
	} else if (kyso_pdf_obj_is_name(sub, "Widget") ||
	           kyso_pdf_obj_is_name(kyso_pdf_dict_get(o, "FT"), "Sig")) {
		k = KYSO_PDF_CHANGE_FORM_FIELD;
	} else if (is_field(o) && (!old || is_field(old))) {
		/* filling: the value and the kids change, nothing else (not its
		 * name, type or flags such as ReadOnly) */
		static const char *const keys[] = {"V", "Kids", "Lock", "SV"};
		k = !old || only_keys_differ(old, o, keys, 4) ? KYSO_PDF_CHANGE_FORM_FIELD
		                                              : KYSO_PDF_CHANGE_OTHER;
	} else if (is_annotation(o) && (!old || is_annotation(old))) {
		k = KYSO_PDF_CHANGE_ANNOTATION;
	} else if (kyso_pdf_obj_is_name(type, "Catalog")) {
		static const char *const keys[] = {"AcroForm", "Perms", "DSS", "Extensions"};
		k = old && only_keys_differ(old, o, keys, 4) ? KYSO_PDF_CHANGE_CATALOG_FORM
		                                             : KYSO_PDF_CHANGE_OTHER;
	} else if (kyso_pdf_obj_is_name(type, "Page")) {
		static const char *const keys[] = {"Annots"};
		k = old && only_keys_differ(old, o, keys, 1) ? KYSO_PDF_CHANGE_PAGE_ANNOTS
		                                             : KYSO_PDF_CHANGE_OTHER;
	} else if (kyso_pdf_obj_type(o) == KYSO_PDF_DICT && kyso_pdf_dict_get(o, "Fields") &&
	           (!old || kyso_pdf_dict_get(old, "Fields"))) {
		static const char *const keys[] = {"Fields", "SigFlags", "DR", "DA",
		                                   "NeedAppearances"};
		k = !old || only_keys_differ(old, o, keys, 5) ? KYSO_PDF_CHANGE_ACROFORM
		                                              : KYSO_PDF_CHANGE_OTHER;
	} else if (kyso_pdf_obj_type(o) == KYSO_PDF_ARRAY && old && array_only_grew(pdf, old, o)) {
		k = num == fields_num ? KYSO_PDF_CHANGE_ACROFORM : KYSO_PDF_CHANGE_PAGE_ANNOTS;
	} else if (kyso_pdf_obj_is_name(type, "DSS") || kyso_pdf_dict_get(o, "VRI") ||
	           kyso_pdf_dict_get(o, "OCSPs") || kyso_pdf_dict_get(o, "CRLs")) {
		k = KYSO_PDF_CHANGE_DSS;
	} else if (!old) {
		/* a new object changes nothing unless a changed object refers to it;
		 * new streams are appearance resources or LTV data */
		if (kyso_pdf_obj_is_name(sub, "Form"))
			k = KYSO_PDF_CHANGE_APPEARANCE;
		else if (o->type == KYSO_PDF_STREAM || kyso_pdf_obj_is_name(type, "Font") ||
		         kyso_pdf_obj_is_name(type, "FontDescriptor") ||
		         kyso_pdf_obj_is_name(type, "XObject"))
			k = o->type == KYSO_PDF_STREAM && !type && !sub
			            ? KYSO_PDF_CHANGE_DSS
			            : KYSO_PDF_CHANGE_APPEARANCE;
	}
	kyso_pdf_obj_free(o);
	kyso_pdf_obj_free(old);
	return k;
}

kyso_err_t kyso_pdf_changes_after(kyso_pdf_t *pdf, uint64_t end, kyso_pdf_change_t **out, size_t *n,
                                  kyso_error_t *err)
{
	*out = NULL;
	*n = 0;
	if (pdf->repaired)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The revisions cannot be compared: the cross-reference was "
		                        "rebuilt"));
	/* sections written after end: their offset (absolute) is >= end */
	size_t first_old = 0;
	while (first_old < pdf->nsections && pdf->hdr + pdf->sections[first_old].offset >= end)
		first_old++;
	uint32_t fields_num = 0;
	kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, NULL);
	kyso_pdf_obj_t *af =
	        cat ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(cat, "AcroForm"), NULL) : NULL;
	kyso_pdf_obj_ref(kyso_pdf_dict_get(af, "Fields"), &fields_num, NULL);
	kyso_pdf_obj_free(af);
	kyso_pdf_obj_free(cat);
	kyso_pdf_change_t *v = NULL;
	size_t cnt = 0, cap = 0;
	/* one bit per object number: seen in a newer section already (a linear
	 * search per entry would be quadratic in the entries) */
	uint32_t maxn = 0;
	for (size_t s = 0; s < first_old; s++)
		for (size_t i = 0; i < pdf->sections[s].n; i++)
			if (pdf->sections[s].items[i].num >= maxn)
				maxn = pdf->sections[s].items[i].num + 1;
	uint8_t *seen = calloc((size_t)maxn / 8 + 1, 1);
	if (!seen)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	/* no lazy xref rebuild while the sections are walked */
	bool was_repairing = pdf->repairing;
	pdf->repairing = true;
	for (size_t s = 0; s < first_old; s++) {
		const pdf_section_t *sec = &pdf->sections[s];
		for (size_t i = 0; i < sec->n; i++) {
			uint32_t num = sec->items[i].num;
			if (sec->items[i].e.type == XREF_FREE && num == 0)
				continue;
			if (seen[num / 8] & (1u << (num % 8)))
				continue;
			seen[num / 8] |= (uint8_t)(1u << (num % 8));
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				kyso_pdf_change_t *p = realloc(v, cap * sizeof(*p));
				if (!p) {
					free(v);
					free(seen);
					pdf->repairing = was_repairing;
					return kyso_error_set(err, KYSO_ERR_NOMEM, "%s",
					                      _("Out of memory"));
				}
				v = p;
			}
			kyso_pdf_change_t *c = &v[cnt++];
			c->num = num;
			c->gen = sec->items[i].e.gen;
			if (sec->items[i].e.type == XREF_FREE) {
				c->kind = KYSO_PDF_CHANGE_OTHER; /* an object was deleted */
				c->is_new = false;
			} else {
				c->kind = classify(pdf, num, first_old, fields_num, &c->is_new);
			}
		}
	}
	free(seen);
	pdf->repairing = was_repairing;
	if (kyso_pdf_budget_error(pdf, err) != KYSO_OK) {
		free(v);
		return KYSO_ERR_BAD_PDF;
	}
	*out = v;
	*n = cnt;
	return KYSO_OK;
}

/* ---- FieldMDP: locked fields changed later ---- */

bool kyso_pdf_lock_covers(const kyso_pdf_sig_info_t *s, const char *name)
{
	if (s->lock == KYSO_PDF_LOCK_NONE || name == NULL)
		return false;
	if (s->lock == KYSO_PDF_LOCK_ALL)
		return true;
	bool listed = false;
	for (size_t i = 0; i < s->nlock_fields && !listed; i++)
		listed = strcmp(s->lock_fields[i], name) == 0;
	return s->lock == KYSO_PDF_LOCK_INCLUDE ? listed : !listed;
}

/* Fully qualified name of field (or widget) num as it was at the revision
 * older than section first_old: its /T and its parents'. */
static bool old_field_name(kyso_pdf_t *pdf, uint32_t num, size_t first_old, char *out, size_t cap)
{
	out[0] = '\0';
	uint32_t cur = num;
	for (int depth = 0; depth < 32; depth++) {
		kyso_pdf_obj_t *o = load_old(pdf, cur, first_old);
		if (o == NULL)
			break;
		char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(o, "T"));
		if (t != NULL) {
			char tmp[1024];
			snprintf(tmp, sizeof(tmp), "%s%s%s", t, out[0] ? "." : "", out);
			snprintf(out, cap, "%s", tmp);
			free(t);
		}
		uint32_t parent = 0;
		bool up = kyso_pdf_obj_ref(kyso_pdf_dict_get(o, "Parent"), &parent, NULL);
		kyso_pdf_obj_free(o);
		if (!up || parent == cur)
			break;
		cur = parent;
	}
	return out[0] != '\0';
}

bool kyso_pdf_locked_field_changed(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *s, char *which,
                                   size_t cap)
{
	if (s->lock == KYSO_PDF_LOCK_NONE)
		return false;
	kyso_pdf_change_t *ch = NULL;
	size_t n = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_pdf_changes_after(pdf, s->covered_end, &ch, &n, &e) != KYSO_OK)
		return false;
	size_t first_old = 0;
	while (first_old < pdf->nsections &&
	       pdf->hdr + pdf->sections[first_old].offset >= s->covered_end)
		first_old++;
	/* what a field's value and look are made of */
	static const char *const keys[] = {"V", "AS", "AP", "T", "FT", "Ff", "Opt", "Rect"};
	bool found = false;
	bool was_repairing = pdf->repairing;
	pdf->repairing = true;
	for (size_t i = 0; i < n && !found; i++) {
		if (ch[i].is_new || ch[i].kind != KYSO_PDF_CHANGE_FORM_FIELD)
			continue;
		kyso_pdf_obj_t *cur = kyso_pdf_load(pdf, ch[i].num, &e);
		kyso_pdf_obj_t *old = load_old(pdf, ch[i].num, first_old);
		bool changed = false;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !changed; k++)
			changed = !kyso_pdf_obj_equal(kyso_pdf_dict_get(old, keys[k]),
			                              kyso_pdf_dict_get(cur, keys[k]));
		char name[1024];
		if (changed && old_field_name(pdf, ch[i].num, first_old, name, sizeof(name)) &&
		    kyso_pdf_lock_covers(s, name)) {
			found = true;
			if (which != NULL && cap > 0)
				snprintf(which, cap, "%s", name);
		}
		kyso_pdf_obj_free(cur);
		kyso_pdf_obj_free(old);
	}
	pdf->repairing = was_repairing;
	free(ch);
	return found;
}
