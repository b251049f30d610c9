/* The shipped Vietnamese roots (data/roots): every root listed in roots.tsv
 * loads with its category, every shipped intermediate chains to a shipped
 * root (signature check, validity ignored; FPT TSA's critical AIA accepted),
 * a root whose fingerprint is not listed is refused, and a CA made like the
 * kyso agent's local CA is never an anchor. */
#include "kyso_trust.h"
#include "sign_int.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char roots[4096];

static X509 *load(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static kyso_trust_t *shipped(void)
{
	setenv("KYSO_ROOTS_DIR", roots, 1);
	setenv("KYSO_ROOTS_D", "/nonexistent/roots.d", 1);
	kyso_trust_opts_t o = {0};
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_trust_t *t = kyso_trust_new(&o, &e);
	assert_non_null(t);
	return t;
}

static void test_roots_categories(void **state)
{
	(void)state;
	kyso_trust_t *t = shipped();
	assert_int_equal(json_array_size(kyso_trust_sources(t)), 10);
	static const struct {
		const char *file, *cat;
	} want[] = {
	        {"vnrca256.pem", "neac"},
	        {"vnrca-g3.pem", "neac"},
	        {"vnrca-usbtoken.pem", "neac"},
	        {"vnrca-rs.pem", "neac"},
	        {"vnrca-mobilepki.pem", "neac"},
	        {"vnrca-ema.pem", "neac"},
	        {"vnrca-tsa.pem", "tsa"},
	        {"mic-national-root-ca.pem", "legacy-sha1"},
	        {"vgca-rootca-g1.pem", "government"},
	        {"vgca-rootca-g2.pem", "government"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", roots, want[i].file);
		X509 *x = load(p);
		kyso_trust_result_t r;
		kyso_trust_verify(t, x, NULL, 0, &r);
		assert_true(r.ok);
		assert_non_null(r.category);
		assert_string_equal(r.category, want[i].cat);
		kyso_trust_result_clear(&r);
		X509_free(x);
	}
	kyso_trust_free(&t);
}

static int check_dir(kyso_trust_t *t, const char *dir, const char *cat_prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pem") != 0)
			continue;
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		X509 *x = load(p);
		kyso_trust_result_t r;
		kyso_trust_verify(t, x, NULL, 0, &r);
		if (!r.ok)
			fail_msg("%s does not chain to a shipped root: %s", p,
			         X509_verify_cert_error_string(r.error));
		assert_int_equal(sk_X509_num(r.chain), 2); /* issued by the root itself */
		if (cat_prefix != NULL)
			assert_string_equal(r.category, cat_prefix);
		kyso_trust_result_clear(&r);
		X509_free(x);
		n++;
	}
	closedir(d);
	return n;
}

static void test_intermediates_chain(void **state)
{
	(void)state;
	kyso_trust_t *t = shipped();
	char d[4400];
	snprintf(d, sizeof(d), "%s/intermediates", roots);
	assert_int_equal(check_dir(t, d, NULL), 49);
	snprintf(d, sizeof(d), "%s/intermediates/government", roots);
	assert_int_equal(check_dir(t, d, "government"), 7);
	snprintf(d, sizeof(d), "%s/intermediates/legacy-mic", roots);
	assert_int_equal(check_dir(t, d, "legacy-sha1"), 8);
	kyso_trust_free(&t);
}

/* A leaf with only the signer's certificate in the PDF: the shipped
 * intermediate completes the chain (here: an intermediate as "leaf" of a
 * chain of three is not available, so the FPT TSA quirk is checked apart). */
static void test_fpt_critical_aia(void **state)
{
	(void)state;
	char p[4400];
	snprintf(p, sizeof(p), "%s/intermediates/fpt-certification-authority-timestamping.pem",
	         roots);
	X509 *x = load(p);
	int i = X509_get_ext_by_NID(x, NID_info_access, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 1);
	/* plain OpenSSL refuses it */
	X509_STORE *st = X509_STORE_new();
	snprintf(p, sizeof(p), "%s/vnrca256.pem", roots);
	X509 *root = load(p);
	X509_STORE_add_cert(st, root);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, st, x, NULL);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	assert_int_not_equal(X509_verify_cert(ctx), 1);
	assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	/* kyso accepts it as a shipped helper */
	kyso_trust_t *t = shipped();
	kyso_trust_result_t r;
	kyso_trust_verify(t, x, NULL, 0, &r);
	assert_true(r.ok);
	kyso_trust_result_clear(&r);
	kyso_trust_free(&t);
	X509_free(root);
	X509_free(x);
}

static X509 *mk_ca(EVP_PKEY *k, const char *o, const char *cn, const char *eku)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509V3_CTX c;
	X509V3_set_ctx_nodb(&c);
	X509V3_set_ctx(&c, x, x, NULL, NULL, 0);
	X509_EXTENSION *ex =
	        X509V3_EXT_conf_nid(NULL, &c, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ex, -1);
	X509_EXTENSION_free(ex);
	if (eku != NULL) {
		ex = X509V3_EXT_conf_nid(NULL, &c, NID_ext_key_usage, eku);
		X509_add_ext(x, ex, -1);
		X509_EXTENSION_free(ex);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void test_agent_ca_never_anchor(void **state)
{
	(void)state;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *named = mk_ca(k, "kyso", "kyso local CA - host", NULL);
	X509 *tls = mk_ca(k, "Other", "Some TLS CA", "serverAuth");
	X509 *doc = mk_ca(k, "Other", "Document CA", "emailProtection,serverAuth");
	assert_true(kyso_trust_is_agent_ca(named));
	assert_true(kyso_trust_is_agent_ca(tls));
	assert_false(kyso_trust_is_agent_ca(doc));
	X509_free(named);
	X509_free(tls);
	X509_free(doc);
	EVP_PKEY_free(k);
}

int main(void)
{
	const char *src = getenv("KYSO_SRC");
	snprintf(roots, sizeof(roots), "%s/data/roots", src != NULL ? src : KYSO_SOURCE_DIR);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roots_categories),
	        cmocka_unit_test(test_intermediates_chain),
	        cmocka_unit_test(test_fpt_critical_aia),
	        cmocka_unit_test(test_agent_ca_never_anchor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
