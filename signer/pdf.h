/* Internal API of kyso_signer: a lazy, streaming PDF reader and the
 * incremental update that adds a signature.
 *
 * Reading: kyso_pdf_open() reads the cross-reference sections only (classic
 * tables, xref streams, hybrid /XRefStm, /Prev chains); objects are parsed
 * on demand from the file through a small block cache, so memory does not
 * grow with the file size. A broken xref is rebuilt by scanning for
 * "N G obj" (a warning is recorded). Encrypted files (Standard handler,
 * RC4-40/128, AES-128, AES-256) are opened with the user or owner password;
 * strings and streams are returned decrypted.
 *
 * Writing: kyso_pdf_sig_prepare() copies the original bytes exactly (in
 * chunks) and appends one incremental update holding the signature
 * dictionary (with a /ByteRange and a zero /Contents placeholder), the
 * signature field/widget, the updated page and AcroForm, and a new xref
 * section in the style of the file's last one. It returns the digest of the
 * two ByteRange parts; kyso_pdf_sig_fill() then writes the DER signature into
 * the placeholder.
 *
 * Objects returned by the object API are owned by the caller unless the
 * function says "borrowed"; free them with kyso_pdf_obj_free().
 */
#ifndef KYSO_SIGNER_PDF_H
#define KYSO_SIGNER_PDF_H

#include "kyso_core.h"

#include <time.h>
#include <openssl/evp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default size limit for kyso_pdf_open() when max_size is 0 (100 MB). */
#define KYSO_PDF_DEFAULT_MAX_SIZE (100ULL * 1024 * 1024)

typedef struct kyso_pdf kyso_pdf_t;
typedef struct kyso_pdf_obj kyso_pdf_obj_t;

/* ---- opening ----------------------------------------------------------- */

/* Opens path for reading. password may be NULL (tried as ""); it is tried
 * as user password, then as owner password. max_size 0 means the default.
 * Errors (err->msg always set, translated):
 *   KYSO_ERR_IO           cannot open/read the file
 *   KYSO_ERR_TOO_LARGE    file larger than max_size
 *   KYSO_ERR_BAD_PDF      not a PDF, truncated beyond repair, limits exceeded
 *                         (PDF bomb: too many objects, nesting too deep,
 *                         stream decodes too large)
 *   KYSO_ERR_ENCRYPTED    encrypted with a handler we do not support
 *   KYSO_ERR_BAD_PASSWORD encrypted and the password is wrong/missing
 *   KYSO_ERR_NOMEM */
kyso_pdf_t *kyso_pdf_open(const char *path, const char *password, uint64_t max_size,
                          kyso_error_t *err);
void kyso_pdf_free(kyso_pdf_t **pdf);
/* The same on an open stream (e.g. a file being written, opened read/write):
 * the reader uses its own duplicate of the descriptor; stream is flushed first.
 * name is used in messages. */
kyso_pdf_t *kyso_pdf_open_stream(FILE *stream, const char *name, const char *password,
                                 uint64_t max_size, kyso_error_t *err);

/* ---- document facts ---------------------------------------------------- */

uint64_t kyso_pdf_file_size(const kyso_pdf_t *pdf);
/* Byte offset of "%PDF-" in the file (junk before it is allowed; xref
 * offsets in the file are relative to this). */
uint64_t kyso_pdf_header_offset(const kyso_pdf_t *pdf);
/* Header version as 10*major+minor, e.g. 17 for PDF-1.7. */
int kyso_pdf_version(const kyso_pdf_t *pdf);
bool kyso_pdf_is_encrypted(const kyso_pdf_t *pdf);
/* Number of pages (walks the page tree once; cached). -1 on error. */
long kyso_pdf_page_count(kyso_pdf_t *pdf, kyso_error_t *err);
/* Number of xref sections reached through startxref and /Prev. */
size_t kyso_pdf_xref_section_count(const kyso_pdf_t *pdf);
/* True when the xref was rebuilt by scanning the file. */
bool kyso_pdf_was_repaired(const kyso_pdf_t *pdf);
/* KYSO_ERR_BAD_PDF (err set, may be NULL) once reading the document used up
 * one of its budgets (docs/pdf.md "Limits"): what was read since may be
 * incomplete, so no result built on it is given. KYSO_OK otherwise. */
kyso_err_t kyso_pdf_budget_check(const kyso_pdf_t *pdf, kyso_error_t *err);

/* Warnings met while reading (translated, e.g. "the cross-reference table
 * was damaged and has been rebuilt"). Borrowed strings. */
size_t kyso_pdf_warning_count(const kyso_pdf_t *pdf);
const char *kyso_pdf_warning(const kyso_pdf_t *pdf, size_t i);

/* DocMDP permission of a certification signature (/Perms /DocMDP):
 * 0 = document not certified, else P (1 = no changes allowed, 2 = form
 * filling and signing, 3 = also annotations). */
int kyso_pdf_docmdp(kyso_pdf_t *pdf, kyso_error_t *err);

/* ---- revisions ---------------------------------------------------------- */

/* A revision ends at each "%%EOF" marker of the file (end-of-line after it
 * included, as written by the producer). A linearized file has one more
 * marker (the first page section) than it has updates. */
typedef struct {
	uint64_t eof_end;   /* absolute offset just past "%%EOF" and its EOL */
	uint64_t startxref; /* the startxref value before that %%EOF (relative
	                       to the header), UINT64_MAX if none */
} kyso_pdf_revision_t;

/* Scans the file (streamed) once for %%EOF markers; cached. */
kyso_err_t kyso_pdf_revisions(kyso_pdf_t *pdf, const kyso_pdf_revision_t **revs, size_t *n,
                              kyso_error_t *err);

/* ---- signatures already in the document --------------------------------- */

typedef enum {
	KYSO_PDF_LOCK_NONE,
	KYSO_PDF_LOCK_ALL,     /* /Action /All */
	KYSO_PDF_LOCK_INCLUDE, /* the fields named in /Fields */
	KYSO_PDF_LOCK_EXCLUDE, /* all but those */
} kyso_pdf_lock_t;

typedef struct {
	char *field_name;      /* /T of the field, UTF-8 (full dotted name) */
	char *sub_filter;      /* e.g. "ETSI.CAdES.detached", "adbe.pkcs7.detached" */
	char *filter;          /* e.g. "Adobe.PPKLite" */
	bool is_doc_timestamp; /* /Type /DocTimeStamp */
	bool byte_range_ok;    /* /ByteRange has 4 non-negative integers */
	uint64_t byte_range[4];
	uint8_t *contents; /* /Contents decoded (raw DER with trailing zeros) */
	size_t contents_len;
	uint64_t contents_offset; /* absolute offset of '<' of /Contents, 0 if unknown */
	char *m;                  /* /M as written ("D:20250101...") or NULL */
	char *name, *reason, *location, *contact_info; /* UTF-8 or NULL */
	uint64_t covered_end;                          /* byte_range[2] + byte_range[3] */
	long revision;      /* index into kyso_pdf_revisions() whose eof_end
	                       == covered_end, or -1 */
	int docmdp_p;       /* 0, or P of a certification signature */
	uint32_t sig_num;   /* object number of the signature dictionary */
	uint32_t field_num; /* object number of the field (0 when direct) */
	/* FieldMDP: the fields this signature locks (its /Reference with
	 * /TransformMethod /FieldMDP, else its field's /Lock dictionary) */
	kyso_pdf_lock_t lock;
	char **lock_fields; /* Include / Exclude: fully qualified names */
	size_t nlock_fields;
} kyso_pdf_sig_info_t;

/* Which fields a FieldMDP signature locks, of lock, lock_fields. */
bool kyso_pdf_lock_covers(const kyso_pdf_sig_info_t *s, const char *field_name);
/* Was a field the signature locks changed (value, appearance, name, type)
 * by the revisions after it? The first one's name into which (may be NULL).
 * False when nothing is locked or the revisions cannot be compared. */
bool kyso_pdf_locked_field_changed(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *s, char *which,
                                   size_t cap);

/* Lists every signature field with a /V signature dictionary (walks
 * /AcroForm /Fields, including /Kids). *out is an array of *n entries. */
kyso_err_t kyso_pdf_signatures(kyso_pdf_t *pdf, kyso_pdf_sig_info_t **out, size_t *n,
                               kyso_error_t *err);
void kyso_pdf_sig_info_free(kyso_pdf_sig_info_t *infos, size_t n);

/* Hashes the byte ranges of the file (streamed) with md. */
kyso_err_t kyso_pdf_hash_ranges(kyso_pdf_t *pdf, const uint64_t byte_range[4], const EVP_MD *md,
                                uint8_t *digest, unsigned *digest_len, kyso_error_t *err);

/* ---- what changed after a revision ------------------------------------- */

typedef enum {
	KYSO_PDF_CHANGE_SIGNATURE,    /* /Type /Sig or /DocTimeStamp dictionary */
	KYSO_PDF_CHANGE_FORM_FIELD,   /* field (value, kids) or widget annotation */
	KYSO_PDF_CHANGE_ACROFORM,     /* the /AcroForm dict or its /Fields array */
	KYSO_PDF_CHANGE_PAGE_ANNOTS,  /* a page where only /Annots changed, or its /Annots array */
	KYSO_PDF_CHANGE_CATALOG_FORM, /* catalog where only /AcroForm, /Perms, /DSS changed */
	KYSO_PDF_CHANGE_APPEARANCE,   /* a form XObject (widget appearance) */
	KYSO_PDF_CHANGE_DSS,          /* LTV data: /DSS, certs, CRLs, OCSP streams */
	KYSO_PDF_CHANGE_XREF,         /* an xref stream or object stream (container) */
	KYSO_PDF_CHANGE_ANNOTATION,   /* an annotation other than a widget (comments, ...) */
	KYSO_PDF_CHANGE_OTHER,        /* anything else: page content, metadata, ... */
} kyso_pdf_change_kind_t;

typedef struct {
	uint32_t num;
	uint16_t gen;
	kyso_pdf_change_kind_t kind;
	bool is_new; /* object did not exist at that revision */
} kyso_pdf_change_t;

/* Objects (re)defined by the xref sections written after the revision
 * that ends at offset end (absolute, e.g. a signature's covered_end), each
 * classified. *out is malloc'd (free()), *n may be 0. A freed object or a
 * rewritten /Info counts as OTHER; new objects are classified by type (they
 * change nothing unless a changed object refers to them). KYSO_ERR_BAD_PDF
 * when the xref was rebuilt (no revision history to compare). */
kyso_err_t kyso_pdf_changes_after(kyso_pdf_t *pdf, uint64_t end, kyso_pdf_change_t **out, size_t *n,
                                  kyso_error_t *err);
/* English id of a change kind, e.g. "signature", "other". */
const char *kyso_pdf_change_kind_id(kyso_pdf_change_kind_t kind);

/* ---- generic object API (for reading and for visible signatures) ------- */

typedef enum {
	KYSO_PDF_NULL = 0,
	KYSO_PDF_BOOL,
	KYSO_PDF_INT,
	KYSO_PDF_REAL,
	KYSO_PDF_NAME,
	KYSO_PDF_STRING,
	KYSO_PDF_ARRAY,
	KYSO_PDF_DICT,
	KYSO_PDF_REF,
	KYSO_PDF_STREAM, /* a dictionary plus data in the file */
} kyso_pdf_type_t;

/* The trailer dictionary of the newest section (borrowed). */
const kyso_pdf_obj_t *kyso_pdf_trailer(const kyso_pdf_t *pdf);
/* Loads object num (newest revision). NULL + err when missing/broken;
 * a free or missing object gives a KYSO_PDF_NULL object, not an error. */
kyso_pdf_obj_t *kyso_pdf_load(kyso_pdf_t *pdf, uint32_t num, kyso_error_t *err);
/* If obj is a reference, loads the target; otherwise returns a deep copy. */
kyso_pdf_obj_t *kyso_pdf_resolve(kyso_pdf_t *pdf, const kyso_pdf_obj_t *obj, kyso_error_t *err);
/* The document catalog (/Root). */
kyso_pdf_obj_t *kyso_pdf_catalog(kyso_pdf_t *pdf, kyso_error_t *err);
/* Page dictionary by 0-based index, with inherited /Resources, /MediaBox,
 * /CropBox, /Rotate copied in; *num_out (optional) gets its object number. */
kyso_pdf_obj_t *kyso_pdf_page(kyso_pdf_t *pdf, long index, uint32_t *num_out, kyso_error_t *err);
/* Decoded stream data (FlateDecode with predictors; other filters are
 * returned raw with *decoded false). max caps the decoded size. */
kyso_err_t kyso_pdf_stream_data(kyso_pdf_t *pdf, const kyso_pdf_obj_t *stream, size_t max,
                                kyso_buf_t *out, bool *decoded, kyso_error_t *err);

void kyso_pdf_obj_free(kyso_pdf_obj_t *obj);
kyso_pdf_obj_t *kyso_pdf_obj_copy(const kyso_pdf_obj_t *obj);
kyso_pdf_type_t kyso_pdf_obj_type(const kyso_pdf_obj_t *obj); /* NULL -> KYSO_PDF_NULL */
/* Dictionary lookup (also works on a stream's dictionary), borrowed or NULL.
 * key without the leading '/'. */
const kyso_pdf_obj_t *kyso_pdf_dict_get(const kyso_pdf_obj_t *dict, const char *key);
size_t kyso_pdf_dict_len(const kyso_pdf_obj_t *dict);
const char *kyso_pdf_dict_key(const kyso_pdf_obj_t *dict, size_t i);
const kyso_pdf_obj_t *kyso_pdf_dict_value(const kyso_pdf_obj_t *dict, size_t i);
bool kyso_pdf_obj_bool(const kyso_pdf_obj_t *obj, bool *out);
bool kyso_pdf_obj_int(const kyso_pdf_obj_t *obj, int64_t *out);
/* Accepts INT or REAL. */
bool kyso_pdf_obj_number(const kyso_pdf_obj_t *obj, double *out);
/* Name without '/', #xx escapes decoded; NULL if not a name. Borrowed. */
const char *kyso_pdf_obj_name(const kyso_pdf_obj_t *obj);
bool kyso_pdf_obj_is_name(const kyso_pdf_obj_t *obj, const char *name);
/* String bytes (decrypted), NULL if not a string. Borrowed. */
const uint8_t *kyso_pdf_obj_string(const kyso_pdf_obj_t *obj, size_t *len);
/* Text string (PDFDocEncoding or UTF-16BE/UTF-8 with BOM) as UTF-8;
 * malloc'd, NULL if not a string. */
char *kyso_pdf_obj_text(const kyso_pdf_obj_t *obj);
size_t kyso_pdf_array_len(const kyso_pdf_obj_t *arr);
const kyso_pdf_obj_t *kyso_pdf_array_get(const kyso_pdf_obj_t *arr, size_t i);
bool kyso_pdf_obj_ref(const kyso_pdf_obj_t *obj, uint32_t *num, uint16_t *gen);

/* ---- adding a signature (incremental update) ----------------------------- */

/* An extra object written in the update (fonts, images, form XObjects for a
 * visible appearance). dict is PDF syntax of the dictionary, e.g.
 * "<< /Type /XObject /Subtype /Image ... >>"; /Length is added by the writer
 * for streams (data != NULL). In dict, "@k@" (k = index in the objects
 * array of the appearance) is replaced by the reference "N 0 R" of that
 * object. Streams and strings are encrypted when the document is. */
typedef struct {
	const char *dict;
	const uint8_t *data; /* NULL: a plain object (dict only) */
	size_t data_len;
} kyso_pdf_new_obj_t;

/* Visible appearance (issue 6): a form XObject used as the widget's /AP /N.
 * rect is in default user space of the page. content is the form's content
 * stream; resources is a PDF dictionary ("<< /Font << /F1 @0@ >> >>"),
 * bbox defaults to [0 0 w h] of rect when all zero. */
/* Text stamped at its own place in the same update (the issue role's number
 * and date): a read-only text field (/FT /Tx, /Ff 1) named name with value
 * /V, its widget on the signature's page at rect (user space) showing the
 * form content; resources may use "@k@" for the appearance's objects. */
typedef struct {
	const char *name, *value; /* UTF-8 */
	double rect[4];
	const uint8_t *content;
	size_t content_len;
	const char *resources;
} kyso_pdf_stamp_t;

typedef struct {
	double rect[4];
	const uint8_t *content;
	size_t content_len;
	const char *resources;
	const kyso_pdf_new_obj_t *objects;
	size_t object_count;
} kyso_pdf_appearance_t;

/* The input's bytes on their way to the output, hashed as written, in the
 * background where the OS can (kyso_file_copy_start): started as soon as
 * the input is parsed, so that the copy runs while the token is opened. */
typedef struct kyso_pdf_prefix kyso_pdf_prefix_t;
/* Starts copying pdf's bytes to out (a new file, not to be touched until the
 * signature update is written) and hashing them with md. NULL: no memory. */
kyso_pdf_prefix_t *kyso_pdf_prefix_start(kyso_pdf_t *pdf, FILE *out, const EVP_MD *md);
/* Waits for it (if kyso_pdf_sig_prepare did not) and frees it; before
 * closing pdf or out. */
void kyso_pdf_prefix_free(kyso_pdf_prefix_t **p);

typedef struct {
	const char *field_name; /* NULL: "Signature1", "Signature2", ... (unique) */
	const char *filter;     /* NULL: "Adobe.PPKLite" */
	const char *sub_filter; /* e.g. "ETSI.CAdES.detached" (required) */
	bool doc_timestamp;     /* /Type /DocTimeStamp instead of /Sig */
	size_t contents_size;   /* bytes reserved for the DER (hex is 2x), > 0 */
	time_t signing_time;    /* /M; 0 = now */
	const char *name, *reason, *location, *contact_info; /* UTF-8, optional */
	long page;                               /* 0-based page of the widget; -1 = last page */
	const kyso_pdf_appearance_t *appearance; /* NULL: invisible, /Rect [0 0 0 0] */
	/* An empty signature field (/FT /Sig without /V) named field_name, or
	 * when field_name is NULL the first one, is signed into (its widget,
	 * /Rect and page are kept; appearance, if given, becomes its /AP /N)
	 * unless always_new_field is set. */
	bool always_new_field;
	/* With an appearance and a new field: one signature field whose /Kids
	 * are a widget on every page (same /Rect and /AP /N); page is ignored. */
	bool all_pages;
	/* With an appearance: text stamped at other places of the signature's
	 * page in the same update (at most 4; their resources' "@k@" refer to
	 * the appearance's objects). */
	const kyso_pdf_stamp_t *stamps;
	size_t nstamps;
	/* the same pdf already on its way to the same out with the same md
	 * (kyso_pdf_prefix_start); NULL: copied and hashed here */
	kyso_pdf_prefix_t *prefix;
} kyso_pdf_sig_params_t;

/* Where the DER goes. Offsets are absolute in the output file. */
typedef struct {
	uint64_t contents_offset; /* offset of the first hex digit (after '<') */
	size_t contents_hex_len;  /* hex digits reserved = 2 * contents_size */
	uint64_t byte_range[4];
	uint64_t file_size;   /* total size of the output */
	char field_name[256]; /* name of the field signed (new or existing), UTF-8 */
} kyso_pdf_sig_slot_t;

/* Writes original bytes + update to out (opened "w+b" or "wb", positioned at
 * 0), computes the md digest of the ByteRange parts into digest (at least
 * EVP_MAX_MD_SIZE bytes). Refuses a DocMDP P=1 document (KYSO_ERR_BAD_INPUT,
 * clear message) and a page index out of range (KYSO_ERR_USAGE). */
kyso_err_t kyso_pdf_sig_prepare(kyso_pdf_t *pdf, const kyso_pdf_sig_params_t *params, FILE *out,
                                const EVP_MD *md, uint8_t *digest, unsigned *digest_len,
                                kyso_pdf_sig_slot_t *slot, kyso_error_t *err);
/* Writes der as upper-case hex into the placeholder (rest stays '0') and
 * flushes. KYSO_ERR_INTERNAL if der_len > slot->contents_hex_len / 2. */
kyso_err_t kyso_pdf_sig_fill(FILE *out, const kyso_pdf_sig_slot_t *slot, const uint8_t *der,
                             size_t der_len, kyso_error_t *err);

/* ---- long-term validation data (PAdES B-LT, ISO 32000-2 12.8.4.3) ---------- */

typedef struct {
	const uint8_t *data;
	size_t len;
} kyso_pdf_blob_t;

/* DER certificates, CRLs and OCSPResponses for the Document Security Store.
 * vri_key: upper-case hex SHA-1 of the signature's /Contents bytes for its
 * /VRI entry (which lists all the items given here), NULL = no VRI entry. */
typedef struct {
	const kyso_pdf_blob_t *certs;
	size_t ncerts;
	const kyso_pdf_blob_t *crls;
	size_t ncrls;
	const kyso_pdf_blob_t *ocsps;
	size_t nocsps;
	const char *vri_key;
} kyso_pdf_dss_t;

/* Appends an incremental update to out (the file pdf was opened from, e.g.
 * with kyso_pdf_open_stream(); written at its end) that adds the items to
 * the catalog's /DSS: an existing DSS keeps its entries (an item already
 * there is not stored twice), otherwise a new /DSS is made. *file_size gets
 * the new size of the file. */
kyso_err_t kyso_pdf_append_dss(kyso_pdf_t *pdf, const kyso_pdf_dss_t *dss, FILE *out,
                               uint64_t *file_size, kyso_error_t *err);

/* The catalog's /DSS: number of certificates, CRLs, OCSP responses and VRI
 * entries (all 0 without a DSS). has_vri (optional): whether /VRI has
 * vri_key. */
typedef struct {
	size_t certs, crls, ocsps, vri;
} kyso_pdf_dss_count_t;
kyso_err_t kyso_pdf_dss_info(kyso_pdf_t *pdf, kyso_pdf_dss_count_t *count, const char *vri_key,
                             bool *has_vri, kyso_error_t *err);
/* The DER items of one /DSS array ("Certs", "CRLs", "OCSPs"): *out gets
 * malloc'd buffers (free with kyso_pdf_blobs_free). */
kyso_err_t kyso_pdf_dss_items(kyso_pdf_t *pdf, const char *key, kyso_buf_t **out, size_t *n,
                              kyso_error_t *err);
void kyso_pdf_blobs_free(kyso_buf_t *v, size_t n);

#ifdef __cplusplus
}
#endif
#endif
