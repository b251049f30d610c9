/* kyso-test-cms: signs a file's bytes as detached CMS with a PKCS#11 token,
 * through the signer's own p11/PIN/CMS layers (no PDF involved), so the
 * tests can check those layers with `openssl cms -verify` on their own.
 *   kyso-test-cms MODULE TOKEN PIN_ENV HASH IN OUT.der [size]
 * "size" prints the estimated DER size instead of signing. */
#include "sign_int.h"

#include <stdlib.h>
#include <string.h>

static kyso_err_t token_sign(void *ctx, const EVP_MD *md, const uint8_t *d, size_t dl, uint8_t *sig,
                             size_t *sl, kyso_error_t *err)
{
	return kyso_p11_sign_digest(ctx, md, d, dl, sig, sl, err);
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr,
		        "usage: kyso-test-cms MODULE TOKEN PIN_ENV HASH IN OUT.der [size]\n");
		return 2;
	}
	kyso_i18n_init("en");
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_token_sel_t sel = {.module = argv[1], .token = argv[2]};
	kyso_sign_opts_t o;
	kyso_sign_opts_init(&o);
	o.pin_env = argv[3];
	if (!kyso_digest_parse(argv[4], &o.digest))
		return 2;
	const EVP_MD *md = kyso_digest_md(o.digest);
	kyso_p11_t *p = NULL;
	STACK_OF(X509) *chain = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_buf_t der;
	kyso_buf_init(&der);
	kyso_err_t rc = kyso_p11_open(&sel, &p, &err);
	if (rc == KYSO_OK)
		rc = kyso_cms_chain(kyso_p11_cert(p), kyso_p11_other_certs(p), &chain, &err);
	kyso_cms_signer_t cs = {0};
	if (rc == KYSO_OK) {
		cs = (kyso_cms_signer_t){.cert = kyso_p11_cert(p),
		                         .chain = chain,
		                         .md = md,
		                         .sig_max_len = kyso_p11_sig_max_len(p),
		                         .sign = token_sign,
		                         .sign_ctx = p};
	}
	size_t est = 0;
	if (rc == KYSO_OK)
		rc = kyso_cms_size(&cs, &est, &err);
	if (rc == KYSO_OK && argc > 7 && strcmp(argv[7], "size") == 0) {
		printf("%zu\n", est);
		goto out;
	}
	if (rc == KYSO_OK) {
		kyso_pin_request_t req = {.token_label = argv[2]};
		char pin[64];
		rc = kyso_pin_get(&o, &req, pin, sizeof(pin), &err);
		if (rc == KYSO_OK)
			rc = kyso_p11_login(p, pin, &err);
		kyso_memzero(pin, sizeof(pin));
	}
	if (rc == KYSO_OK)
		rc = kyso_file_read_all(argv[5], 1u << 30, &data, &len, &err);
	if (rc == KYSO_OK) {
		uint8_t h[EVP_MAX_MD_SIZE];
		unsigned hl = 0;
		EVP_Digest(data, len, h, &hl, md, NULL);
		rc = kyso_cms_build(&cs, h, hl, &der, &err);
	}
	if (rc == KYSO_OK && der.len > est) {
		fprintf(stderr, "CMS %zu > estimate %zu\n", der.len, est);
		rc = KYSO_ERR_INTERNAL;
	}
	if (rc == KYSO_OK)
		rc = kyso_file_write_atomic(argv[6], der.data, der.len, 0644, &err);
out:
	if (rc != KYSO_OK)
		fprintf(stderr, "kyso-test-cms: %s (%s)\n", kyso_error_message(&err),
		        kyso_err_id(rc));
	free(data);
	kyso_buf_free(&der);
	sk_X509_pop_free(chain, X509_free);
	kyso_p11_free(&p);
	return rc == KYSO_OK ? 0 : (int)kyso_err_exit(rc);
}
