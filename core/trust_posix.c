/* Trust store on Linux (Debian's ca-certificates): the CA as
 * <dir>/<name>.crt in PEM, dir = $KYSO_CA_DIR or
 * /usr/local/share/ca-certificates; update-ca-certificates runs only for the
 * system directory. The user scope has no system-wide equivalent and uses
 * the same directory. */
#include "kyso_platform.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYSTEM_CA_DIR "/usr/local/share/ca-certificates"

static const char *ca_dir(bool *system)
{
	const char *env = getenv("KYSO_CA_DIR");
	*system = env == NULL || *env == '\0';
	return *system ? SYSTEM_CA_DIR : env;
}

static bool safe_name(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return *name != '.';
}

static X509 *parse_cert(const uint8_t *cert, size_t len)
{
	if (len > 10 && memcmp(cert, "-----BEGIN", 10) == 0) {
		BIO *b = BIO_new_mem_buf(cert, (int)len);
		X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		return x;
	}
	const unsigned char *p = cert;
	return d2i_X509(NULL, &p, (long)len);
}

static kyso_err_t update_store(kyso_error_t *err)
{
	const char *argv[] = {"update-ca-certificates", NULL};
	int status = -1;
	kyso_err_t rc = kyso_spawn(argv, NULL, 0, 120000, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("update-ca-certificates failed (exit status %d)"), status);
	return rc;
}

kyso_err_t kyso_trust_add_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                             size_t len, kyso_error_t *err)
{
	(void)scope;
	if (!safe_name(name))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("Invalid certificate name: %s"),
		                      name != NULL ? name : "(null)");
	X509 *x = parse_cert(cert, len);
	if (x == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not an X.509 certificate"));
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long pem_len = 0;
	if (mem != NULL && PEM_write_bio_X509(mem, x) == 1)
		pem_len = BIO_get_mem_data(mem, &pem);
	X509_free(x);
	if (pem_len <= 0) {
		BIO_free(mem);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	bool system;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.crt", ca_dir(&system), name);
	kyso_err_t rc = kyso_file_write_atomic(path, pem, (size_t)pem_len, 0644, err);
	BIO_free(mem);
	if (rc == KYSO_OK && system)
		rc = update_store(err);
	return rc;
}

kyso_err_t kyso_trust_remove_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                                size_t len, kyso_error_t *err)
{
	(void)scope;
	(void)cert;
	(void)len;
	if (!safe_name(name))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("Invalid certificate name: %s"),
		                      name != NULL ? name : "(null)");
	bool system;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.crt", ca_dir(&system), name);
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return KYSO_OK;
		return kyso_error_set(err, KYSO_ERR_IO, "%s: %s", path, strerror(errno));
	}
	return system ? update_store(err) : KYSO_OK;
}

bool kyso_trust_has_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert, size_t len)
{
	(void)scope;
	if (!safe_name(name))
		return false;
	bool system;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.crt", ca_dir(&system), name);
	kyso_error_t err;
	uint8_t *data = NULL;
	size_t dlen = 0;
	if (kyso_file_read_all(path, 1u << 20, &data, &dlen, &err) != KYSO_OK)
		return false;
	X509 *have = parse_cert(data, dlen);
	X509 *want = parse_cert(cert, len);
	bool same = have != NULL && want != NULL && X509_cmp(have, want) == 0;
	X509_free(have);
	X509_free(want);
	free(data);
	return same;
}

kyso_err_t kyso_trust_load_roots(X509_STORE *store, int *count, kyso_error_t *err)
{
	const char *dir = getenv(X509_get_default_cert_dir_env());
	if (dir == NULL || *dir == '\0')
		dir = X509_get_default_cert_dir();
	*count = -1;
	if (X509_STORE_load_path(store, dir) != 1) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("The system trust store %s cannot be read"), dir);
	}
	return KYSO_OK;
}
