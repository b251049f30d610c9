/* Unit tests of the PDF reader and signature update (signer/pdf.h). Test
 * files are built here from object bodies with correct (or deliberately
 * wrong) cross-reference tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pdf.h"
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/kyso-test-pdf.XXXXXX";

typedef struct {
	const char *prefix; /* junk before %PDF- */
	const char *suffix; /* garbage after %%EOF */
	int xref_shift;     /* added to every offset */
	size_t shift_from;  /* ...of objects >= this number (0: all) */
	bool no_xref;       /* no xref/trailer at all */
} build_opts_t;

/* Writes a PDF made of objects 1..n (bodies without "N 0 obj"). */
static char *build_pdf(const char *name, const char *const *objs, size_t n, const build_opts_t *o)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	kyso_buf_t b;
	kyso_buf_init(&b);
	if (o && o->prefix)
		kyso_buf_printf(&b, "%s", o->prefix);
	size_t hdr = b.len;
	kyso_buf_printf(&b, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	size_t *offs = calloc(n + 1, sizeof(*offs));
	for (size_t i = 0; i < n; i++) {
		offs[i] = b.len - hdr;
		kyso_buf_printf(&b, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	if (!o || !o->no_xref) {
		size_t xref = b.len - hdr;
		kyso_buf_printf(&b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
		for (size_t i = 0; i < n; i++)
			kyso_buf_printf(&b, "%010zu 00000 n \n",
			                offs[i] + (size_t)(o && i + 1 >= o->shift_from
			                                           ? o->xref_shift
			                                           : 0));
		kyso_buf_printf(
		        &b,
		        "trailer\n<< /Size %zu /Root 1 0 R /ID [<0102030405060708090A0B0C0D0E0F10> "
		        "<0102030405060708090A0B0C0D0E0F10>] >>\nstartxref\n%zu\n%%%%EOF\n",
		        n + 1, xref);
	}
	if (o && o->suffix)
		kyso_buf_printf(&b, "%s", o->suffix);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	kyso_buf_free(&b);
	free(offs);
	return path;
}

static const char *const simple[] = {
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 /MediaBox [0 0 612 792] >>",
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        "<< /Length 5 >>\nstream\nBT ET\nendstream",
        "<< /Type /Page /Parent 2 0 R /Annots [] /Rotate 90 >>",
};

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- lexer / parser ---- */

static kyso_pdf_obj_t *parse(const char *s, kyso_error_t *err)
{
	pdf_src_t src;
	kyso_pdf_src_mem(&src, (const uint8_t *)s, strlen(s), 0);
	kyso_error_clear(err);
	return kyso_pdf_parse_object(&src, 0, err);
}

static void test_parse_strings(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_pdf_obj_t *o = parse("(a\\n\\(b\\)\\101\\\r\nc (nested) \\7)", &err);
	assert_non_null(o);
	size_t len;
	const uint8_t *p = kyso_pdf_obj_string(o, &len);
	assert_int_equal(len, 18);
	assert_memory_equal(p, "a\n(b)Ac (nested) \a", 18);
	kyso_pdf_obj_free(o);
	o = parse("<48 65 6C6C6F7>", &err);
	p = kyso_pdf_obj_string(o, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "Hellop", 6);
	kyso_pdf_obj_free(o);
	/* UTF-16BE text string to UTF-8 */
	o = parse("<FEFF0050006800EA0020006400751EF10079>", &err);
	char *t = kyso_pdf_obj_text(o);
	assert_string_equal(t, "Phê duựy");
	free(t);
	kyso_pdf_obj_free(o);
	/* PDFDocEncoding: 0x93 is U+FB01 (fi ligature) */
	o = parse("(\\223)", &err);
	t = kyso_pdf_obj_text(o);
	assert_string_equal(t, "\xef\xac\x81");
	free(t);
	kyso_pdf_obj_free(o);
}

static void test_parse_objects(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_pdf_obj_t *o =
	        parse("<< /A#20B -.5 /N +17 /R 12 0 R /Arr [1 2 3 null true] /D<</X/Y>> >>", &err);
	assert_non_null(o);
	double d;
	assert_true(kyso_pdf_obj_number(kyso_pdf_dict_get(o, "A B"), &d));
	assert_true(d == -0.5);
	int64_t i;
	assert_true(kyso_pdf_obj_int(kyso_pdf_dict_get(o, "N"), &i));
	assert_int_equal(i, 17);
	uint32_t num;
	uint16_t gen;
	assert_true(kyso_pdf_obj_ref(kyso_pdf_dict_get(o, "R"), &num, &gen));
	assert_int_equal(num, 12);
	assert_int_equal(gen, 0);
	const kyso_pdf_obj_t *arr = kyso_pdf_dict_get(o, "Arr");
	assert_int_equal(kyso_pdf_array_len(arr), 5);
	assert_true(kyso_pdf_obj_is_name(kyso_pdf_dict_get(kyso_pdf_dict_get(o, "D"), "X"), "Y"));
	kyso_pdf_obj_free(o);
}

static void test_parse_depth_limit(void **state)
{
	(void)state;
	char deep[400];
	memset(deep, '[', 300);
	deep[300] = 0;
	kyso_error_t err;
	kyso_pdf_obj_t *o = parse(deep, &err);
	assert_null(o);
	assert_int_equal(err.code, KYSO_ERR_BAD_PDF);
	/* at the limit it parses */
	char ok[200];
	memset(ok, '[', 40);
	memset(ok + 40, ']', 40);
	ok[80] = 0;
	o = parse(ok, &err);
	assert_non_null(o);
	kyso_pdf_obj_free(o);
}

static void test_rc4_vector(void **state)
{
	(void)state;
	uint8_t out[9];
	kyso_pdf_rc4((const uint8_t *)"Key", 3, (const uint8_t *)"Plaintext", out, 9);
	static const uint8_t want[9] = {0xBB, 0xF3, 0x16, 0xE8, 0xD9, 0x40, 0xAF, 0x0A, 0xD3};
	assert_memory_equal(out, want, 9);
}

/* ---- opening ---- */

static void test_open_simple(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(build_pdf("simple.pdf", simple, 5, NULL), NULL, 0, &err);
	assert_non_null(pdf);
	assert_int_equal(kyso_pdf_page_count(pdf, &err), 2);
	assert_int_equal(kyso_pdf_version(pdf), 17);
	assert_false(kyso_pdf_was_repaired(pdf));
	assert_int_equal(kyso_pdf_warning_count(pdf), 0);
	uint32_t num = 0;
	kyso_pdf_obj_t *pg = kyso_pdf_page(pdf, 1, &num, &err);
	assert_non_null(pg);
	assert_int_equal(num, 5);
	/* inherited MediaBox */
	assert_int_equal(kyso_pdf_array_len(kyso_pdf_dict_get(pg, "MediaBox")), 4);
	kyso_pdf_obj_free(pg);
	kyso_pdf_obj_t *st = kyso_pdf_load(pdf, 4, &err);
	assert_int_equal(kyso_pdf_obj_type(st), KYSO_PDF_STREAM);
	kyso_buf_t data;
	kyso_buf_init(&data);
	bool dec = false;
	assert_int_equal(kyso_pdf_stream_data(pdf, st, 1000, &data, &dec, &err), KYSO_OK);
	assert_int_equal(data.len, 5);
	assert_memory_equal(data.data, "BT ET", 5);
	kyso_buf_free(&data);
	kyso_pdf_obj_free(st);
	/* a small file cannot claim millions of objects (xref table bomb) */
	pdf_xref_entry_t fake = {.off = 10, .type = XREF_OFFSET};
	assert_int_equal(kyso_pdf_xref_set(pdf, 4000000, &fake), KYSO_ERR_BAD_PDF);
	assert_int_equal(kyso_pdf_xref_set(pdf, 900, &fake), KYSO_OK);
	/* free/missing objects are null, not errors */
	kyso_pdf_obj_t *missing = kyso_pdf_load(pdf, 99, &err);
	assert_int_equal(kyso_pdf_obj_type(missing), KYSO_PDF_NULL);
	kyso_pdf_obj_free(missing);
	kyso_pdf_free(&pdf);
	assert_null(pdf);
}

static void test_open_junk_and_garbage(void **state)
{
	(void)state;
	build_opts_t o = {.prefix = "Junk before the header\r\n",
	                  .suffix = "\x01\x02 garbage %%EOX"};
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(build_pdf("junk.pdf", simple, 5, &o), NULL, 0, &err);
	assert_non_null(pdf);
	assert_int_equal(kyso_pdf_header_offset(pdf), strlen(o.prefix));
	assert_false(kyso_pdf_was_repaired(pdf));
	assert_int_equal(kyso_pdf_page_count(pdf, &err), 2);
	kyso_pdf_free(&pdf);
}

static void test_open_repair(void **state)
{
	(void)state;
	build_opts_t o = {.xref_shift = 5};
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(build_pdf("shift.pdf", simple, 5, &o), NULL, 0, &err);
	assert_non_null(pdf);
	assert_true(kyso_pdf_was_repaired(pdf));
	assert_true(kyso_pdf_warning_count(pdf) >= 1);
	assert_non_null(strstr(kyso_pdf_warning(pdf, 0), "rebuilt"));
	assert_int_equal(kyso_pdf_page_count(pdf, &err), 2);
	kyso_pdf_free(&pdf);
	/* no xref at all */
	build_opts_t nx = {.no_xref = true};
	pdf = kyso_pdf_open(build_pdf("noxref.pdf", simple, 5, &nx), NULL, 0, &err);
	assert_non_null(pdf);
	assert_true(kyso_pdf_was_repaired(pdf));
	kyso_pdf_free(&pdf);
}

/* Only some offsets wrong: the rebuild happens lazily, during the update,
 * which is then built on the rebuilt xref (complete table, no /Prev). */
static void test_lazy_repair_during_update(void **state)
{
	(void)state;
	build_opts_t o = {.xref_shift = 5, .shift_from = 3};
	kyso_error_t err;
	char in[600];
	snprintf(in, sizeof(in), "%s", build_pdf("lazy.pdf", simple, 5, &o));
	kyso_pdf_t *pdf = kyso_pdf_open(in, NULL, 0, &err);
	assert_non_null(pdf);
	assert_false(kyso_pdf_was_repaired(pdf));
	char outp[640];
	snprintf(outp, sizeof(outp), "%s/lazy-out.pdf", tmpdir);
	FILE *out = fopen(outp, "w+b");
	kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached", .contents_size = 64};
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl;
	kyso_pdf_sig_slot_t slot;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_OK);
	fclose(out);
	assert_true(kyso_pdf_was_repaired(pdf));
	kyso_pdf_free(&pdf);
	pdf = kyso_pdf_open(outp, NULL, 0, &err);
	assert_non_null(pdf);
	assert_false(kyso_pdf_was_repaired(pdf)); /* the new complete xref is right */
	assert_int_equal(kyso_pdf_xref_section_count(pdf), 1);
	assert_int_equal(kyso_pdf_page_count(pdf, &err), 2);
	kyso_pdf_sig_info_t *sigs;
	size_t n;
	assert_int_equal(kyso_pdf_signatures(pdf, &sigs, &n, &err), KYSO_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sigs[0].covered_end, slot.file_size);
	kyso_pdf_sig_info_free(sigs, n);
	kyso_pdf_free(&pdf);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_open_refusals(void **state)
{
	(void)state;
	kyso_error_t err;
	char path[600];
	snprintf(path, sizeof(path), "%s/text.pdf", tmpdir);
	write_file(path, "hello, world\n", 13);
	assert_null(kyso_pdf_open(path, NULL, 0, &err));
	assert_int_equal(err.code, KYSO_ERR_BAD_PDF);
	assert_int_equal(kyso_err_exit(err.code), KYSO_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "not a PDF"));

	snprintf(path, sizeof(path), "%s/hdr.pdf", tmpdir);
	write_file(path, "%PDF-1.4\n1 0 ob", 15);
	assert_null(kyso_pdf_open(path, NULL, 0, &err));
	assert_int_equal(err.code, KYSO_ERR_BAD_PDF);
	assert_non_null(strstr(err.msg, "beyond repair"));

	/* too large */
	assert_null(kyso_pdf_open(build_pdf("big.pdf", simple, 5, NULL), NULL, 100, &err));
	assert_int_equal(err.code, KYSO_ERR_TOO_LARGE);
	assert_int_equal(kyso_err_exit(err.code), KYSO_EXIT_INPUT);

	/* missing file */
	snprintf(path, sizeof(path), "%s/none.pdf", tmpdir);
	assert_null(kyso_pdf_open(path, NULL, 0, &err));
	assert_int_equal(err.code, KYSO_ERR_IO);

	/* unsupported security handler */
	static const char *const pubsec[] = {
	        "<< /Type /Catalog /Pages 2 0 R >>",
	        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
	        "<< /Filter /Adobe.PubSec /V 4 /R 4 /SubFilter /adbe.pkcs7.s5 >>",
	};
	char *p = build_pdf("pubsec.pdf", pubsec, 4, NULL);
	/* add /Encrypt to the trailer */
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "sed -i 's|/Root 1 0 R|/Root 1 0 R /Encrypt 4 0 R|' '%s'", p);
	assert_int_equal(system(cmd), 0);
	assert_null(kyso_pdf_open(p, NULL, 0, &err));
	assert_int_equal(err.code, KYSO_ERR_ENCRYPTED);
	assert_non_null(strstr(err.msg, "Adobe.PubSec"));
}

/* An xref stream with PNG Up predictor and an object stream. */
static void test_xref_stream_objstm(void **state)
{
	(void)state;
	char path[600];
	snprintf(path, sizeof(path), "%s/xrefstm.pdf", tmpdir);
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_buf_printf(&b, "%%PDF-1.5\n");
	/* object stream 4 holds objects 1 (catalog), 2 (pages), 3 (page) */
	const char *o1 = "<</Type/Catalog/Pages 2 0 R>>";
	const char *o2 = "<</Type/Pages/Kids[3 0 R]/Count 1>>";
	const char *o3 = "<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]>>";
	char head[64];
	size_t l1 = strlen(o1), l2 = strlen(o2);
	snprintf(head, sizeof(head), "1 0 2 %zu 3 %zu ", l1 + 1, l1 + l2 + 2);
	kyso_buf_t os;
	kyso_buf_init(&os);
	kyso_buf_printf(&os, "%s%s %s %s", head, o1, o2, o3);
	uLongf zl = compressBound(os.len);
	uint8_t *z = malloc(zl);
	assert_int_equal(compress(z, &zl, os.data, os.len), Z_OK);
	size_t off4 = b.len;
	kyso_buf_printf(
	        &b,
	        "4 0 obj\n<</Type/ObjStm/N 3/First %zu/Filter/FlateDecode/Length %lu>>\nstream\n",
	        strlen(head), zl);
	kyso_buf_append(&b, z, zl);
	kyso_buf_printf(&b, "\nendstream\nendobj\n");
	free(z);
	kyso_buf_free(&os);
	size_t off5 = b.len;
	/* rows: type(1) off(2) gen(1); objects 0..5 */
	uint8_t rows[6][4] = {{0, 0, 0, 255},
	                      {2, 0, 4, 0},
	                      {2, 0, 4, 1},
	                      {2, 0, 4, 2},
	                      {1, (uint8_t)(off4 >> 8), (uint8_t)off4, 0},
	                      {1, (uint8_t)(off5 >> 8), (uint8_t)off5, 0}};
	uint8_t pred[6 * 5];
	uint8_t prev[4] = {0};
	for (int r = 0; r < 6; r++) {
		pred[r * 5] = 2; /* Up */
		for (int c = 0; c < 4; c++) {
			pred[r * 5 + 1 + c] = (uint8_t)(rows[r][c] - prev[c]);
			prev[c] = rows[r][c];
		}
	}
	zl = compressBound(sizeof(pred));
	z = malloc(zl);
	assert_int_equal(compress(z, &zl, pred, sizeof(pred)), Z_OK);
	kyso_buf_printf(&b,
	                "5 0 obj\n<</Type/XRef/Size 6/W[1 2 1]/Root 1 0 R/Filter/FlateDecode"
	                "/DecodeParms<</Predictor 12/Columns 4>>/Length %lu>>\nstream\n",
	                zl);
	kyso_buf_append(&b, z, zl);
	kyso_buf_printf(&b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", off5);
	free(z);
	write_file(path, (const char *)b.data, b.len);
	kyso_buf_free(&b);

	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(path, NULL, 0, &err);
	assert_non_null(pdf);
	assert_false(kyso_pdf_was_repaired(pdf));
	assert_int_equal(kyso_pdf_page_count(pdf, &err), 1);
	uint32_t num = 0;
	kyso_pdf_obj_t *pg = kyso_pdf_page(pdf, 0, &num, &err);
	assert_non_null(pg);
	assert_int_equal(num, 3);
	kyso_pdf_obj_free(pg);
	/* decoded size cap */
	kyso_pdf_obj_t *st = kyso_pdf_load(pdf, 4, &err);
	kyso_buf_t data;
	kyso_buf_init(&data);
	assert_int_not_equal(kyso_pdf_stream_data(pdf, st, 10, &data, NULL, &err), KYSO_OK);
	assert_int_equal(err.code, KYSO_ERR_BAD_PDF);
	kyso_buf_free(&data);
	kyso_pdf_obj_free(st);

	/* the update of an xref-stream file ends with an xref stream */
	char outp[640];
	snprintf(outp, sizeof(outp), "%s/xrefstm-out.pdf", tmpdir);
	FILE *out = fopen(outp, "w+b");
	kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached", .contents_size = 100};
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl;
	kyso_pdf_sig_slot_t slot;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_OK);
	fclose(out);
	kyso_pdf_free(&pdf);
	pdf = kyso_pdf_open(outp, NULL, 0, &err);
	assert_non_null(pdf);
	assert_int_equal(kyso_pdf_xref_section_count(pdf), 2);
	assert_true(kyso_pdf_obj_is_name(kyso_pdf_dict_get(kyso_pdf_trailer(pdf), "Type"), "XRef"));
	kyso_pdf_sig_info_t *sigs;
	size_t n;
	assert_int_equal(kyso_pdf_signatures(pdf, &sigs, &n, &err), KYSO_OK);
	assert_int_equal(n, 1);
	kyso_pdf_sig_info_free(sigs, n);
	kyso_pdf_free(&pdf);
}

/* ---- signature update ---- */

static void test_sign_prepare_fill(void **state)
{
	(void)state;
	kyso_error_t err;
	const char *in = build_pdf("tosign.pdf", simple, 5, NULL);
	char inpath[600];
	snprintf(inpath, sizeof(inpath), "%s", in);
	kyso_pdf_t *pdf = kyso_pdf_open(inpath, NULL, 0, &err);
	assert_non_null(pdf);
	uint64_t insize = kyso_pdf_file_size(pdf);
	char outp[640];
	snprintf(outp, sizeof(outp), "%s/signed.pdf", tmpdir);
	FILE *out = fopen(outp, "w+b");
	kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached",
	                           .contents_size = 64,
	                           .signing_time = 1700000000,
	                           .reason = "Phê duyệt",
	                           .name = "Nguyễn Văn An",
	                           .page = 1};
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_pdf_sig_slot_t slot;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_OK);
	assert_int_equal(dl, 32);
	assert_string_equal(slot.field_name, "Signature1");
	kyso_pdf_free(&pdf);
	/* slot layout */
	assert_int_equal(slot.contents_hex_len, 128);
	assert_int_equal(slot.byte_range[0], 0);
	assert_int_equal(slot.byte_range[1] + 1, slot.contents_offset);
	assert_int_equal(slot.byte_range[2], slot.contents_offset + 128 + 1);
	assert_int_equal(slot.byte_range[2] + slot.byte_range[3], slot.file_size);
	char c;
	fseeko(out, (off_t)slot.contents_offset - 1, SEEK_SET);
	assert_int_equal(fgetc(out), '<');
	fseeko(out, (off_t)(slot.contents_offset + 128), SEEK_SET);
	assert_int_equal(fgetc(out), '>');
	/* fill: too big refused, right size written */
	uint8_t der[64];
	for (int i = 0; i < 64; i++)
		der[i] = (uint8_t)(0x30 + i);
	uint8_t big[65] = {0};
	assert_int_not_equal(kyso_pdf_sig_fill(out, &slot, big, sizeof(big), &err), KYSO_OK);
	assert_int_equal(kyso_pdf_sig_fill(out, &slot, der, 10, &err), KYSO_OK);
	fclose(out);
	(void)c;

	pdf = kyso_pdf_open(outp, NULL, 0, &err);
	assert_non_null(pdf);
	assert_int_equal(kyso_pdf_file_size(pdf), slot.file_size);
	/* the digest is the digest of the ranges */
	uint8_t dg2[EVP_MAX_MD_SIZE];
	unsigned dl2 = 0;
	assert_int_equal(kyso_pdf_hash_ranges(pdf, slot.byte_range, EVP_sha256(), dg2, &dl2, &err),
	                 KYSO_OK);
	assert_memory_equal(dg, dg2, 32);
	kyso_pdf_sig_info_t *sigs;
	size_t n;
	assert_int_equal(kyso_pdf_signatures(pdf, &sigs, &n, &err), KYSO_OK);
	assert_int_equal(n, 1);
	assert_string_equal(sigs[0].field_name, "Signature1");
	assert_string_equal(sigs[0].sub_filter, "ETSI.CAdES.detached");
	assert_string_equal(sigs[0].reason, "Phê duyệt");
	assert_string_equal(sigs[0].name, "Nguyễn Văn An");
	assert_string_equal(sigs[0].m, "D:20231114221320+00'00'");
	assert_int_equal(sigs[0].contents_len, 64);
	assert_memory_equal(sigs[0].contents, der, 10);
	assert_int_equal(sigs[0].contents[10], 0);
	assert_int_equal(sigs[0].contents_offset, slot.contents_offset - 1);
	assert_int_equal(sigs[0].covered_end, slot.file_size);
	assert_int_equal(sigs[0].revision, 1);
	kyso_pdf_sig_info_free(sigs, n);
	/* the widget is on page 2 (index 1), whose direct /Annots grew */
	kyso_pdf_obj_t *pg = kyso_pdf_page(pdf, 1, NULL, &err);
	assert_int_equal(kyso_pdf_array_len(kyso_pdf_dict_get(pg, "Annots")), 1);
	kyso_pdf_obj_free(pg);
	/* what changed since the original revision: only signature objects */
	kyso_pdf_change_t *ch;
	assert_int_equal(kyso_pdf_changes_after(pdf, insize, &ch, &n, &err), KYSO_OK);
	assert_true(n >= 4);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(ch[i].kind, KYSO_PDF_CHANGE_OTHER);
	free(ch);
	assert_int_equal(kyso_pdf_xref_section_count(pdf), 2);

	/* a second signature gets a new unique name; the first is kept */
	char out2p[640];
	snprintf(out2p, sizeof(out2p), "%s/signed2.pdf", tmpdir);
	FILE *out2 = fopen(out2p, "w+b");
	p.page = 0;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out2, EVP_sha384(), dg, &dl, &slot, &err),
	                 KYSO_OK);
	assert_int_equal(dl, 48);
	fclose(out2);
	/* an existing name is refused */
	p.field_name = "Signature1";
	out2 = fopen(out2p, "w+b");
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out2, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_ERR_EXISTS);
	fclose(out2);
	/* page out of range */
	p.field_name = NULL;
	p.page = 7;
	out2 = fopen(out2p, "w+b");
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out2, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_ERR_USAGE);
	fclose(out2);
	kyso_pdf_free(&pdf);
}

static void test_docmdp_refused(void **state)
{
	(void)state;
	static const char *const objs[] = {
	        "<< /Type /Catalog /Pages 2 0 R /Perms << /DocMDP 4 0 R >> >>",
	        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
	        "<< /Type /Sig /Filter /Adobe.PPKLite /Reference [<< /Type /SigRef "
	        "/TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P 1 /V /1.2 "
	        ">> >>] >>",
	};
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(build_pdf("certified.pdf", objs, 4, NULL), NULL, 0, &err);
	assert_non_null(pdf);
	assert_int_equal(kyso_pdf_docmdp(pdf, &err), 1);
	char outp[640];
	snprintf(outp, sizeof(outp), "%s/certified-out.pdf", tmpdir);
	FILE *out = fopen(outp, "w+b");
	kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached", .contents_size = 64};
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl;
	kyso_pdf_sig_slot_t slot;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_ERR_BAD_INPUT);
	assert_int_equal(kyso_err_exit(err.code), KYSO_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "DocMDP"));
	assert_int_equal(ftello(out), 0); /* nothing written */
	fclose(out);
	kyso_pdf_free(&pdf);
}

/* /Annots and /Fields given as indirect arrays are updated in place. */
static void test_indirect_arrays(void **state)
{
	(void)state;
	static const char *const objs[] = {
	        "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
	        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots 4 0 R >>",
	        "[7 0 R]",
	        "<< /Fields 6 0 R /DA (/Helv 0 Tf 0 g) >>",
	        "[7 0 R]",
	        "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [0 0 1 1] /P 3 0 R >>",
	};
	kyso_error_t err;
	char in[600];
	snprintf(in, sizeof(in), "%s", build_pdf("indirect.pdf", objs, 7, NULL));
	kyso_pdf_t *pdf = kyso_pdf_open(in, NULL, 0, &err);
	assert_non_null(pdf);
	uint64_t insize = kyso_pdf_file_size(pdf);
	char outp[640];
	snprintf(outp, sizeof(outp), "%s/indirect-out.pdf", tmpdir);
	FILE *out = fopen(outp, "w+b");
	kyso_pdf_sig_params_t p = {.sub_filter = "adbe.pkcs7.detached", .contents_size = 64};
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl;
	kyso_pdf_sig_slot_t slot;
	assert_int_equal(kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
	                 KYSO_OK);
	fclose(out);
	kyso_pdf_free(&pdf);
	pdf = kyso_pdf_open(outp, NULL, 0, &err);
	assert_non_null(pdf);
	kyso_pdf_obj_t *annots = kyso_pdf_load(pdf, 4, &err);
	assert_int_equal(kyso_pdf_array_len(annots), 2);
	kyso_pdf_obj_free(annots);
	kyso_pdf_obj_t *fields = kyso_pdf_load(pdf, 6, &err);
	assert_int_equal(kyso_pdf_array_len(fields), 2);
	kyso_pdf_obj_free(fields);
	kyso_pdf_obj_t *af = kyso_pdf_load(pdf, 5, &err);
	int64_t flags = 0;
	assert_true(kyso_pdf_obj_int(kyso_pdf_dict_get(af, "SigFlags"), &flags));
	assert_int_equal(flags, 3);
	/* the existing DA string is kept */
	size_t len;
	assert_non_null(kyso_pdf_obj_string(kyso_pdf_dict_get(af, "DA"), &len));
	kyso_pdf_obj_free(af);
	/* page object itself was not rewritten: only the arrays changed */
	kyso_pdf_change_t *ch;
	size_t n;
	assert_int_equal(kyso_pdf_changes_after(pdf, insize, &ch, &n, &err), KYSO_OK);
	bool page_rewritten = false;
	for (size_t i = 0; i < n; i++) {
		page_rewritten = page_rewritten || ch[i].num == 3;
		assert_int_not_equal(ch[i].kind, KYSO_PDF_CHANGE_OTHER);
	}
	assert_false(page_rewritten);
	free(ch);
	kyso_pdf_free(&pdf);
}

/* An empty signature field is signed into, unless a new field is asked for. */
static void test_existing_empty_field(void **state)
{
	(void)state;
	static const char *const objs[] = {
	        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
	        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R] >>",
	        "<< /FT /Sig /T (ChuKy1) /Type /Annot /Subtype /Widget /Rect [1 1 5 5] /P 3 0 R >>",
	};
	kyso_error_t err;
	char in[600];
	snprintf(in, sizeof(in), "%s", build_pdf("emptyfield.pdf", objs, 4, NULL));
	for (int always_new = 0; always_new < 2; always_new++) {
		kyso_pdf_t *pdf = kyso_pdf_open(in, NULL, 0, &err);
		assert_non_null(pdf);
		char outp[640];
		snprintf(outp, sizeof(outp), "%s/emptyfield-out%d.pdf", tmpdir, always_new);
		FILE *out = fopen(outp, "w+b");
		kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached",
		                           .contents_size = 64,
		                           .always_new_field = always_new};
		uint8_t dg[EVP_MAX_MD_SIZE];
		unsigned dl;
		kyso_pdf_sig_slot_t slot;
		assert_int_equal(
		        kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err),
		        KYSO_OK);
		fclose(out);
		kyso_pdf_free(&pdf);
		assert_string_equal(slot.field_name, always_new ? "Signature1" : "ChuKy1");
		pdf = kyso_pdf_open(outp, NULL, 0, &err);
		assert_non_null(pdf);
		kyso_pdf_sig_info_t *sigs;
		size_t n;
		assert_int_equal(kyso_pdf_signatures(pdf, &sigs, &n, &err), KYSO_OK);
		assert_int_equal(n, 1);
		assert_string_equal(sigs[0].field_name, slot.field_name);
		kyso_pdf_sig_info_free(sigs, n);
		kyso_pdf_obj_t *cat = kyso_pdf_catalog(pdf, &err);
		const kyso_pdf_obj_t *af = kyso_pdf_dict_get(cat, "AcroForm");
		assert_int_equal(kyso_pdf_array_len(kyso_pdf_dict_get(af, "Fields")),
		                 always_new ? 2 : 1);
		int64_t flags = 0;
		assert_true(kyso_pdf_obj_int(kyso_pdf_dict_get(af, "SigFlags"), &flags));
		assert_int_equal(flags, 3);
		kyso_pdf_obj_free(cat);
		kyso_pdf_free(&pdf);
	}
}

int main(void)
{
	kyso_i18n_init("en");
	kyso_log_set_level(KYSO_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_strings),
	        cmocka_unit_test(test_parse_objects),
	        cmocka_unit_test(test_parse_depth_limit),
	        cmocka_unit_test(test_rc4_vector),
	        cmocka_unit_test(test_open_simple),
	        cmocka_unit_test(test_open_junk_and_garbage),
	        cmocka_unit_test(test_open_repair),
	        cmocka_unit_test(test_lazy_repair_during_update),
	        cmocka_unit_test(test_open_refusals),
	        cmocka_unit_test(test_xref_stream_objstm),
	        cmocka_unit_test(test_sign_prepare_fill),
	        cmocka_unit_test(test_docmdp_refused),
	        cmocka_unit_test(test_indirect_arrays),
	        cmocka_unit_test(test_existing_empty_field),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
