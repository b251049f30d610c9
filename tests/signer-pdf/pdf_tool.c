/* kyso-pdf-tool: test driver for the PDF reader/writer of kyso_signer
 * (signer/pdf.h). Not installed; used by the shell tests in tests/signer-pdf.
 *
 *   kyso-pdf-tool info FILE [-p PW]
 *   kyso-pdf-tool prepare IN OUT [-p PW] [--size N] [--page N] [--field NAME]
 *                 [--reason TEXT] [--name TEXT] [--md sha256|sha384|sha512] [--visible]
 *   kyso-pdf-tool fill OUT CONTENTS_OFFSET HEX_LEN DER_FILE
 *   kyso-pdf-tool changes FILE END [-p PW]
 *   kyso-pdf-tool dump FILE NUM [-p PW]
 *
 * Errors: "error=<id> exit=<n>: message" on stderr, exit code kyso_err_exit().
 * Every command prints "maxrss_kb=N" (getrusage) last. */
#include "pdf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int fail(const kyso_error_t *e)
{
	fprintf(stderr, "error=%s exit=%d: %s\n", kyso_err_id(e->code), kyso_err_exit(e->code),
	        kyso_error_message(e));
	return (int)kyso_err_exit(e->code);
}

static void print_rss(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("maxrss_kb=%ld\n", ru.ru_maxrss);
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static bool flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

static int cmd_info(int argc, char **argv)
{
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(argv[2], opt(argc, argv, "-p"), 0, &err);
	if (!pdf)
		return fail(&err);
	long pages = kyso_pdf_page_count(pdf, &err);
	printf("version=%d\npages=%ld\nencrypted=%d\nsections=%zu\nrepaired=%d\nheader_offset=%llu\n",
	       kyso_pdf_version(pdf), pages, kyso_pdf_is_encrypted(pdf),
	       kyso_pdf_xref_section_count(pdf), kyso_pdf_was_repaired(pdf),
	       (unsigned long long)kyso_pdf_header_offset(pdf));
	printf("docmdp=%d\n", kyso_pdf_docmdp(pdf, &err));
	const kyso_pdf_revision_t *revs;
	size_t nrev = 0;
	if (kyso_pdf_revisions(pdf, &revs, &nrev, &err) == KYSO_OK) {
		printf("revisions=%zu\n", nrev);
		for (size_t i = 0; i < nrev; i++)
			printf("revision.%zu=%llu\n", i, (unsigned long long)revs[i].eof_end);
	}
	kyso_pdf_sig_info_t *sigs = NULL;
	size_t nsig = 0;
	if (kyso_pdf_signatures(pdf, &sigs, &nsig, &err) == KYSO_OK) {
		printf("signatures=%zu\n", nsig);
		for (size_t i = 0; i < nsig; i++) {
			const kyso_pdf_sig_info_t *s = &sigs[i];
			printf("sig.%zu.field=%s\nsig.%zu.subfilter=%s\nsig.%zu.byterange=%llu %llu %llu "
			       "%llu\nsig.%zu.covered_end=%llu\nsig.%zu.revision=%ld\n"
			       "sig.%zu.contents_len=%zu\nsig.%zu.contents_offset=%llu\nsig.%zu.m=%s\n"
			       "sig.%zu.reason=%s\nsig.%zu.name=%s\nsig.%zu.docmdp=%d\n",
			       i, s->field_name ? s->field_name : "", i, s->sub_filter ? s->sub_filter : "",
			       i, (unsigned long long)s->byte_range[0], (unsigned long long)s->byte_range[1],
			       (unsigned long long)s->byte_range[2], (unsigned long long)s->byte_range[3], i,
			       (unsigned long long)s->covered_end, i, s->revision, i, s->contents_len, i,
			       (unsigned long long)s->contents_offset, i, s->m ? s->m : "", i,
			       s->reason ? s->reason : "", i, s->name ? s->name : "", i, s->docmdp_p);
		}
		kyso_pdf_sig_info_free(sigs, nsig);
	}
	for (size_t i = 0; i < kyso_pdf_warning_count(pdf); i++)
		printf("warning=%s\n", kyso_pdf_warning(pdf, i));
	kyso_pdf_free(&pdf);
	print_rss();
	return 0;
}

static int cmd_prepare(int argc, char **argv)
{
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(argv[2], opt(argc, argv, "-p"), 0, &err);
	if (!pdf)
		return fail(&err);
	kyso_pdf_sig_params_t p;
	memset(&p, 0, sizeof(p));
	p.sub_filter = "ETSI.CAdES.detached";
	p.contents_size = opt(argc, argv, "--size") ? strtoul(opt(argc, argv, "--size"), NULL, 10) : 8192;
	p.page = opt(argc, argv, "--page") ? strtol(opt(argc, argv, "--page"), NULL, 10) : 0;
	p.field_name = opt(argc, argv, "--field");
	p.reason = opt(argc, argv, "--reason");
	p.name = opt(argc, argv, "--name");
	p.location = "Hà Nội";
	if (opt(argc, argv, "--subfilter"))
		p.sub_filter = opt(argc, argv, "--subfilter");
	const char *mdn = opt(argc, argv, "--md");
	const EVP_MD *md = EVP_get_digestbyname(mdn ? mdn : "sha256");
	static const char content[] = "q 0 0 1 rg 0 0 100 40 re f Q BT /F1 10 Tf 5 15 Td (Kyso) Tj ET";
	static const kyso_pdf_new_obj_t font = {
	        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", NULL, 0};
	kyso_pdf_appearance_t ap = {{50, 50, 150, 90},
	                            (const uint8_t *)content,
	                            sizeof(content) - 1,
	                            "<< /Font << /F1 @0@ >> >>",
	                            &font,
	                            1};
	p.always_new_field = flag(argc, argv, "--new-field");
	if (flag(argc, argv, "--visible"))
		p.appearance = &ap;
	FILE *out = fopen(argv[3], "w+b");
	if (!out || !md) {
		perror(argv[3]);
		kyso_pdf_free(&pdf);
		return 3;
	}
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	kyso_pdf_sig_slot_t slot;
	kyso_err_t rc = kyso_pdf_sig_prepare(pdf, &p, out, md, digest, &dlen, &slot, &err);
	fclose(out);
	kyso_pdf_free(&pdf);
	if (rc != KYSO_OK) {
		remove(argv[3]);
		return fail(&err);
	}
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	kyso_hex_encode(digest, dlen, hex);
	printf("field=%s\n", slot.field_name);
	printf("digest=%s\ncontents_offset=%llu\nhex_len=%zu\nbyte_range=%llu %llu %llu %llu\n"
	       "file_size=%llu\n",
	       hex, (unsigned long long)slot.contents_offset, slot.contents_hex_len,
	       (unsigned long long)slot.byte_range[0], (unsigned long long)slot.byte_range[1],
	       (unsigned long long)slot.byte_range[2], (unsigned long long)slot.byte_range[3],
	       (unsigned long long)slot.file_size);
	print_rss();
	return 0;
}

static int cmd_fill(int argc, char **argv)
{
	(void)argc;
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_pdf_sig_slot_t slot;
	memset(&slot, 0, sizeof(slot));
	slot.contents_offset = strtoull(argv[3], NULL, 10);
	slot.contents_hex_len = strtoul(argv[4], NULL, 10);
	uint8_t *der = NULL;
	size_t len = 0;
	if (kyso_file_read_all(argv[5], 1 << 20, &der, &len, &err) != KYSO_OK)
		return fail(&err);
	FILE *out = fopen(argv[2], "r+b");
	if (!out) {
		perror(argv[2]);
		free(der);
		return 3;
	}
	kyso_err_t rc = kyso_pdf_sig_fill(out, &slot, der, len, &err);
	fclose(out);
	free(der);
	if (rc != KYSO_OK)
		return fail(&err);
	print_rss();
	return 0;
}

static int cmd_changes(int argc, char **argv)
{
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(argv[2], opt(argc, argv, "-p"), 0, &err);
	if (!pdf)
		return fail(&err);
	kyso_pdf_change_t *ch = NULL;
	size_t n = 0;
	kyso_err_t rc = kyso_pdf_changes_after(pdf, strtoull(argv[3], NULL, 10), &ch, &n, &err);
	kyso_pdf_free(&pdf);
	if (rc != KYSO_OK)
		return fail(&err);
	for (size_t i = 0; i < n; i++)
		printf("change=%u %s%s\n", ch[i].num, kyso_pdf_change_kind_id(ch[i].kind),
		       ch[i].is_new ? " new" : "");
	free(ch);
	print_rss();
	return 0;
}

static void dump(const kyso_pdf_obj_t *o, int depth)
{
	switch (kyso_pdf_obj_type(o)) {
	case KYSO_PDF_NULL: printf("null"); break;
	case KYSO_PDF_BOOL: {
		bool b = false;
		kyso_pdf_obj_bool(o, &b);
		printf("%s", b ? "true" : "false");
		break;
	}
	case KYSO_PDF_INT:
	case KYSO_PDF_REAL: {
		double d = 0;
		kyso_pdf_obj_number(o, &d);
		printf("%g", d);
		break;
	}
	case KYSO_PDF_NAME: printf("/%s", kyso_pdf_obj_name(o)); break;
	case KYSO_PDF_STRING: {
		char *t = kyso_pdf_obj_text(o);
		printf("(%s)", t ? t : "");
		free(t);
		break;
	}
	case KYSO_PDF_ARRAY:
		printf("[");
		for (size_t i = 0; i < kyso_pdf_array_len(o); i++) {
			printf(i ? " " : "");
			dump(kyso_pdf_array_get(o, i), depth + 1);
		}
		printf("]");
		break;
	case KYSO_PDF_STREAM:
		printf("stream ");
		/* fall through */
	case KYSO_PDF_DICT:
		printf("<<");
		for (size_t i = 0; i < kyso_pdf_dict_len(o); i++) {
			printf(" /%s ", kyso_pdf_dict_key(o, i));
			dump(kyso_pdf_dict_value(o, i), depth + 1);
		}
		printf(" >>");
		break;
	case KYSO_PDF_REF: {
		uint32_t n = 0;
		uint16_t g = 0;
		kyso_pdf_obj_ref(o, &n, &g);
		printf("%u %u R", n, g);
		break;
	}
	}
}

static int cmd_dump(int argc, char **argv)
{
	kyso_error_t err;
	kyso_pdf_t *pdf = kyso_pdf_open(argv[2], opt(argc, argv, "-p"), 0, &err);
	if (!pdf)
		return fail(&err);
	kyso_pdf_obj_t *o = strcmp(argv[3], "trailer") == 0
	                            ? kyso_pdf_obj_copy(kyso_pdf_trailer(pdf))
	                            : kyso_pdf_load(pdf, (uint32_t)strtoul(argv[3], NULL, 10), &err);
	if (!o) {
		kyso_pdf_free(&pdf);
		return fail(&err);
	}
	dump(o, 0);
	printf("\n");
	if (kyso_pdf_obj_type(o) == KYSO_PDF_STREAM && flag(argc, argv, "--data")) {
		kyso_buf_t b;
		kyso_buf_init(&b);
		bool dec = false;
		if (kyso_pdf_stream_data(pdf, o, 64 << 20, &b, &dec, &err) == KYSO_OK)
			fwrite(b.data, 1, b.len, stdout);
		kyso_buf_free(&b);
	}
	kyso_pdf_obj_free(o);
	kyso_pdf_free(&pdf);
	return 0;
}

int main(int argc, char **argv)
{
	kyso_log_init();
	kyso_i18n_init("en");
	if (argc >= 3 && strcmp(argv[1], "info") == 0)
		return cmd_info(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "prepare") == 0)
		return cmd_prepare(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "fill") == 0)
		return cmd_fill(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "changes") == 0)
		return cmd_changes(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "dump") == 0)
		return cmd_dump(argc, argv);
	fprintf(stderr, "usage: kyso-pdf-tool info|prepare|fill|changes|dump ...\n");
	return 2;
}
