/* Private structures shared by signer/pdf_*.c. Not for other code. */
#ifndef KYSO_SIGNER_PDF_IMPL_H
#define KYSO_SIGNER_PDF_IMPL_H

#include "pdf.h"

/* Limits against PDF bombs. */
#define PDF_MAX_OBJECTS  (8u << 20) /* object numbers */
#define PDF_MAX_DEPTH    64         /* nesting of arrays/dicts */
#define PDF_MAX_STRING   ((size_t)16 * 1024 * 1024)
#define PDF_MAX_DECODED  (32u << 20) /* xref/object stream decoded size */
#define PDF_MAX_SECTIONS 4096
#define PDF_MAX_OBJSTM_N 1000000
#define PDF_BLOCK_SIZE   4096
#define PDF_BLOCK_COUNT  16

/* Budgets (docs/pdf.md "Limits"): what reading one document may cost,
 * relative to its size. Used up: KYSO_ERR_BAD_PDF with its own message,
 * no repair attempted, every later read refused at once.
 * - xref entries stored over all sections: PDF_XREF_PER_OBJECT times the
 *   object numbers the file may have (kyso_pdf_max_objects);
 * - work: bytes lexed (file and object streams), searched for "endstream",
 *   read and decoded from streams: PDF_WORK_BASE + PDF_WORK_PER_BYTE per
 *   byte of the file (a real document needs a few passes);
 * - decoded object streams kept: PDF_OSTM_SLOTS streams, PDF_OSTM_BYTES of
 *   data and index together (one larger stream is kept alone). */
#define PDF_XREF_PER_OBJECT 4
#define PDF_WORK_BASE       ((uint64_t)64 << 20)
#define PDF_WORK_PER_BYTE   16
#define PDF_OSTM_SLOTS      8
#define PDF_OSTM_BYTES      ((size_t)16 << 20)

struct kyso_pdf_obj {
	kyso_pdf_type_t type;
	union {
		bool b;
		int64_t i;
		double r;
		char *name;
		struct {
			uint8_t *p;
			size_t len;
		} str;
		struct {
			kyso_pdf_obj_t **items;
			size_t n, cap;
		} arr;
		struct {
			char **keys;
			kyso_pdf_obj_t **vals;
			size_t n, cap;
		} dict;
		struct {
			uint32_t num;
			uint16_t gen;
		} ref;
		struct {
			kyso_pdf_obj_t *dict;
			uint64_t offset; /* absolute offset of the data */
			uint64_t length;
			uint32_t num; /* owning object, for decryption */
			uint16_t gen;
			bool in_memory; /* (never for file streams) */
		} stream;
	} u;
};

enum { XREF_FREE = 0, XREF_OFFSET = 1, XREF_COMPRESSED = 2, XREF_NONE = 3 };

typedef struct {
	uint64_t off; /* offset relative to the header, or object stream number */
	uint32_t idx; /* index inside the object stream */
	uint16_t gen;
	uint8_t type;
} pdf_xref_entry_t;

typedef struct {
	uint32_t num;
	pdf_xref_entry_t e;
} pdf_xref_item_t;

/* One xref section (newest first in kyso_pdf::sections). */
typedef struct {
	uint64_t offset; /* relative to the header */
	bool is_stream;
	uint32_t stream_num;    /* object number of the xref stream */
	pdf_xref_item_t *items; /* sorted by num */
	size_t n, cap;
	kyso_pdf_obj_t *trailer;
} pdf_section_t;

/* Standard security handler state. */
typedef enum {
	PDF_CRYPT_NONE,
	PDF_CRYPT_RC4,
	PDF_CRYPT_AESV2,
	PDF_CRYPT_AESV3,
	PDF_CRYPT_IDENTITY
} pdf_cipher_t;

typedef struct {
	bool on;
	int v, r;
	size_t key_len;
	uint8_t key[32];
	pdf_cipher_t stm, str;
	bool encrypt_metadata;
	bool owner;           /* opened with the owner password */
	int32_t perms;        /* /P */
	uint32_t encrypt_num; /* object number of /Encrypt (not encrypted) */
} pdf_crypt_t;

typedef struct {
	uint64_t base;
	size_t len;
	uint64_t used;
	bool valid;
	uint8_t data[PDF_BLOCK_SIZE];
} pdf_block_t;

/* One decoded object stream in the cache. */
typedef struct {
	uint32_t num; /* 0: slot unused */
	kyso_buf_t data;
	uint32_t *nums;
	uint64_t *offs;
	size_t n;
	uint64_t used; /* LRU tick */
} pdf_ostm_t;

struct kyso_pdf {
	FILE *f;
	uint64_t size;
	uint64_t hdr;
	int version;
	pdf_block_t blocks[PDF_BLOCK_COUNT];
	uint64_t tick;

	pdf_xref_entry_t *xref; /* merged, newest wins; index = object number */
	uint32_t xref_n;
	pdf_section_t *sections;
	size_t nsections;
	kyso_pdf_obj_t *trailer; /* borrowed from sections[0] or repair */
	kyso_pdf_obj_t *repair_trailer;
	bool repaired;
	bool repairing;
	uint64_t last_xref_offset; /* startxref value used for /Prev */

	pdf_crypt_t crypt;

	/* decoded object streams, least recently used dropped first */
	pdf_ostm_t ostm[PDF_OSTM_SLOTS];
	size_t ostm_bytes;
	uint64_t ostm_tick;

	/* budgets (see PDF_WORK_BASE) */
	uint64_t work, work_max;
	uint64_t xref_entries;
	bool over_budget;
	char budget_msg[200];

	char **warnings;
	size_t nwarnings;

	long page_count;
	kyso_pdf_revision_t *revs;
	size_t nrevs;
	bool revs_done;
	int load_depth;
};

/* ---- budgets ---- */
/* Object numbers allowed for this file (1024 + size / 2, at most
 * PDF_MAX_OBJECTS): an object needs bytes in the file. */
uint32_t kyso_pdf_max_objects(const kyso_pdf_t *pdf);
/* Marks the document over budget (first message kept; printf format,
 * translated by the caller) and returns KYSO_ERR_BAD_PDF into err. */
kyso_err_t kyso_pdf_budget_fail(kyso_pdf_t *pdf, kyso_error_t *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The budget error again (err may be NULL); KYSO_OK when within budget. */
kyso_err_t kyso_pdf_budget_error(const kyso_pdf_t *pdf, kyso_error_t *err);
/* Charges n units of work; false once the work budget is used up. */
static inline bool pdf_work(kyso_pdf_t *pdf, uint64_t n)
{
	if (pdf->over_budget)
		return false;
	pdf->work += n;
	if (pdf->work <= pdf->work_max)
		return true;
	kyso_pdf_budget_fail(pdf, NULL, "%s",
	                     _("The PDF is damaged: reading it takes far more work than its size "
	                       "allows (a crafted file?)"));
	return false;
}
/* Takes n more xref entries from the budget (err set when used up). */
kyso_err_t kyso_pdf_xref_take(kyso_pdf_t *pdf, uint64_t n, kyso_error_t *err);

/* ---- byte source (file through the block cache, or memory) ---- */
typedef struct {
	kyso_pdf_t *pdf; /* file source when mem == NULL; for memory, the document
	                    charged for the work (may be NULL) */
	const uint8_t *mem;
	uint64_t pos; /* absolute file offset or index into mem */
	uint64_t end; /* exclusive */
} pdf_src_t;

void kyso_pdf_src_file(pdf_src_t *s, kyso_pdf_t *pdf, uint64_t pos);
void kyso_pdf_src_mem(pdf_src_t *s, const uint8_t *mem, size_t len, size_t pos);
/* A memory source whose lexing is charged to pdf's work budget. */
void kyso_pdf_src_mem_of(pdf_src_t *s, kyso_pdf_t *pdf, const uint8_t *mem, size_t len, size_t pos);
int kyso_pdf_src_peek(pdf_src_t *s);
int kyso_pdf_src_get(pdf_src_t *s);
/* Reads up to len bytes from the file at absolute offset off. */
size_t kyso_pdf_file_read(kyso_pdf_t *pdf, uint64_t off, void *dst, size_t len);
/* EVP_DigestUpdate as a kyso_copy_sink_fn (ctx: the EVP_MD_CTX). */
bool kyso_pdf_digest_sink(void *ctx, const uint8_t *data, size_t len);

/* ---- lexer ---- */
typedef enum {
	TOK_EOF,
	TOK_ERROR,
	TOK_INT,
	TOK_REAL,
	TOK_NAME,
	TOK_STRING,
	TOK_ARRAY_OPEN,
	TOK_ARRAY_CLOSE,
	TOK_DICT_OPEN,
	TOK_DICT_CLOSE,
	TOK_KEYWORD,
} pdf_tok_type_t;

typedef struct {
	pdf_tok_type_t type;
	int64_t i;
	double r;
	kyso_buf_t s; /* name/string/keyword bytes, NUL-terminated */
	bool hex;     /* string was <hex> */
	uint64_t start;
} pdf_tok_t;

bool kyso_pdf_is_white(int c);
bool kyso_pdf_is_delim(int c);
void kyso_pdf_skip_ws(pdf_src_t *s);
/* Reads one token; tok->s is reset. Returns tok->type. */
pdf_tok_type_t kyso_pdf_lex(pdf_src_t *s, pdf_tok_t *tok);
void kyso_pdf_tok_free(pdf_tok_t *tok);

/* ---- objects ---- */
kyso_pdf_obj_t *kyso_pdf_obj_new(kyso_pdf_type_t type);
kyso_pdf_obj_t *kyso_pdf_obj_new_int(int64_t v);
kyso_pdf_obj_t *kyso_pdf_obj_namev(const char *name);
kyso_pdf_obj_t *kyso_pdf_obj_new_ref(uint32_t num, uint16_t gen);
kyso_pdf_obj_t *kyso_pdf_obj_new_string(const uint8_t *p, size_t len);
bool kyso_pdf_array_push(kyso_pdf_obj_t *arr, kyso_pdf_obj_t *item);
/* Takes ownership of val; replaces an existing key. */
bool kyso_pdf_dict_set(kyso_pdf_obj_t *dict, const char *key, kyso_pdf_obj_t *val);
void kyso_pdf_dict_remove(kyso_pdf_obj_t *dict, const char *key);
/* Parses one object at the source; handles "N G R". NULL on error. */
kyso_pdf_obj_t *kyso_pdf_parse_object(pdf_src_t *s, int depth, kyso_error_t *err);
/* Serializes obj (strings encrypted for num/gen when the document is). */
kyso_err_t kyso_pdf_obj_serialize(kyso_pdf_t *pdf, const kyso_pdf_obj_t *obj, uint32_t num,
                                  uint16_t gen, kyso_buf_t *out);
bool kyso_pdf_obj_equal(const kyso_pdf_obj_t *a, const kyso_pdf_obj_t *b);

/* ---- document ---- */
void kyso_pdf_warn(kyso_pdf_t *pdf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Loads object at a given xref entry (no cache). */
kyso_pdf_obj_t *kyso_pdf_load_entry(kyso_pdf_t *pdf, uint32_t num, const pdf_xref_entry_t *e,
                                    kyso_error_t *err);
/* Parses "N G obj ... endobj" at absolute offset. */
kyso_pdf_obj_t *kyso_pdf_parse_indirect(kyso_pdf_t *pdf, uint64_t abs_off, uint32_t num,
                                        uint16_t *gen_out, kyso_error_t *err);
/* Decodes a stream; max caps the result. */
kyso_err_t kyso_pdf_stream_decode(kyso_pdf_t *pdf, const kyso_pdf_obj_t *stream, size_t max,
                                  kyso_buf_t *out, bool *decoded, kyso_error_t *err);
/* Resolves a direct integer or a reference to one. */
bool kyso_pdf_get_int(kyso_pdf_t *pdf, const kyso_pdf_obj_t *obj, int64_t *out);

/* Raw page dictionary (nothing inherited) and its object number. */
kyso_pdf_obj_t *kyso_pdf_page_raw(kyso_pdf_t *pdf, long index, uint32_t *num_out,
                                  kyso_error_t *err);

/* xref */
kyso_err_t kyso_pdf_xref_load(kyso_pdf_t *pdf, kyso_error_t *err);
kyso_err_t kyso_pdf_xref_repair(kyso_pdf_t *pdf, kyso_error_t *err);
/* After decryption is set up: objects inside encrypted object streams. */
void kyso_pdf_repair_after_crypt(kyso_pdf_t *pdf);
kyso_err_t kyso_pdf_xref_set(kyso_pdf_t *pdf, uint32_t num, const pdf_xref_entry_t *e);
kyso_err_t kyso_pdf_section_add(pdf_section_t *sec, uint32_t num, const pdf_xref_entry_t *e);
void kyso_pdf_section_sort(pdf_section_t *sec);
const pdf_xref_entry_t *kyso_pdf_section_find(const pdf_section_t *sec, uint32_t num);
kyso_err_t kyso_pdf_xref_stream_parse(kyso_pdf_t *pdf, kyso_pdf_obj_t *stream, pdf_section_t *sec,
                                      kyso_error_t *err);
kyso_err_t kyso_pdf_png_unpredict(kyso_buf_t *buf, int predictor, int colors, int bpc, int columns,
                                  kyso_error_t *err);
kyso_err_t kyso_pdf_flate_decode(const uint8_t *in, size_t in_len, size_t max, kyso_buf_t *out,
                                 kyso_error_t *err);

/* object streams */
kyso_pdf_obj_t *kyso_pdf_objstm_load(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t idx, uint32_t num,
                                     kyso_error_t *err);

/* Drops every cached object stream. */
void kyso_pdf_objstm_cache_clear(kyso_pdf_t *pdf);
/* Object numbers stored in object stream stm_num (malloc'd). */
kyso_err_t kyso_pdf_objstm_list(kyso_pdf_t *pdf, uint32_t stm_num, uint32_t **nums, size_t *n,
                                kyso_error_t *err);

/* encryption */
kyso_err_t kyso_pdf_crypt_init(kyso_pdf_t *pdf, const char *password, kyso_error_t *err);
/* Decrypts every string in obj in place (not sig /Contents). */
kyso_err_t kyso_pdf_crypt_obj(kyso_pdf_t *pdf, kyso_pdf_obj_t *obj, uint32_t num, uint16_t gen,
                              kyso_error_t *err);
/* Decrypts/encrypts a buffer for object num/gen. is_stream picks StmF/StrF. */
kyso_err_t kyso_pdf_crypt_buf(kyso_pdf_t *pdf, bool encrypt, bool is_stream, uint32_t num,
                              uint16_t gen, const uint8_t *in, size_t len, kyso_buf_t *out,
                              kyso_error_t *err);
void kyso_pdf_rc4(const uint8_t *key, size_t key_len, const uint8_t *in, uint8_t *out, size_t len);

/* writing helpers */
void kyso_pdf_write_name(kyso_buf_t *out, const char *name);
kyso_err_t kyso_pdf_write_text_string(kyso_pdf_t *pdf, kyso_buf_t *out, const char *utf8,
                                      uint32_t num, uint16_t gen);

#endif
