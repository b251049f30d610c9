/* The agent's TLS material: a per-machine local CA (P-256, name-constrained
 * to localhost / 127.0.0.1 / ::1, EKU serverAuth) and a server certificate
 * for those names. The CA's key exists only in memory: made, used once for
 * the leaf, freed (OpenSSL clears it), never written, so nobody can mint
 * another certificate under the CA later. Only ca.pem, cert.pem and the
 * leaf's key.pem are kept. A new leaf therefore means a new CA: made when
 * the leaf is about to expire or an old install's ca-key.pem is found (then
 * removed); `kyso setup --repair` trusts the new CA in place of the old. */
#include "agent.h"
#include "kyso_platform.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_DAYS    3650
#define LEAF_DAYS  397
#define RENEW_DAYS 30

static kyso_err_t ossl_fail(kyso_error_t *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return kyso_error_set(err, KYSO_ERR_INTERNAL, _("TLS certificate: %s failed: %s"), what,
	                      buf);
}

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ex == NULL)
		return false;
	int ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok == 1;
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int days)
{
	X509 *x = X509_new();
	if (x == NULL)
		return NULL;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	bool ok = X509_set_version(x, 2) == 1 && RAND_bytes(serial, sizeof(serial)) == 1;
	if (ok) {
		serial[0] &= 0x7f;
		bn = BN_bin2bn(serial, sizeof(serial), NULL);
		ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	}
	BN_free(bn);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) != NULL &&
	     X509_set_pubkey(x, key) == 1;
	X509_NAME *name = X509_get_subject_name(x);
	char host[256];
	kyso_host_name(host, sizeof(host));
	char full[512];
	snprintf(full, sizeof(full), "%s%s%s", cn, *host ? " - " : "", host);
	ok = ok &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"kyso", -1,
	                                -1, 0) == 1 &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)full, -1,
	                                -1, 0) == 1;
	ok = ok &&
	     X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1;
	X509 *iss = issuer != NULL ? issuer : x;
	if (issuer == NULL) {
		ok = ok && add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
		     add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, iss, NID_ext_key_usage, "serverAuth") &&
		     add_ext(x, iss, NID_subject_key_identifier, "hash") &&
		     add_ext(x, iss, NID_name_constraints,
		             "critical,permitted;DNS:localhost,permitted;IP:127.0.0.1/"
		             "255.255.255.255,"
		             "permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	} else {
		ok = ok && add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") &&
		     add_ext(x, iss, NID_key_usage, "critical,digitalSignature") &&
		     add_ext(x, iss, NID_ext_key_usage, "serverAuth") &&
		     add_ext(x, iss, NID_subject_key_identifier, "hash") &&
		     add_ext(x, iss, NID_authority_key_identifier, "keyid") &&
		     add_ext(x, iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
	}
	ok = ok && X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static kyso_err_t write_pem(const char *path, X509 *cert, EVP_PKEY *key, kyso_error_t *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	int ok = cert != NULL ? PEM_write_bio_X509(b, cert)
	                      : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	kyso_err_t rc = ok == 1 && n > 0 ? kyso_file_write_atomic(path, data, (size_t)n,
	                                                          cert != NULL ? 0644 : 0600, err)
	                                 : ossl_fail(err, "PEM");
	BIO_free(b);
	return rc;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static bool valid_for(X509 *x, int days)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	return X509_cmp_time(X509_get0_notAfter(x), &t) > 0;
}

static void path_in(char *buf, size_t cap, const char *dir, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static kyso_err_t write_chain(const char *path, X509 *leaf, X509 *ca, kyso_error_t *err)
{
	/* the chain the browser gets: leaf + CA */
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;
	if (b != NULL && PEM_write_bio_X509(b, leaf) == 1 && PEM_write_bio_X509(b, ca) == 1)
		n = BIO_get_mem_data(b, &data);
	kyso_err_t rc = n > 0 ? kyso_file_write_atomic(path, data, (size_t)n, 0644, err)
	                      : ossl_fail(err, "PEM");
	BIO_free(b);
	return rc;
}

/* A new CA and leaf; the CA key never leaves this function. */
static kyso_err_t new_ca_and_leaf(const char *ca_p, const char *leaf_p, const char *leafk_p,
                                  kyso_error_t *err)
{
	EVP_PKEY *cak = new_key();
	X509 *ca = cak != NULL ? new_cert(cak, "kyso local CA", NULL, NULL, CA_DAYS) : NULL;
	EVP_PKEY *lk = ca != NULL ? new_key() : NULL;
	X509 *leaf = lk != NULL ? new_cert(lk, "localhost", ca, cak, LEAF_DAYS) : NULL;
	EVP_PKEY_free(cak); /* used once: gone */
	kyso_err_t rc = leaf != NULL ? KYSO_OK : ossl_fail(err, "CA");
	if (rc == KYSO_OK)
		rc = write_pem(leafk_p, NULL, lk, err);
	if (rc == KYSO_OK)
		rc = write_chain(leaf_p, leaf, ca, err);
	if (rc == KYSO_OK)
		rc = write_pem(ca_p, ca, NULL, err);
	if (rc == KYSO_OK)
		kyso_info("agent: new local CA %s (its key was not kept)", ca_p);
	X509_free(leaf);
	EVP_PKEY_free(lk);
	X509_free(ca);
	return rc;
}

static kyso_err_t tls_ensure(const char *dir, bool migrate, kyso_error_t *err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return kyso_error_set(err, KYSO_ERR_IO, _("cannot create %s: %s"), dir,
		                      strerror(errno));
	char ca_p[4096], cak_p[4096], leaf_p[4096], leafk_p[4096];
	path_in(ca_p, sizeof(ca_p), dir, "ca.pem");
	path_in(cak_p, sizeof(cak_p), dir, "ca-key.pem");
	path_in(leaf_p, sizeof(leaf_p), dir, "cert.pem");
	path_in(leafk_p, sizeof(leafk_p), dir, "key.pem");
	bool old_key = access(cak_p, F_OK) == 0;
	X509 *ca = read_cert(ca_p);
	X509 *leaf = read_cert(leaf_p);
	EVP_PKEY *lk = read_key(leafk_p);
	bool good = ca != NULL && leaf != NULL && lk != NULL && valid_for(leaf, RENEW_DAYS) &&
	            X509_check_private_key(leaf, lk) == 1 &&
	            X509_check_issued(ca, leaf) == X509_V_OK && !(migrate && old_key);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(lk);
	kyso_err_t rc = good ? KYSO_OK : new_ca_and_leaf(ca_p, leaf_p, leafk_p, err);
	/* an old install's CA key: whoever can read it could mint certificates */
	if (rc == KYSO_OK && old_key && !good && unlink(cak_p) != 0)
		kyso_warn("agent: cannot remove %s: %s", cak_p, strerror(errno));
	return rc;
}

kyso_err_t ag_tls_ensure(const char *dir, kyso_error_t *err)
{
	return tls_ensure(dir, false, err);
}

/* For kyso setup: an old install's ca-key.pem is migrated to a new CA here. */
kyso_err_t ag_tls_export_ca(const char *dir, const char *out, kyso_error_t *err)
{
	kyso_err_t rc = tls_ensure(dir, true, err);
	if (rc != KYSO_OK)
		return rc;
	char ca_p[4096];
	path_in(ca_p, sizeof(ca_p), dir, "ca.pem");
	uint8_t *data = NULL;
	size_t len = 0;
	rc = kyso_file_read_all(ca_p, 1 << 20, &data, &len, err);
	if (rc != KYSO_OK)
		return rc;
	if (strcmp(out, "-") == 0)
		rc = fwrite(data, 1, len, stdout) == len ? KYSO_OK
		                                         : kyso_error_set(err, KYSO_ERR_IO, NULL);
	else
		rc = kyso_file_write_atomic(out, data, len, 0644, err);
	free(data);
	return rc;
}
