/* Unit tests of the CMS builder and small helpers of the signer, with
 * software keys (no token): attributes, DER order, size estimate, dates. */
#include "sign_int.h"
#include "verify_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/x509v3.h>
#include <string.h>

struct soft {
	EVP_PKEY *key;
	X509 *cert;
};

static kyso_err_t soft_sign(void *ctx, const EVP_MD *md, const uint8_t *d, size_t dl, uint8_t *sig,
                            size_t *sl, kyso_error_t *err)
{
	struct soft *s = ctx;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(s->key, NULL);
	int ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	         EVP_PKEY_CTX_set_signature_md(c, md) == 1 && EVP_PKEY_sign(c, sig, sl, d, dl) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? KYSO_OK : kyso_error_set(err, KYSO_ERR_TOKEN, "soft sign");
}

static void soft_make(struct soft *s, const char *alg, const char *param)
{
	s->key = EVP_PKEY_Q_keygen(NULL, NULL, alg, param);
	if (s->key == NULL) /* RSA takes a size_t */
		s->key = EVP_PKEY_Q_keygen(NULL, NULL, alg, (size_t)2048);
	assert_non_null(s->key);
	s->cert = X509_new();
	X509_set_version(s->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(s->cert), 7);
	X509_NAME *n = X509_get_subject_name(s->cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Nguyễn Văn An",
	                           -1, -1, 0);
	X509_set_issuer_name(s->cert, n);
	X509_gmtime_adj(X509_getm_notBefore(s->cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(s->cert), 3600);
	X509_set_pubkey(s->cert, s->key);
	assert_true(X509_sign(s->cert, s->key, EVP_sha256()) > 0);
}

static void soft_free(struct soft *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
}

static void check_cms(const char *alg, const char *param, const EVP_MD *md, bool exact)
{
	struct soft s;
	soft_make(&s, alg, param);
	kyso_cms_signer_t cs = {.cert = s.cert,
	                        .md = md,
	                        .sig_max_len = (size_t)EVP_PKEY_get_size(s.key),
	                        .sign = soft_sign,
	                        .sign_ctx = &s};
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	EVP_Digest("content", 7, digest, &dl, md, NULL);
	kyso_error_t err;
	kyso_error_clear(&err);
	size_t est = 0;
	assert_int_equal(kyso_cms_size(&cs, &est, &err), KYSO_OK);
	kyso_buf_t der;
	kyso_buf_init(&der);
	assert_int_equal(kyso_cms_build(&cs, digest, dl, &der, &err), KYSO_OK);
	assert_true(der.len <= est);
	if (exact)
		assert_int_equal(der.len, est);

	/* decode, verify against the content with OpenSSL's own code */
	const unsigned char *p = der.data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	assert_non_null(cms);
	assert_true(CMS_is_detached(cms));
	BIO *content = BIO_new_mem_buf("content", 7);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_add_cert(st, s.cert);
	assert_int_equal(CMS_verify(cms, NULL, st, content, NULL, CMS_BINARY), 1);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) < 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	X509_ALGOR *dig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	assert_int_equal(OBJ_obj2nid(dig->algorithm), EVP_MD_get_type(md));
	/* a different content must not verify */
	BIO *other = BIO_new_mem_buf("Content", 7);
	assert_int_not_equal(CMS_verify(cms, NULL, st, other, NULL, CMS_BINARY), 1);
	BIO_free(other);
	BIO_free(content);
	X509_STORE_free(st);
	CMS_ContentInfo_free(cms);
	kyso_buf_free(&der);
	soft_free(&s);
}

static void test_cms_rsa(void **state)
{
	(void)state;
	check_cms("RSA", NULL, EVP_sha256(), true);
	check_cms("RSA", NULL, EVP_sha512(), true);
}

static void test_cms_ec(void **state)
{
	(void)state;
	check_cms("EC", "P-256", EVP_sha256(), false);
	check_cms("EC", "P-384", EVP_sha384(), false);
}

/* the signer's failure comes back unchanged and nothing is produced */
static kyso_err_t failing_sign(void *ctx, const EVP_MD *md, const uint8_t *d, size_t dl,
                               uint8_t *sig, size_t *sl, kyso_error_t *err)
{
	(void)ctx, (void)md, (void)d, (void)dl, (void)sig, (void)sl;
	return kyso_error_set(err, KYSO_ERR_TOKEN_REMOVED, "removed");
}

static void test_cms_sign_error(void **state)
{
	(void)state;
	struct soft s;
	soft_make(&s, "EC", "P-256");
	kyso_cms_signer_t cs = {
	        .cert = s.cert, .md = EVP_sha256(), .sig_max_len = 72, .sign = failing_sign};
	uint8_t d[32] = {0};
	kyso_buf_t der;
	kyso_buf_init(&der);
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_cms_build(&cs, d, 32, &der, &err), KYSO_ERR_TOKEN_REMOVED);
	assert_int_equal(der.len, 0);
	kyso_buf_free(&der);
	soft_free(&s);
}

static void test_pdf_date(void **state)
{
	(void)state;
	time_t t;
	assert_true(kyso_pdf_date_parse("D:20261125120000Z", &t));
	assert_int_equal(t, 1795608000);
	assert_true(kyso_pdf_date_parse("D:20261125190000+07'00'", &t));
	assert_int_equal(t, 1795608000);
	assert_true(kyso_pdf_date_parse("D:20261125", &t));
	assert_false(kyso_pdf_date_parse("D:20261325120000Z", &t));
	assert_false(kyso_pdf_date_parse("yesterday", &t));
	char iso[32];
	kyso_time_iso(1795608000, iso, sizeof(iso));
	assert_string_equal(iso, "2026-11-25T12:00:00Z");
}

static void test_digest_names(void **state)
{
	(void)state;
	kyso_digest_t d;
	assert_true(kyso_digest_parse("SHA-384", &d));
	assert_int_equal(d, KYSO_DIGEST_SHA384);
	assert_true(kyso_digest_parse("sha512", &d));
	assert_string_equal(kyso_digest_name(d), "sha512");
	assert_false(kyso_digest_parse("sha1", &d));
	assert_false(kyso_digest_parse("md5", &d));
}

static void test_pin_text(void **state)
{
	(void)state;
	kyso_i18n_init("en");
	kyso_pin_request_t r = {"kyso-rsa", "CN=An", KYSO_PIN_TRIES_FINAL, NULL};
	char buf[512];
	kyso_pin_describe(&r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "kyso-rsa"));
	assert_non_null(strstr(buf, "CN=An"));
	assert_non_null(strstr(buf, "one PIN try"));
	r.tries = KYSO_PIN_TRIES_OK;
	kyso_pin_describe(&r, buf, sizeof(buf));
	assert_null(strstr(buf, "try"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cms_rsa),        cmocka_unit_test(test_cms_ec),
	        cmocka_unit_test(test_cms_sign_error), cmocka_unit_test(test_pdf_date),
	        cmocka_unit_test(test_digest_names),   cmocka_unit_test(test_pin_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
