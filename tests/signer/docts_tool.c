/* kyso-test-docts IN OUT 'SHELL COMMAND': adds a document time stamp
 * (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161) to IN through the PDF
 * writer; the command gets the ByteRange digest (SHA-256, hex) in
 * $KYSO_DIGEST_HEX and must write the DER time-stamp token to $KYSO_TOKEN_OUT.
 * Lets the tests check `kyso verify` on time stamps from the harness TSA. */
#include "pdf.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: kyso-test-docts IN OUT 'COMMAND'\n");
		return 2;
	}
	kyso_i18n_init("en");
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_pdf_t *pdf = kyso_pdf_open(argv[1], NULL, 0, &err);
	kyso_atomic_file_t *af = pdf != NULL ? kyso_atomic_file_new(argv[2], 0644, &err) : NULL;
	if (af == NULL) {
		fprintf(stderr, "kyso-test-docts: %s\n", kyso_error_message(&err));
		kyso_pdf_free(&pdf);
		return 1;
	}
	kyso_pdf_sig_params_t params = {
	        .sub_filter = "ETSI.RFC3161",
	        .doc_timestamp = true,
	        .contents_size = 8192,
	        .page = -1,
	};
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_pdf_sig_slot_t slot;
	uint8_t *tok = NULL;
	size_t tl = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], tokpath[4200];
	kyso_err_t rc = kyso_pdf_sig_prepare(pdf, &params, kyso_atomic_file_stream(af),
	                                     EVP_sha256(), d, &dl, &slot, &err);
	if (rc == KYSO_OK) {
		kyso_hex_encode(d, dl, hex);
		snprintf(tokpath, sizeof(tokpath), "%s.token", argv[2]);
		setenv("KYSO_DIGEST_HEX", hex, 1);
		setenv("KYSO_TOKEN_OUT", tokpath, 1);
		if (system(argv[3]) != 0)
			rc = kyso_error_set(&err, KYSO_ERR_CHILD_PROCESS, "command failed");
	}
	if (rc == KYSO_OK)
		rc = kyso_file_read_all(tokpath, 1 << 20, &tok, &tl, &err);
	if (rc == KYSO_OK)
		rc = kyso_pdf_sig_fill(kyso_atomic_file_stream(af), &slot, tok, tl, &err);
	kyso_pdf_free(&pdf);
	if (rc == KYSO_OK)
		rc = kyso_atomic_file_commit(&af, &err);
	else
		kyso_atomic_file_abort(&af);
	free(tok);
	if (rc != KYSO_OK)
		fprintf(stderr, "kyso-test-docts: %s\n", kyso_error_message(&err));
	return rc == KYSO_OK ? 0 : 1;
}
