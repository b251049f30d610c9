/* Cross-reference: startxref, classic tables, hybrid /XRefStm, /Prev chains,
 * merging sections into one lookup table (newest wins). */
#include "pdf_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kyso_err_t kyso_pdf_section_add(pdf_section_t *sec, uint32_t num, const pdf_xref_entry_t *e)
{
	if (sec->n >= PDF_MAX_OBJECTS)
		return KYSO_ERR_BAD_PDF;
	if (sec->n == sec->cap) {
		size_t nc = sec->cap ? sec->cap * 2 : 64;
		pdf_xref_item_t *p = realloc(sec->items, nc * sizeof(*p));
		if (!p)
			return KYSO_ERR_NOMEM;
		sec->items = p;
		sec->cap = nc;
	}
	sec->items[sec->n].num = num;
	sec->items[sec->n].e = *e;
	sec->n++;
	return KYSO_OK;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Sorts by object number; for duplicates the first added wins. */
void kyso_pdf_section_sort(pdf_section_t *sec)
{
	size_t n = sec->n;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		if (sec->items[i].num <= sec->items[i - 1].num)
			sorted = false;
	if (sorted)
		return;
	uint64_t *keys = malloc(n * sizeof(*keys));
	pdf_xref_item_t *copy = malloc(n * sizeof(*copy));
	if (!keys || !copy) {
		free(keys);
		free(copy);
		return;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = (uint64_t)sec->items[i].num << 32 | (uint64_t)i;
	qsort(keys, n, sizeof(*keys), u64_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const pdf_xref_item_t *it = &sec->items[keys[i] & 0xffffffffu];
		if (m > 0 && copy[m - 1].num == it->num)
			continue;
		copy[m++] = *it;
	}
	memcpy(sec->items, copy, m * sizeof(*copy));
	sec->n = m;
	free(keys);
	free(copy);
}

const pdf_xref_entry_t *kyso_pdf_section_find(const pdf_section_t *sec, uint32_t num)
{
	size_t lo = 0, hi = sec->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sec->items[mid].num == num)
			return &sec->items[mid].e;
		if (sec->items[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Object numbers allowed for this file: one per two bytes is far beyond any
 * real document, and keeps a tiny file from claiming a huge xref table. */
uint32_t kyso_pdf_max_objects(const kyso_pdf_t *pdf)
{
	uint64_t lim = 1024 + pdf->size / 2;
	return lim < PDF_MAX_OBJECTS ? (uint32_t)lim : PDF_MAX_OBJECTS;
}

kyso_err_t kyso_pdf_budget_fail(kyso_pdf_t *pdf, kyso_error_t *err, const char *fmt, ...)
{
	if (!pdf->over_budget) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(pdf->budget_msg, sizeof(pdf->budget_msg), fmt, ap);
		va_end(ap);
		pdf->over_budget = true;
		kyso_warn("pdf: %s", pdf->budget_msg);
	}
	return kyso_pdf_budget_error(pdf, err);
}

kyso_err_t kyso_pdf_budget_error(const kyso_pdf_t *pdf, kyso_error_t *err)
{
	if (!pdf->over_budget)
		return KYSO_OK;
	if (err != NULL)
		kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s", pdf->budget_msg);
	return KYSO_ERR_BAD_PDF;
}

kyso_err_t kyso_pdf_xref_take(kyso_pdf_t *pdf, uint64_t n, kyso_error_t *err)
{
	uint64_t max = (uint64_t)kyso_pdf_max_objects(pdf) * PDF_XREF_PER_OBJECT;
	if (pdf->over_budget)
		return kyso_pdf_budget_error(pdf, err);
	if (n > max || pdf->xref_entries > max - n)
		return kyso_pdf_budget_fail(
		        pdf, err,
		        _("The PDF is damaged: its cross-reference sections list more than %llu "
		          "entries, more than a file of %llu bytes can hold"),
		        (unsigned long long)max, (unsigned long long)pdf->size);
	pdf->xref_entries += n;
	return KYSO_OK;
}

/* A subsection of count objects from first: more than the file can hold is
 * damage (and would make a tiny file claim millions of entries). */
static kyso_err_t check_subsection(kyso_pdf_t *pdf, int64_t first, int64_t count, uint64_t at,
                                   kyso_error_t *err)
{
	if (first >= 0 && count >= 0 && first <= (int64_t)kyso_pdf_max_objects(pdf) &&
	    count <= (int64_t)kyso_pdf_max_objects(pdf) - first)
		return KYSO_OK;
	return kyso_pdf_budget_fail(
	        pdf, err,
	        _("The PDF is damaged: the cross-reference section at byte %llu "
	          "claims objects %lld to %lld, more than a file of %llu bytes "
	          "can hold"),
	        (unsigned long long)at, (long long)first, (long long)(first + count - 1),
	        (unsigned long long)pdf->size);
}

kyso_err_t kyso_pdf_xref_set(kyso_pdf_t *pdf, uint32_t num, const pdf_xref_entry_t *e)
{
	if (num >= kyso_pdf_max_objects(pdf))
		return KYSO_ERR_BAD_PDF;
	if (num >= pdf->xref_n) {
		uint32_t nn = pdf->xref_n ? pdf->xref_n : 256;
		while (nn <= num)
			nn *= 2;
		if (nn > kyso_pdf_max_objects(pdf))
			nn = kyso_pdf_max_objects(pdf);
		pdf_xref_entry_t *p = realloc(pdf->xref, nn * sizeof(*p));
		if (!p)
			return KYSO_ERR_NOMEM;
		for (uint32_t i = pdf->xref_n; i < nn; i++) {
			memset(&p[i], 0, sizeof(p[i]));
			p[i].type = XREF_NONE;
		}
		pdf->xref = p;
		pdf->xref_n = nn;
	}
	pdf->xref[num] = *e;
	return KYSO_OK;
}

/* Finds the last "startxref" in the file's tail. */
static bool find_startxref(kyso_pdf_t *pdf, uint64_t *out)
{
	static const size_t tail = 65536;
	uint64_t start = pdf->size > tail ? pdf->size - tail : 0;
	if (start < pdf->hdr)
		start = pdf->hdr;
	size_t len = (size_t)(pdf->size - start);
	uint8_t *buf = malloc(len + 1);
	if (!buf)
		return false;
	len = kyso_pdf_file_read(pdf, start, buf, len);
	buf[len] = 0;
	bool found = false;
	for (size_t i = len >= 9 ? len - 9 + 1 : 0; i-- > 0;) {
		if (memcmp(buf + i, "startxref", 9) == 0) {
			pdf_src_t s;
			kyso_pdf_src_mem(&s, buf, len, i + 9);
			pdf_tok_t t;
			memset(&t, 0, sizeof(t));
			kyso_buf_init(&t.s);
			if (kyso_pdf_lex(&s, &t) == TOK_INT && t.i >= 0) {
				*out = (uint64_t)t.i;
				found = true;
			}
			kyso_pdf_tok_free(&t);
			break;
		}
	}
	free(buf);
	return found;
}

static kyso_err_t parse_classic(kyso_pdf_t *pdf, uint64_t abs, pdf_section_t *sec,
                                kyso_error_t *err)
{
	pdf_src_t s;
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	kyso_pdf_src_file(&s, pdf, abs);
	kyso_err_t rc = KYSO_ERR_BAD_PDF;
	if (pdf->over_budget)
		return kyso_pdf_budget_error(pdf, err);
	uint64_t filemax = pdf->size - pdf->hdr;
	if (kyso_pdf_lex(&s, &t) != TOK_KEYWORD || strcmp((char *)t.s.data, "xref") != 0)
		goto bad;
	for (;;) {
		pdf_tok_type_t tt = kyso_pdf_lex(&s, &t);
		if (tt == TOK_KEYWORD && strcmp((char *)t.s.data, "trailer") == 0)
			break;
		if (tt != TOK_INT || t.i < 0)
			goto bad;
		int64_t first = t.i;
		if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0)
			goto bad;
		int64_t count = t.i;
		rc = check_subsection(pdf, first, count, abs, err);
		if (rc == KYSO_OK)
			rc = kyso_pdf_xref_take(pdf, (uint64_t)count, err);
		if (rc != KYSO_OK)
			goto out;
		for (int64_t k = 0; k < count; k++) {
			if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0)
				goto bad;
			int64_t off = t.i;
			if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0)
				goto bad;
			int64_t gen = t.i;
			if (kyso_pdf_lex(&s, &t) != TOK_KEYWORD || t.s.len != 1 ||
			    (t.s.data[0] != 'n' && t.s.data[0] != 'f'))
				goto bad;
			int64_t num = first + k;
			/* common producer bug: table starting at 1 with the free head */
			if (first == 1 && k == 0 && t.s.data[0] == 'f' && off == 0 &&
			    gen == 65535) {
				first = 0;
				num = 0;
			}
			pdf_xref_entry_t e = {.off = (uint64_t)off,
			                      .gen = (uint16_t)(gen & 0xffff),
			                      .type = t.s.data[0] == 'n' ? XREF_OFFSET : XREF_FREE};
			if (e.type == XREF_OFFSET && (off == 0 || (uint64_t)off >= filemax))
				e.type = XREF_FREE; /* points nowhere; treated as free */
			rc = kyso_pdf_section_add(sec, (uint32_t)num, &e);
			if (rc != KYSO_OK)
				goto out;
		}
	}
	kyso_error_t pe;
	kyso_error_clear(&pe);
	sec->trailer = kyso_pdf_parse_object(&s, 0, &pe);
	if (!sec->trailer || sec->trailer->type != KYSO_PDF_DICT)
		goto bad;
	kyso_pdf_section_sort(sec);
	rc = KYSO_OK;
	goto out;
bad:
	rc = kyso_error_set(err, KYSO_ERR_BAD_PDF,
	                    _("The cross-reference table at byte %llu is damaged"),
	                    (unsigned long long)abs);
out:
	kyso_pdf_tok_free(&t);
	return rc;
}

static kyso_err_t parse_stream_section(kyso_pdf_t *pdf, uint64_t rel, pdf_section_t *sec,
                                       kyso_error_t *err)
{
	if (rel >= pdf->size - pdf->hdr)
		return kyso_error_set(
		        err, KYSO_ERR_BAD_PDF,
		        _("The cross-reference offset %llu is past the end of the file"),
		        (unsigned long long)rel);
	uint16_t gen;
	kyso_pdf_obj_t *st = kyso_pdf_parse_indirect(pdf, pdf->hdr + rel, UINT32_MAX, &gen, err);
	if (!st)
		return err->code;
	if (st->type != KYSO_PDF_STREAM ||
	    !kyso_pdf_obj_is_name(kyso_pdf_dict_get(st, "Type"), "XRef")) {
		kyso_pdf_obj_free(st);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF,
		                      _("No cross-reference stream at byte %llu"),
		                      (unsigned long long)pdf->hdr + (unsigned long long)rel);
	}
	/* object number: re-lex the header */
	pdf_src_t s;
	kyso_pdf_src_file(&s, pdf, pdf->hdr + rel);
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	if (kyso_pdf_lex(&s, &t) == TOK_INT)
		sec->stream_num = (uint32_t)t.i;
	kyso_pdf_tok_free(&t);
	kyso_err_t rc = kyso_pdf_xref_stream_parse(pdf, st, sec, err);
	if (rc == KYSO_OK) {
		sec->trailer = kyso_pdf_obj_copy(st->u.stream.dict);
		if (!sec->trailer)
			rc = KYSO_ERR_NOMEM;
	}
	kyso_pdf_obj_free(st);
	if (rc == KYSO_OK)
		kyso_pdf_section_sort(sec);
	return rc;
}

static kyso_err_t parse_section(kyso_pdf_t *pdf, uint64_t rel, pdf_section_t *sec,
                                kyso_error_t *err)
{
	sec->offset = rel;
	uint64_t abs = pdf->hdr + rel;
	if (abs >= pdf->size)
		return kyso_error_set(
		        err, KYSO_ERR_BAD_PDF,
		        _("The cross-reference offset %llu is past the end of the file"),
		        (unsigned long long)rel);
	pdf_src_t s;
	kyso_pdf_src_file(&s, pdf, abs);
	kyso_pdf_skip_ws(&s);
	uint8_t kw[4];
	if (kyso_pdf_file_read(pdf, s.pos, kw, 4) == 4 && memcmp(kw, "xref", 4) == 0) {
		kyso_err_t rc = parse_classic(pdf, s.pos, sec, err);
		if (rc != KYSO_OK)
			return rc;
		/* hybrid: entries of /XRefStm fill free or missing entries */
		int64_t xs;
		if (kyso_pdf_obj_int(kyso_pdf_dict_get(sec->trailer, "XRefStm"), &xs) && xs > 0) {
			pdf_section_t hs;
			memset(&hs, 0, sizeof(hs));
			kyso_error_t he;
			kyso_error_clear(&he);
			if (parse_stream_section(pdf, (uint64_t)xs, &hs, &he) == KYSO_OK) {
				size_t base_n = sec->n;
				for (size_t i = 0; i < hs.n && rc == KYSO_OK; i++) {
					if (hs.items[i].e.type == XREF_FREE)
						continue;
					pdf_section_t view = *sec;
					view.n = base_n; /* sorted part only */
					pdf_xref_entry_t *te =
					        (pdf_xref_entry_t *)kyso_pdf_section_find(
					                &view, hs.items[i].num);
					if (!te)
						rc = kyso_pdf_section_add(sec, hs.items[i].num,
						                          &hs.items[i].e);
					else if (te->type == XREF_FREE)
						*te = hs.items[i].e;
				}
				kyso_pdf_section_sort(sec);
			} else {
				kyso_pdf_warn(
				        pdf, _("The hybrid cross-reference stream is damaged (%s)"),
				        kyso_error_message(&he));
			}
			free(hs.items);
			kyso_pdf_obj_free(hs.trailer);
		}
		return rc;
	}
	sec->is_stream = true;
	return parse_stream_section(pdf, rel, sec, err);
}

kyso_err_t kyso_pdf_xref_load(kyso_pdf_t *pdf, kyso_error_t *err)
{
	uint64_t off;
	if (!find_startxref(pdf, &off))
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The PDF has no startxref (it may be truncated)"));
	pdf->last_xref_offset = off;
	uint64_t *seen = NULL;
	size_t nseen = 0;
	kyso_err_t rc = KYSO_OK;
	for (;;) {
		for (size_t i = 0; i < nseen; i++) {
			if (seen[i] == off) {
				kyso_pdf_warn(
				        pdf, "%s",
				        _("The /Prev chain of cross-reference sections loops"));
				goto merged;
			}
		}
		if (pdf->nsections >= PDF_MAX_SECTIONS) {
			rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			                    _("Too many cross-reference sections"));
			goto out;
		}
		uint64_t *ns = realloc(seen, (nseen + 1) * sizeof(*ns));
		pdf_section_t *nsec = realloc(pdf->sections, (pdf->nsections + 1) * sizeof(*nsec));
		if (ns)
			seen = ns;
		if (nsec)
			pdf->sections = nsec;
		if (!ns || !nsec) {
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
			goto out;
		}
		seen[nseen++] = off;
		pdf_section_t *sec = &pdf->sections[pdf->nsections];
		memset(sec, 0, sizeof(*sec));
		pdf->nsections++;
		rc = parse_section(pdf, off, sec, err);
		if (rc != KYSO_OK)
			goto out;
		int64_t prev;
		if (!kyso_pdf_obj_int(kyso_pdf_dict_get(sec->trailer, "Prev"), &prev) || prev < 0)
			break;
		off = (uint64_t)prev;
	}
merged:
	for (size_t s = 0; s < pdf->nsections && rc == KYSO_OK; s++) {
		const pdf_section_t *sec = &pdf->sections[s];
		for (size_t i = 0; i < sec->n && rc == KYSO_OK; i++) {
			uint32_t num = sec->items[i].num;
			if (num < pdf->xref_n && pdf->xref[num].type != XREF_NONE)
				continue;
			rc = kyso_pdf_xref_set(pdf, num, &sec->items[i].e);
		}
	}
	if (rc != KYSO_OK) {
		kyso_error_set(err, rc, "%s", _("Too many objects in the PDF"));
		goto out;
	}
	pdf->trailer = pdf->sections[0].trailer;
	/* trailer keys missing in the newest section come from older ones */
	for (size_t s = 1; s < pdf->nsections; s++) {
		static const char *const keys[] = {"Root", "Info", "ID", "Encrypt"};
		for (size_t k = 0; k < 4; k++) {
			if (kyso_pdf_dict_get(pdf->trailer, keys[k]))
				continue;
			const kyso_pdf_obj_t *v =
			        kyso_pdf_dict_get(pdf->sections[s].trailer, keys[k]);
			if (v)
				kyso_pdf_dict_set(pdf->trailer, keys[k], kyso_pdf_obj_copy(v));
		}
	}
	if (!kyso_pdf_dict_get(pdf->trailer, "Root"))
		rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                    _("The PDF trailer has no document catalog (/Root)"));
out:
	free(seen);
	return rc;
}
