/* Object streams (/Type /ObjStm): a small LRU cache of decoded streams
 * (PDF_OSTM_SLOTS streams, PDF_OSTM_BYTES together), so that objects spread
 * over several streams do not decode them again and again; what decoding
 * costs is charged to the document's work budget (pdf_work). */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_bytes(const pdf_ostm_t *o)
{
	return o->data.cap + o->n * (sizeof(uint32_t) + sizeof(uint64_t));
}

static void slot_clear(kyso_pdf_t *pdf, pdf_ostm_t *o)
{
	if (o->num != 0)
		pdf->ostm_bytes -= slot_bytes(o);
	kyso_buf_free(&o->data);
	free(o->nums);
	free(o->offs);
	memset(o, 0, sizeof(*o));
}

void kyso_pdf_objstm_cache_clear(kyso_pdf_t *pdf)
{
	for (size_t i = 0; i < PDF_OSTM_SLOTS; i++)
		slot_clear(pdf, &pdf->ostm[i]);
	pdf->ostm_bytes = 0;
}

/* Makes room for need more bytes: drops the least recently used streams
 * until it fits or the cache is empty; returns a free slot. */
static pdf_ostm_t *slot_make_room(kyso_pdf_t *pdf, size_t need)
{
	for (;;) {
		pdf_ostm_t *lru = NULL, *free_slot = NULL;
		size_t used = 0;
		for (size_t i = 0; i < PDF_OSTM_SLOTS; i++) {
			pdf_ostm_t *o = &pdf->ostm[i];
			if (o->num == 0) {
				if (free_slot == NULL)
					free_slot = o;
				continue;
			}
			used++;
			if (lru == NULL || o->used < lru->used)
				lru = o;
		}
		bool fits = used == 0 || pdf->ostm_bytes + need <= PDF_OSTM_BYTES;
		if (free_slot != NULL && fits)
			return free_slot;
		slot_clear(pdf, lru); /* lru != NULL: used > 0 here */
	}
}

static pdf_ostm_t *objstm_decode(kyso_pdf_t *pdf, uint32_t stm_num, kyso_error_t *err)
{
	for (size_t i = 0; i < PDF_OSTM_SLOTS; i++) {
		pdf_ostm_t *o = &pdf->ostm[i];
		if (o->num == stm_num && stm_num != 0) {
			o->used = ++pdf->ostm_tick;
			return o;
		}
	}
	if (stm_num == 0 || stm_num >= pdf->xref_n || pdf->xref[stm_num].type != XREF_OFFSET) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is missing"), stm_num);
		return NULL;
	}
	pdf_xref_entry_t e = pdf->xref[stm_num];
	kyso_pdf_obj_t *st = kyso_pdf_load_entry(pdf, stm_num, &e, err);
	if (!st) {
		if (!err->code)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is damaged"),
			               stm_num);
		return NULL;
	}
	int64_t n = 0, first = 0;
	if (st->type != KYSO_PDF_STREAM || !kyso_pdf_obj_int(kyso_pdf_dict_get(st, "N"), &n) ||
	    !kyso_pdf_obj_int(kyso_pdf_dict_get(st, "First"), &first) || n < 0 ||
	    n > PDF_MAX_OBJSTM_N || first < 0) {
		kyso_pdf_obj_free(st);
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is damaged"), stm_num);
		return NULL;
	}
	kyso_buf_t data;
	kyso_buf_init(&data);
	bool decoded = false;
	kyso_err_t rc = kyso_pdf_stream_decode(pdf, st, PDF_MAX_DECODED, &data, &decoded, err);
	kyso_pdf_obj_free(st);
	if (rc != KYSO_OK)
		return NULL;
	if (!decoded || (uint64_t)first > data.len) {
		kyso_buf_free(&data);
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is damaged"), stm_num);
		return NULL;
	}
	/* the decoder grew the buffer by doubling: give back what is unused
	 * before it is kept (the cache counts capacity, not length) */
	if (data.cap > data.len + 1 + 4096) {
		uint8_t *fit = realloc(data.data, data.len + 1);
		if (fit != NULL) {
			data.data = fit;
			data.cap = data.len + 1;
		}
	}
	/* each "number offset" pair of the header takes at least 4 bytes: a
	 * larger /N is a lie that would only cost memory */
	if ((uint64_t)n > (uint64_t)first / 4 + 1)
		n = (int64_t)((uint64_t)first / 4 + 1);
	uint32_t *nums = calloc((size_t)n + 1, sizeof(uint32_t));
	uint64_t *offs = calloc((size_t)n + 1, sizeof(uint64_t));
	if (!nums || !offs) {
		free(nums);
		free(offs);
		kyso_buf_free(&data);
		kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
		return NULL;
	}
	pdf_src_t s;
	kyso_pdf_src_mem_of(&s, pdf, data.data, (size_t)first, 0);
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	size_t k;
	for (k = 0; k < (size_t)n; k++) {
		if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0 || t.i > UINT32_MAX)
			break;
		nums[k] = (uint32_t)t.i;
		if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0)
			break;
		offs[k] = (uint64_t)first + (uint64_t)t.i;
	}
	kyso_pdf_tok_free(&t);
	pdf_ostm_t tmp = {.num = stm_num, .data = data, .nums = nums, .offs = offs, .n = k};
	pdf_ostm_t *o = slot_make_room(pdf, slot_bytes(&tmp));
	*o = tmp;
	o->used = ++pdf->ostm_tick;
	pdf->ostm_bytes += slot_bytes(o);
	return o;
}

kyso_pdf_obj_t *kyso_pdf_objstm_load(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t idx, uint32_t num,
                                     kyso_error_t *err)
{
	if (stm_num == num)
		return NULL;
	pdf_ostm_t *o = objstm_decode(pdf, stm_num, err);
	if (o == NULL)
		return NULL;
	size_t k = idx;
	if (k >= o->n || o->nums[k] != num) {
		/* index wrong: search by number (charged: a file whose every index
		 * is wrong must not make each load a walk of a million entries) */
		if (!pdf_work(pdf, o->n)) {
			kyso_pdf_budget_error(pdf, err);
			return NULL;
		}
		for (k = 0; k < o->n && o->nums[k] != num; k++)
			;
	}
	if (k >= o->n || o->offs[k] >= o->data.len) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object %u is not in object stream %u"),
		               num, stm_num);
		return NULL;
	}
	pdf_src_t s;
	kyso_pdf_src_mem_of(&s, pdf, o->data.data, o->data.len, (size_t)o->offs[k]);
	return kyso_pdf_parse_object(&s, 0, err);
}

/* Object numbers stored in object stream stm_num (used by repair). */
kyso_err_t kyso_pdf_objstm_list(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t **nums, size_t *n,
                                kyso_error_t *err)
{
	pdf_ostm_t *o = objstm_decode(pdf, stm_num, err);
	if (o == NULL)
		return err->code ? err->code : KYSO_ERR_BAD_PDF;
	*nums = malloc((o->n + 1) * sizeof(uint32_t));
	if (!*nums)
		return KYSO_ERR_NOMEM;
	if (o->n > 0)
		memcpy(*nums, o->nums, o->n * sizeof(uint32_t));
	*n = o->n;
	return KYSO_OK;
}
