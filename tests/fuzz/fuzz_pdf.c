/* libFuzzer target: the PDF reader (xref tables/streams, object streams,
 * repair, decryption with the empty password, page tree, signatures,
 * revision changes), the signature update written on what it read, and the
 * whole of kyso_verify_pdf (offline: CMS, certificates, revisions, DSS, the
 * JSON report) on the same bytes. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kyso_signer.h"
#include "pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kyso_log_set_level(KYSO_LOG_ERROR);
	kyso_i18n_init("en");
	return 0;
}

static void exercise(kyso_pdf_t *pdf)
{
	kyso_error_t err;
	long pages = kyso_pdf_page_count(pdf, &err);
	kyso_pdf_obj_t *pg = kyso_pdf_page(pdf, pages > 0 ? pages - 1 : 0, NULL, &err);
	kyso_pdf_obj_free(pg);
	(void)kyso_pdf_docmdp(pdf, &err);
	kyso_pdf_sig_info_t *sigs = NULL;
	size_t n = 0;
	if (kyso_pdf_signatures(pdf, &sigs, &n, &err) == KYSO_OK)
		kyso_pdf_sig_info_free(sigs, n);
	const kyso_pdf_revision_t *revs;
	size_t nrev = 0;
	if (kyso_pdf_revisions(pdf, &revs, &nrev, &err) == KYSO_OK && nrev > 0) {
		kyso_pdf_change_t *ch = NULL;
		size_t nch = 0;
		if (kyso_pdf_changes_after(pdf, revs[0].eof_end, &ch, &nch, &err) == KYSO_OK)
			free(ch);
	}
	for (uint32_t num = 1; num < 64; num++) {
		kyso_pdf_obj_t *o = kyso_pdf_load(pdf, num, &err);
		if (kyso_pdf_obj_type(o) == KYSO_PDF_STREAM) {
			kyso_buf_t b;
			kyso_buf_init(&b);
			bool dec;
			kyso_pdf_stream_data(pdf, o, 1 << 20, &b, &dec, &err);
			kyso_buf_free(&b);
		}
		char *t = kyso_pdf_obj_text(kyso_pdf_dict_get(o, "Title"));
		free(t);
		kyso_pdf_obj_free(o);
	}
	FILE *out = tmpfile();
	if (out) {
		kyso_pdf_sig_params_t p = {.sub_filter = "ETSI.CAdES.detached",
		                           .contents_size = 64,
		                           .reason = "Ký số",
		                           .page = -1};
		uint8_t dg[EVP_MAX_MD_SIZE];
		unsigned dl;
		kyso_pdf_sig_slot_t slot;
		if (kyso_pdf_sig_prepare(pdf, &p, out, EVP_sha256(), dg, &dl, &slot, &err) ==
		    KYSO_OK) {
			static const uint8_t der[4] = {0x30, 0x02, 0x05, 0x00};
			kyso_pdf_sig_fill(out, &slot, der, sizeof(der), &err);
		}
		fclose(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.pdf", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		kyso_error_t err;
		kyso_pdf_t *pdf = kyso_pdf_open(path, "", 0, &err);
		if (pdf) {
			exercise(pdf);
			kyso_pdf_free(&pdf);
		}
		kyso_verify_opts_t vo = {.offline = true,
		                         .no_system_anchors = true,
		                         .at = 1764547200 /* 2025-12-01 */};
		json_t *report = NULL;
		bool valid = false;
		if (kyso_verify_pdf(path, &vo, &report, &valid, &err) == KYSO_OK && report == NULL)
			abort(); /* success always comes with a report */
		json_decref(report);
	}
	close(fd);
	return 0;
}
