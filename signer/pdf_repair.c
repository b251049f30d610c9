/* Rebuilding a broken cross-reference by scanning the file for "N G obj"
 * and "trailer" (streamed in chunks; later definitions win). */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_CHUNK   65536
#define SCAN_OVERLAP 64
#define MAX_TRAILERS 256

static bool isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* At buf[i] starts "obj"; look back for "N G ". Returns false if not. */
static bool back_num_gen(const uint8_t *buf, size_t i, uint32_t *num, uint32_t *gen, size_t *start)
{
	size_t j = i;
	if (j == 0 || !kyso_pdf_is_white(buf[j - 1]))
		return false;
	while (j > 0 && kyso_pdf_is_white(buf[j - 1]))
		j--;
	uint64_t g = 0, mul = 1;
	size_t digits = 0;
	while (j > 0 && isdig(buf[j - 1]) && digits < 6) {
		g += (uint64_t)(buf[j - 1] - '0') * mul;
		mul *= 10;
		j--;
		digits++;
	}
	if (!digits || j == 0 || !kyso_pdf_is_white(buf[j - 1]))
		return false;
	while (j > 0 && kyso_pdf_is_white(buf[j - 1]))
		j--;
	uint64_t n = 0;
	mul = 1;
	digits = 0;
	while (j > 0 && isdig(buf[j - 1]) && digits < 10) {
		n += (uint64_t)(buf[j - 1] - '0') * mul;
		mul *= 10;
		j--;
		digits++;
	}
	if (!digits || (j > 0 && !kyso_pdf_is_white(buf[j - 1]) && !kyso_pdf_is_delim(buf[j - 1])))
		return false;
	if (g > 65535 || n == 0 || n >= PDF_MAX_OBJECTS)
		return false;
	*num = (uint32_t)n;
	*gen = (uint32_t)g;
	*start = j;
	return true;
}

static kyso_err_t scan(kyso_pdf_t *pdf, uint64_t *trailers, size_t *ntrailers)
{
	uint8_t *buf = malloc(SCAN_CHUNK);
	if (!buf)
		return KYSO_ERR_NOMEM;
	uint64_t pos = pdf->hdr;
	kyso_err_t rc = KYSO_OK;
	while (pos < pdf->size && rc == KYSO_OK) {
		size_t n = kyso_pdf_file_read(pdf, pos, buf, SCAN_CHUNK);
		if (n == 0)
			break;
		bool last = pos + n >= pdf->size;
		size_t lo = pos == pdf->hdr ? 0 : SCAN_OVERLAP / 2;
		size_t hi = last ? n : n - SCAN_OVERLAP / 2;
		for (size_t i = lo; i < hi && rc == KYSO_OK; i++) {
			if (buf[i] == 'o' && i + 3 <= n && buf[i + 1] == 'b' && buf[i + 2] == 'j' &&
			    (i + 3 == n || kyso_pdf_is_white(buf[i + 3]) ||
			     kyso_pdf_is_delim(buf[i + 3]))) {
				uint32_t num, gen;
				size_t st;
				if (back_num_gen(buf, i, &num, &gen, &st)) {
					pdf_xref_entry_t e = {.off = pos + st - pdf->hdr,
					                      .gen = (uint16_t)gen,
					                      .type = XREF_OFFSET};
					rc = kyso_pdf_xref_set(pdf, num, &e);
					if (rc == KYSO_ERR_BAD_PDF)
						rc = KYSO_OK; /* number out of range: ignored */
				}
			} else if (buf[i] == 't' && i + 7 <= n &&
			           memcmp(buf + i, "trailer", 7) == 0) {
				if (*ntrailers == MAX_TRAILERS) {
					memmove(trailers, trailers + 1,
					        (MAX_TRAILERS - 1) * sizeof(*trailers));
					(*ntrailers)--;
				}
				trailers[(*ntrailers)++] = pos + i + 7;
			}
		}
		if (last)
			break;
		pos += n - SCAN_OVERLAP;
	}
	free(buf);
	return rc;
}

static void take_keys(kyso_pdf_obj_t *dst, const kyso_pdf_obj_t *src)
{
	static const char *const keys[] = {"Root", "Info", "ID", "Encrypt"};
	for (size_t k = 0; k < 4; k++) {
		const kyso_pdf_obj_t *v = kyso_pdf_dict_get(src, keys[k]);
		if (v && !kyso_pdf_dict_get(dst, keys[k]))
			kyso_pdf_dict_set(dst, keys[k], kyso_pdf_obj_copy(v));
	}
}

/* Adds compressed entries for objects inside object streams that have no
 * direct definition. Needs decryption when the file is encrypted. */
static void add_objstm_entries(kyso_pdf_t *pdf, kyso_pdf_obj_t *trailer, bool want_root)
{
	uint32_t n = pdf->xref_n;
	for (uint32_t num = 1; num < n; num++) {
		if (pdf->xref[num].type != XREF_OFFSET)
			continue;
		kyso_error_t e;
		kyso_error_clear(&e);
		pdf_xref_entry_t ent = pdf->xref[num];
		kyso_pdf_obj_t *o = kyso_pdf_parse_indirect(pdf, pdf->hdr + ent.off, num, NULL, &e);
		if (!o)
			continue;
		const kyso_pdf_obj_t *type = kyso_pdf_dict_get(o, "Type");
		if (kyso_pdf_obj_is_name(type, "XRef"))
			take_keys(trailer, o->u.stream.dict);
		if (want_root && kyso_pdf_obj_is_name(type, "Catalog") &&
		    !kyso_pdf_dict_get(trailer, "Root"))
			kyso_pdf_dict_set(trailer, "Root", kyso_pdf_obj_new_ref(num, ent.gen));
		if (kyso_pdf_obj_is_name(type, "ObjStm") && o->type == KYSO_PDF_STREAM) {
			uint32_t *nums = NULL;
			size_t cnt = 0;
			if (kyso_pdf_objstm_list(pdf, num, &nums, &cnt, &e) == KYSO_OK) {
				for (size_t k = 0; k < cnt; k++) {
					uint32_t on = nums[k];
					if (on == 0 || on >= PDF_MAX_OBJECTS)
						continue;
					if (on < pdf->xref_n && pdf->xref[on].type == XREF_OFFSET)
						continue;
					pdf_xref_entry_t ce = {.off = num,
					                       .idx = (uint32_t)k,
					                       .type = XREF_COMPRESSED};
					if (kyso_pdf_xref_set(pdf, on, &ce) != KYSO_OK)
						continue; /* out of range: ignored */
				}
			}
			free(nums);
		}
		kyso_pdf_obj_free(o);
	}
}

kyso_err_t kyso_pdf_xref_repair(kyso_pdf_t *pdf, kyso_error_t *err)
{
	if (pdf->repaired)
		return KYSO_OK;
	pdf->repairing = true;
	free(pdf->xref);
	pdf->xref = NULL;
	pdf->xref_n = 0;
	for (size_t i = 0; i < pdf->nsections; i++) {
		free(pdf->sections[i].items);
		kyso_pdf_obj_free(pdf->sections[i].trailer);
	}
	free(pdf->sections);
	pdf->sections = NULL;
	pdf->nsections = 0;
	pdf->trailer = NULL;
	kyso_pdf_objstm_cache_clear(pdf);

	uint64_t *trailers = malloc(MAX_TRAILERS * sizeof(*trailers));
	size_t ntrailers = 0;
	kyso_pdf_obj_t *tr = kyso_pdf_obj_new(KYSO_PDF_DICT);
	kyso_err_t rc = trailers && tr ? scan(pdf, trailers, &ntrailers) : KYSO_ERR_NOMEM;
	if (rc != KYSO_OK) {
		kyso_error_set(err, rc, "%s",
		               rc == KYSO_ERR_NOMEM ? _("Out of memory")
		                                    : _("Too many objects in the PDF"));
		goto out;
	}
	bool any = false;
	for (uint32_t i = 0; i < pdf->xref_n && !any; i++)
		any = pdf->xref[i].type == XREF_OFFSET;
	if (!any) {
		rc = kyso_error_set(
		        err, KYSO_ERR_BAD_PDF, "%s",
		        _("The PDF is truncated or damaged beyond repair (no objects found)"));
		goto out;
	}
	/* the newest trailer with /Root first, then older ones fill in */
	for (size_t k = ntrailers; k-- > 0;) {
		pdf_src_t s;
		kyso_pdf_src_file(&s, pdf, trailers[k]);
		kyso_error_t e;
		kyso_error_clear(&e);
		kyso_pdf_obj_t *d = kyso_pdf_parse_object(&s, 0, &e);
		if (d && d->type == KYSO_PDF_DICT)
			take_keys(tr, d);
		kyso_pdf_obj_free(d);
	}
	pdf->trailer = tr;
	pdf->repair_trailer = tr;
	add_objstm_entries(pdf, tr, true);
	const kyso_pdf_obj_t *root = kyso_pdf_dict_get(tr, "Root");
	uint32_t rn;
	if (!kyso_pdf_obj_ref(root, &rn, NULL) || rn >= pdf->xref_n ||
	    (pdf->xref[rn].type != XREF_OFFSET && pdf->xref[rn].type != XREF_COMPRESSED)) {
		kyso_pdf_dict_remove(tr, "Root");
		add_objstm_entries(pdf, tr, true);
	}
	if (!kyso_pdf_dict_get(tr, "Root")) {
		rc = kyso_error_set(
		        err, KYSO_ERR_BAD_PDF, "%s",
		        _("The PDF is truncated or damaged beyond repair (no document catalog)"));
		goto out;
	}
	uint32_t size = pdf->xref_n;
	while (size > 0 && pdf->xref[size - 1].type == XREF_NONE)
		size--;
	kyso_pdf_dict_set(tr, "Size", kyso_pdf_obj_new_int(size));
	pdf->repaired = true;
	pdf->page_count = -1;
	kyso_pdf_warn(
	        pdf, "%s",
	        _("The cross-reference table was damaged and has been rebuilt by scanning the "
	          "file"));
	rc = KYSO_OK;
out:
	if (rc != KYSO_OK && tr) {
		if (pdf->repair_trailer == tr)
			pdf->repair_trailer = NULL;
		kyso_pdf_obj_free(tr);
		pdf->trailer = NULL;
	}
	free(trailers);
	pdf->repairing = false;
	return rc;
}

/* After decryption is set up: objects inside encrypted object streams. */
void kyso_pdf_repair_after_crypt(kyso_pdf_t *pdf)
{
	if (pdf->repaired && pdf->repair_trailer)
		add_objstm_entries(pdf, pdf->repair_trailer, false);
}
