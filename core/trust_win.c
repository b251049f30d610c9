/* Trust store on Windows: the agent's local CA as a trusted root in the
 * LocalMachine or CurrentUser ROOT store (CertAddEncodedCertificateToStore).
 * Adding to CurrentUser\ROOT makes Windows ask the user to confirm. */
#include "kyso_platform.h"
#include "win_int.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <wincrypt.h>

/* PEM or DER in, DER out (allocated). */
static kyso_err_t to_der(const uint8_t *cert, size_t len, uint8_t **der, size_t *der_len,
                         kyso_error_t *err)
{
	X509 *x = NULL;
	if (len > 10 && memcmp(cert, "-----BEGIN", 10) == 0) {
		BIO *b = BIO_new_mem_buf(cert, (int)len);
		if (b != NULL)
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		const unsigned char *p = cert;
		x = d2i_X509(NULL, &p, (long)len);
	}
	*der = NULL;
	*der_len = 0;
	if (x == NULL) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not an X.509 certificate"));
		return KYSO_ERR_BAD_INPUT;
	}
	unsigned char *out = NULL;
	int n = i2d_X509(x, &out);
	X509_free(x);
	if (n <= 0) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not an X.509 certificate"));
		return KYSO_ERR_BAD_INPUT;
	}
	*der = malloc((size_t)n);
	if (*der == NULL) {
		OPENSSL_free(out);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return KYSO_ERR_NOMEM;
	}
	memcpy(*der, out, (size_t)n);
	*der_len = (size_t)n;
	OPENSSL_free(out);
	return KYSO_OK;
}

/* Changes go to the registry-backed ROOT store itself: the system store is
 * a collection of physical stores, and deleting through the collection does
 * nothing on some implementations (wine). Lookups use the whole collection. */
static HCERTSTORE open_root(kyso_trust_scope_t scope, bool for_change)
{
	DWORD where = scope == KYSO_TRUST_MACHINE ? CERT_SYSTEM_STORE_LOCAL_MACHINE
	                                          : CERT_SYSTEM_STORE_CURRENT_USER;
	return CertOpenStore(for_change ? CERT_STORE_PROV_SYSTEM_REGISTRY_W
	                                : CERT_STORE_PROV_SYSTEM_W,
	                     0, 0, where, L"ROOT");
}

/* The store's copy of this certificate (free with CertFreeCertificateContext). */
static PCCERT_CONTEXT find_in(HCERTSTORE store, const uint8_t *der, size_t der_len)
{
	PCCERT_CONTEXT want = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)der_len);
	if (want == NULL)
		return NULL;
	PCCERT_CONTEXT found = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0,
	                                                  CERT_FIND_EXISTING, want, NULL);
	CertFreeCertificateContext(want);
	return found;
}

/* The store entry's purposes: Server Authentication only (the local CA
 * exists for the agent's localhost certificate, nothing else). */
static bool limit_to_server_auth(PCCERT_CONTEXT c)
{
	LPSTR oids[] = {(LPSTR)szOID_PKIX_KP_SERVER_AUTH};
	CERT_ENHKEY_USAGE usage = {1, oids};
	BYTE buf[64];
	DWORD n = sizeof(buf);
	if (!CryptEncodeObject(X509_ASN_ENCODING, X509_ENHANCED_KEY_USAGE, &usage, buf, &n))
		return false;
	CRYPT_DATA_BLOB blob = {n, buf};
	return CertSetCertificateContextProperty(c, CERT_ENHKEY_USAGE_PROP_ID, 0, &blob) != 0;
}

/* The certificate as DER and the root store of the scope, opened for writing. */
static kyso_err_t open_for_cert(kyso_trust_scope_t scope, const uint8_t *cert, size_t len,
                                uint8_t **der, size_t *der_len, HCERTSTORE *store,
                                kyso_error_t *err)
{
	kyso_err_t rc = to_der(cert, len, der, der_len, err);
	if (rc != KYSO_OK)
		return rc;
	*store = open_root(scope, true);
	if (*store == NULL) {
		free(*der);
		*der = NULL;
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot open the trusted root store: %s"),
		                      kyso_win_strerror(GetLastError()));
	}
	return KYSO_OK;
}

kyso_err_t kyso_trust_add_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                             size_t len, kyso_error_t *err)
{
	(void)name;
	uint8_t *der = NULL;
	size_t der_len = 0;
	HCERTSTORE store = NULL;
	kyso_err_t rc = open_for_cert(scope, cert, len, &der, &der_len, &store, err);
	if (rc != KYSO_OK)
		return rc;
	PCCERT_CONTEXT added = NULL;
	BOOL ok = CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, (DWORD)der_len,
	                                           CERT_STORE_ADD_REPLACE_EXISTING, &added);
	DWORD e = GetLastError();
	if (ok && !limit_to_server_auth(added)) {
		e = GetLastError();
		CertDeleteCertificateFromStore(added); /* frees the context */
		added = NULL;
		ok = FALSE;
	}
	if (added != NULL)
		CertFreeCertificateContext(added);
	CertCloseStore(store, 0);
	free(der);
	if (!ok)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot add the certificate to the trusted root store: %s"),
		                      kyso_win_strerror(e));
	return KYSO_OK;
}

kyso_err_t kyso_trust_remove_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                                size_t len, kyso_error_t *err)
{
	(void)name;
	uint8_t *der = NULL;
	size_t der_len = 0;
	HCERTSTORE store = NULL;
	kyso_err_t rc = open_for_cert(scope, cert, len, &der, &der_len, &store, err);
	if (rc != KYSO_OK)
		return rc;
	/* every copy (a system store may hold it more than once) */
	BOOL ok = TRUE;
	DWORD e = 0;
	PCCERT_CONTEXT found;
	for (int i = 0; ok && i < 16 && (found = find_in(store, der, der_len)) != NULL; i++) {
		ok = CertDeleteCertificateFromStore(found); /* frees found */
		e = GetLastError();
	}
	free(der);
	CertCloseStore(store, 0);
	if (!ok)
		return kyso_error_set(
		        err, KYSO_ERR_IO,
		        _("Cannot remove the certificate from the trusted root store: %s"),
		        kyso_win_strerror(e));
	return KYSO_OK;
}

bool kyso_trust_has_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert, size_t len)
{
	(void)name;
	kyso_error_t err;
	uint8_t *der = NULL;
	size_t der_len = 0;
	if (to_der(cert, len, &der, &der_len, &err) != KYSO_OK)
		return false;
	HCERTSTORE store = open_root(scope, false);
	PCCERT_CONTEXT found = store != NULL ? find_in(store, der, der_len) : NULL;
	free(der);
	bool have = found != NULL;
	if (found != NULL)
		CertFreeCertificateContext(found);
	if (store != NULL)
		CertCloseStore(store, 0);
	return have;
}

kyso_err_t kyso_trust_load_roots(X509_STORE *store, int *count, kyso_error_t *err)
{
	static const DWORD where[] = {CERT_SYSTEM_STORE_CURRENT_USER,
	                              CERT_SYSTEM_STORE_LOCAL_MACHINE};
	int n = 0;
	bool opened = false;
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		HCERTSTORE s = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
		                             where[i] | CERT_STORE_READONLY_FLAG, L"ROOT");
		if (s == NULL)
			continue;
		opened = true;
		PCCERT_CONTEXT cc = NULL;
		while ((cc = CertEnumCertificatesInStore(s, cc)) != NULL) {
			const unsigned char *p = cc->pbCertEncoded;
			X509 *x = d2i_X509(NULL, &p, (long)cc->cbCertEncoded);
			/* a duplicate (in both stores) is not an error */
			if (x != NULL && X509_STORE_add_cert(store, x) == 1)
				n++;
			X509_free(x);
		}
		CertCloseStore(s, 0);
	}
	ERR_clear_error();
	*count = n;
	if (!opened)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("The Windows ROOT certificate store cannot be opened"));
	return KYSO_OK;
}
