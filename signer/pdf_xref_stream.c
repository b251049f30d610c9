/* Cross-reference streams (PDF 1.5+), FlateDecode with a size cap, PNG/TIFF
 * predictors. */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: no cast needed */
#include <zlib.h>

kyso_err_t kyso_pdf_flate_decode(const uint8_t *in, size_t in_len, size_t max, kyso_buf_t *out,
                                 kyso_error_t *err)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	z.next_in = in;
	uint8_t chunk[16384];
	kyso_err_t rc = KYSO_OK;
	size_t left = in_len;
	for (;;) {
		uInt feed = left > 1u << 30 ? 1u << 30 : (uInt)left;
		z.avail_in = feed;
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		int zr = inflate(&z, Z_NO_FLUSH);
		left -= feed - z.avail_in;
		size_t got = sizeof(chunk) - z.avail_out;
		if (got) {
			if (out->len + got > max) {
				rc = kyso_error_set(
				        err, KYSO_ERR_BAD_PDF,
				        _("A stream decodes to more than %zu bytes (limit)"), max);
				break;
			}
			if (kyso_buf_append(out, chunk, got) != KYSO_OK) {
				rc = kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
				break;
			}
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && got == 0)
			break; /* truncated input: keep what we have, like other readers */
		if (zr != Z_OK) {
			if (out->len > 0)
				break; /* trailing garbage after good data */
			rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			                    _("A compressed stream is damaged"));
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c;
	int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

kyso_err_t kyso_pdf_png_unpredict(kyso_buf_t *buf, int predictor, int colors, int bpc, int columns,
                                  kyso_error_t *err)
{
	size_t bpp = (size_t)((colors * bpc + 7) / 8);
	size_t row = ((size_t)colors * (size_t)bpc * (size_t)columns + 7) / 8;
	if (predictor == 2) {
		/* TIFF predictor 2, 8-bit components only */
		if (bpc != 8)
			return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			                      _("Unsupported stream predictor"));
		for (size_t r = 0; r + row <= buf->len; r += row)
			for (size_t i = bpp; i < row; i++)
				buf->data[r + i] =
				        (uint8_t)(buf->data[r + i] + buf->data[r + i - bpp]);
		return KYSO_OK;
	}
	if (predictor < 10)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("Unsupported stream predictor"));
	uint8_t *prev = calloc(1, row);
	if (!prev)
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	size_t in = 0, outp = 0;
	while (in + 1 <= buf->len) {
		int type = buf->data[in++];
		size_t n = buf->len - in < row ? buf->len - in : row;
		uint8_t *cur = buf->data + in;
		for (size_t i = 0; i < n; i++) {
			int a = i >= bpp ? buf->data[outp + i - bpp] : 0;
			int b = prev[i];
			int c = i >= bpp ? prev[i - bpp] : 0;
			int x = cur[i];
			switch (type) {
			case 0:
				break;
			case 1:
				x += a;
				break;
			case 2:
				x += b;
				break;
			case 3:
				x += (a + b) / 2;
				break;
			case 4:
				x += paeth(a, b, c);
				break;
			default:
				free(prev);
				return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
				                      _("A compressed stream is damaged"));
			}
			/* output is written in place behind the input (outp < in) */
			buf->data[outp + i] = (uint8_t)x;
		}
		memcpy(prev, buf->data + outp, n);
		in += n;
		outp += n;
	}
	buf->len = outp;
	free(prev);
	return KYSO_OK;
}

static uint64_t field(const uint8_t *p, int64_t w)
{
	uint64_t v = 0;
	for (int64_t i = 0; i < w; i++)
		v = v << 8 | p[i];
	return v;
}

kyso_err_t kyso_pdf_xref_stream_parse(kyso_pdf_t *pdf, kyso_pdf_obj_t *st, pdf_section_t *sec,
                                      kyso_error_t *err)
{
	const kyso_pdf_obj_t *w = kyso_pdf_dict_get(st, "W");
	int64_t ws[3], size;
	if (kyso_pdf_array_len(w) != 3 || !kyso_pdf_obj_int(kyso_pdf_dict_get(st, "Size"), &size) ||
	    size < 0)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The cross-reference stream is damaged"));
	if (size > (int64_t)kyso_pdf_max_objects(pdf))
		return kyso_pdf_budget_fail(
		        pdf, err,
		        _("The PDF is damaged: a cross-reference stream claims %lld "
		          "objects, more than a file of %llu bytes can hold"),
		        (long long)size, (unsigned long long)pdf->size);
	for (int i = 0; i < 3; i++)
		if (!kyso_pdf_obj_int(kyso_pdf_array_get(w, (size_t)i), &ws[i]) || ws[i] < 0 ||
		    ws[i] > 8)
			return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			                      _("The cross-reference stream is damaged"));
	int64_t esz = ws[0] + ws[1] + ws[2];
	if (esz == 0)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The cross-reference stream is damaged"));
	kyso_buf_t data;
	kyso_buf_init(&data);
	bool decoded = false;
	kyso_err_t rc = kyso_pdf_stream_decode(pdf, st, PDF_MAX_DECODED, &data, &decoded, err);
	if (rc != KYSO_OK)
		return rc;
	if (!decoded) {
		kyso_buf_free(&data);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
		                      _("The cross-reference stream uses an unsupported filter"));
	}
	const kyso_pdf_obj_t *index = kyso_pdf_dict_get(st, "Index");
	size_t nidx = index ? kyso_pdf_array_len(index) / 2 : 1;
	size_t pos = 0;
	for (size_t k = 0; k < nidx && rc == KYSO_OK; k++) {
		int64_t first = 0, count = size;
		if (index && (!kyso_pdf_obj_int(kyso_pdf_array_get(index, 2 * k), &first) ||
		              !kyso_pdf_obj_int(kyso_pdf_array_get(index, 2 * k + 1), &count) ||
		              first < 0 || count < 0)) {
			rc = kyso_error_set(err, KYSO_ERR_BAD_PDF, "%s",
			                    _("The cross-reference stream is damaged"));
			break;
		}
		if (first > (int64_t)kyso_pdf_max_objects(pdf) ||
		    count > (int64_t)kyso_pdf_max_objects(pdf) - first) {
			rc = kyso_pdf_budget_fail(
			        pdf, err,
			        _("The PDF is damaged: a cross-reference stream claims "
			          "objects %lld to %lld, more than a file of %llu bytes "
			          "can hold"),
			        (long long)first, (long long)(first + count - 1),
			        (unsigned long long)pdf->size);
			break;
		}
		/* only the entries the data really has are charged */
		int64_t have = (int64_t)((data.len - pos) / (size_t)esz);
		rc = kyso_pdf_xref_take(pdf, (uint64_t)(count < have ? count : have), err);
		if (rc != KYSO_OK)
			break;
		for (int64_t i = 0; i < count; i++) {
			if (pos + (size_t)esz > data.len)
				break; /* short stream: keep what is there */
			const uint8_t *p = data.data + pos;
			pos += (size_t)esz;
			uint64_t type = ws[0] ? field(p, ws[0]) : 1;
			uint64_t f2 = field(p + ws[0], ws[1]);
			uint64_t f3 = field(p + ws[0] + ws[1], ws[2]);
			pdf_xref_entry_t e;
			memset(&e, 0, sizeof(e));
			if (type == 0) {
				e.type = XREF_FREE;
				e.gen = (uint16_t)f3;
			} else if (type == 1) {
				e.type = XREF_OFFSET;
				e.off = f2;
				e.gen = (uint16_t)f3;
				if (f2 >= pdf->size - pdf->hdr)
					e.type = XREF_FREE;
			} else if (type == 2) {
				e.type = XREF_COMPRESSED;
				e.off = f2;
				e.idx = (uint32_t)f3;
			} else {
				continue; /* reserved types: ignore (spec: null reference) */
			}
			rc = kyso_pdf_section_add(sec, (uint32_t)(first + i), &e);
			if (rc != KYSO_OK) {
				kyso_error_set(err, rc, "%s", _("Too many objects in the PDF"));
				break;
			}
		}
	}
	kyso_buf_free(&data);
	return rc;
}
