/* libFuzzer target: the RFC 3161 reply checks (DER TimeStampResp parsing,
 * status, nonce, imprint, the token's CMS signature and TSA certificate). */
#include "tsa_int.h"

#include <openssl/evp.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t digest[32];
	kyso_buf_t tok;
	kyso_buf_init(&tok);
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_tsa_check_reply(data, size, EVP_sha256(), digest, sizeof(digest), 1, &tok, &err) ==
	            KYSO_OK &&
	    tok.len == 0)
		__builtin_trap(); /* accepted without a token */
	kyso_buf_free(&tok);
	return 0;
}
