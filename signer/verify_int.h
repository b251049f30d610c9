/* Internal API of signature verification (verify_*.c). */
#ifndef KYSO_SIGNER_VERIFY_INT_H
#define KYSO_SIGNER_VERIFY_INT_H

#include "sign_int.h"
#include "pdf.h"

#include <openssl/cms.h>
#include <openssl/x509.h>

/* Trust anchors: the given files, plus the installed ones unless told not to. */
kyso_err_t kyso_verify_store(const kyso_verify_opts_t *o, X509_STORE **out, kyso_error_t *err);

/* "D:YYYYMMDDHHmmSSOHH'mm'" -> time_t (UTC). false when unparsable. */
bool kyso_pdf_date_parse(const char *s, time_t *out);
/* ISO 8601 UTC "2026-11-25T12:00:00Z". */
void kyso_time_iso(time_t t, char *buf, size_t cap);
bool kyso_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out);

/* Result of checking one RFC 3161 time-stamp token. */
typedef struct {
	bool present;
	bool valid;
	time_t time;
	char tsa[256];
	char error[256];
} kyso_tst_check_t;

/* Checks a DER time-stamp token (ContentInfo SignedData with TSTInfo) whose
 * imprint must be the md-hash of data (or equal digest when data is NULL). */
void kyso_tst_check(const uint8_t *der, size_t der_len, const uint8_t *data, size_t data_len,
                    const uint8_t *digest, size_t digest_len, X509_STORE *store,
                    kyso_tst_check_t *out);

/* Sets o["ltv"]: null without a /DSS, else {"certs", "crls", "ocsps",
 * "vri_entries", "vri" (this signature has a /VRI entry), "signer_revocation":
 * "ocsp"|"crl"|"revoked"|"none" (what the DSS says about the signer)}. */
void kyso_verify_ltv(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509 *signer,
                     STACK_OF(X509) * certs, json_t *o);

/* Checks one signature of pdf; returns its JSON object, *valid tells. */
json_t *kyso_verify_one(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *info, X509_STORE *store,
                        bool *valid);

#endif
