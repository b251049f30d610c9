/* Object streams (/Type /ObjStm): one decoded stream is cached. */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>

static kyso_err_t objstm_decode(kyso_pdf_t *pdf, uint32_t stm_num, kyso_error_t *err)
{
	if (pdf->ostm_num == stm_num && pdf->ostm_data.data)
		return KYSO_OK;
	kyso_buf_free(&pdf->ostm_data);
	free(pdf->ostm_nums);
	free(pdf->ostm_offs);
	pdf->ostm_nums = NULL;
	pdf->ostm_offs = NULL;
	pdf->ostm_n = 0;
	pdf->ostm_num = 0;
	if (stm_num >= pdf->xref_n || pdf->xref[stm_num].type != XREF_OFFSET)
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is missing"),
		                      stm_num);
	pdf_xref_entry_t e = pdf->xref[stm_num];
	kyso_pdf_obj_t *st = kyso_pdf_load_entry(pdf, stm_num, &e, err);
	if (!st)
		return err->code ? err->code : KYSO_ERR_BAD_PDF;
	int64_t n = 0, first = 0;
	if (st->type != KYSO_PDF_STREAM || !kyso_pdf_obj_int(kyso_pdf_dict_get(st, "N"), &n) ||
	    !kyso_pdf_obj_int(kyso_pdf_dict_get(st, "First"), &first) || n < 0 ||
	    n > PDF_MAX_OBJSTM_N || first < 0) {
		kyso_pdf_obj_free(st);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is damaged"),
		                      stm_num);
	}
	kyso_buf_t data;
	kyso_buf_init(&data);
	bool decoded = false;
	kyso_err_t rc = kyso_pdf_stream_decode(pdf, st, PDF_MAX_DECODED, &data, &decoded, err);
	kyso_pdf_obj_free(st);
	if (rc != KYSO_OK)
		return rc;
	if (!decoded || (uint64_t)first > data.len) {
		kyso_buf_free(&data);
		return kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object stream %u is damaged"),
		                      stm_num);
	}
	pdf->ostm_nums = calloc((size_t)n + 1, sizeof(uint32_t));
	pdf->ostm_offs = calloc((size_t)n + 1, sizeof(uint64_t));
	if (!pdf->ostm_nums || !pdf->ostm_offs) {
		kyso_buf_free(&data);
		return kyso_error_set(err, KYSO_ERR_NOMEM, "%s", _("Out of memory"));
	}
	pdf_src_t s;
	kyso_pdf_src_mem(&s, data.data, (size_t)first, 0);
	pdf_tok_t t;
	memset(&t, 0, sizeof(t));
	kyso_buf_init(&t.s);
	size_t k;
	for (k = 0; k < (size_t)n; k++) {
		if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0 || t.i > UINT32_MAX)
			break;
		pdf->ostm_nums[k] = (uint32_t)t.i;
		if (kyso_pdf_lex(&s, &t) != TOK_INT || t.i < 0)
			break;
		pdf->ostm_offs[k] = (uint64_t)first + (uint64_t)t.i;
	}
	kyso_pdf_tok_free(&t);
	pdf->ostm_n = k;
	pdf->ostm_first = (uint64_t)first;
	pdf->ostm_data = data;
	pdf->ostm_num = stm_num;
	return KYSO_OK;
}

kyso_pdf_obj_t *kyso_pdf_objstm_load(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t idx, uint32_t num,
                                     kyso_error_t *err)
{
	if (stm_num == num)
		return NULL;
	if (objstm_decode(pdf, stm_num, err) != KYSO_OK)
		return NULL;
	size_t k = idx;
	if (k >= pdf->ostm_n || pdf->ostm_nums[k] != num) {
		/* index wrong: search by number */
		for (k = 0; k < pdf->ostm_n && pdf->ostm_nums[k] != num; k++)
			;
	}
	if (k >= pdf->ostm_n || pdf->ostm_offs[k] >= pdf->ostm_data.len) {
		kyso_error_set(err, KYSO_ERR_BAD_PDF, _("Object %u is not in object stream %u"),
		               num, stm_num);
		return NULL;
	}
	pdf_src_t s;
	kyso_pdf_src_mem(&s, pdf->ostm_data.data, pdf->ostm_data.len, (size_t)pdf->ostm_offs[k]);
	return kyso_pdf_parse_object(&s, 0, err);
}

/* Object numbers stored in object stream stm_num (used by repair). */
kyso_err_t kyso_pdf_objstm_list(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t **nums, size_t *n,
                                kyso_error_t *err)
{
	kyso_err_t rc = objstm_decode(pdf, stm_num, err);
	if (rc != KYSO_OK)
		return rc;
	*nums = malloc((pdf->ostm_n + 1) * sizeof(uint32_t));
	if (!*nums)
		return KYSO_ERR_NOMEM;
	if (pdf->ostm_n > 0)
		memcpy(*nums, pdf->ostm_nums, pdf->ostm_n * sizeof(uint32_t));
	*n = pdf->ostm_n;
	return KYSO_OK;
}
