/* Internal API of signature verification (verify_*.c). */
#ifndef KYSO_SIGNER_VERIFY_INT_H
#define KYSO_SIGNER_VERIFY_INT_H

#include "sign_int.h"
#include "pdf.h"

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "kyso_trust.h"

/* The document trust anchors for o. */
kyso_trust_t *kyso_verify_trust(const kyso_verify_opts_t *o, kyso_error_t *err);

/* What verification of one file uses. */
typedef struct {
	kyso_trust_t *trust;
	bool offline;   /* no OCSP/CRL requests */
	long timeout_s; /* per request */
	time_t now;
	time_t poe;        /* earliest trusted time stamp over this signature (0: none) */
	bool later_all_ts; /* every later signature is a document time stamp */
	bool images;       /* add each visible signature's image ("image": data: URI) */
	time_t made;       /* out: the trusted time this signature's time stamp proves (0) */
} kyso_vctx_t;

/* "D:YYYYMMDDHHmmSSOHH'mm'" -> time_t (UTC). false when unparsable. */
bool kyso_pdf_date_parse(const char *s, time_t *out);
/* ISO 8601 UTC "2026-11-25T12:00:00Z". */
void kyso_time_iso(time_t t, char *buf, size_t cap);
bool kyso_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out);

/* Result of checking one RFC 3161 time-stamp token. */
typedef struct {
	bool present;
	bool valid;      /* imprint, signature and TSA chain all good */
	bool imprint_ok; /* it is for this data */
	bool sig_ok;     /* its signature verifies with the TSA certificate */
	bool trusted;    /* the TSA certificate chains to a document trust anchor */
	time_t time;
	time_t tsa_not_after;
	char tsa[256];
	char error[256];
	const char *category;
} kyso_tst_check_t;

/* Checks a DER time-stamp token (ContentInfo SignedData with TSTInfo) whose
 * imprint must be the md-hash of data (or equal digest when data is NULL);
 * the TSA chain at poe (0: at the token's time). */
void kyso_tst_check(const uint8_t *der, size_t der_len, const uint8_t *data, size_t data_len,
                    const uint8_t *digest, size_t digest_len, kyso_trust_t *trust, time_t poe,
                    kyso_tst_check_t *out);

/* Revocation status of x from OCSP responses / CRLs issued for it. */
typedef enum { KYSO_REV_UNKNOWN, KYSO_REV_GOOD, KYSO_REV_REVOKED } kyso_rev_t;
typedef struct {
	kyso_rev_t status;
	const char *source; /* "ocsp", "crl" */
	const char *where;  /* "dss", "cms", "online" */
	time_t revoked_at;
	time_t produced;
} kyso_rev_status_t;
bool kyso_rev_status(X509 *x, X509 *issuer, STACK_OF(X509) * pool, const kyso_pdf_blob_t *crls,
                     size_t ncrls, const kyso_pdf_blob_t *ocsps, size_t nocsps,
                     kyso_rev_status_t *out);
/* Revocation data carried by the CMS itself: the adbe-revocationInfoArchival
 * signed attribute and SignedData.crls (CRLs, OCSP responses as
 * OtherRevocationInfoFormat id-ri-ocsp-response). Blobs point into der. */
typedef struct {
	kyso_pdf_blob_t *crls;
	size_t ncrls;
	kyso_pdf_blob_t *ocsps;
	size_t nocsps;
	unsigned char *der; /* the CMS re-encoded (OPENSSL_free) */
} kyso_cms_revinfo_t;
/* From a parsed CMS; true when it carries any item. Free with
 * kyso_cms_revinfo_free() in any case. */
bool kyso_cms_revinfo(CMS_ContentInfo *cms, kyso_cms_revinfo_t *out);
/* The same from DER ContentInfo bytes (out zeroed by the caller; der stays
 * the caller's). */
bool kyso_cms_revinfo_der(const uint8_t *der, size_t len, kyso_cms_revinfo_t *out);
void kyso_cms_revinfo_free(kyso_cms_revinfo_t *r);
/* An issuer of x among a then b (NULL when none). */
X509 *kyso_verify_find_issuer(X509 *x, STACK_OF(X509) * a, STACK_OF(X509) * b);

/* Does x name an OCSP responder or a CRL distribution point? */
bool kyso_rev_has_source(X509 *x);
/* Status of signer (issued by issuer) from the network (kyso_ltv_collect). */
bool kyso_rev_online(X509 *signer, STACK_OF(X509) * chain, long timeout_s, kyso_rev_status_t *out);

/* Sets o["ltv"]: null without a /DSS, else {"certs", "crls", "ocsps",
 * "vri_entries", "vri" (this signature has a /VRI entry), "signer_revocation":
 * "ocsp"|"crl"|"revoked"|"none" (what the DSS says about the signer)}.
 * rev gets the signer's status from the DSS; dss_certs (may be NULL) the
 * DSS's certificates (caller frees). */
void kyso_verify_ltv(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509 *signer,
                     STACK_OF(X509) * certs, json_t *o, kyso_rev_status_t *rev,
                     STACK_OF(X509) * *dss_certs);

/* Checks one signature of pdf; returns its JSON object, *valid tells. */
json_t *kyso_verify_one(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *info, kyso_vctx_t *v,
                        bool *valid);

/* The visible signature's image as a data: URI (allocated), NULL when none. */
char *kyso_verify_sig_image(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in);

/* ETSI EN 319 102-1 indications. */
typedef enum { KYSO_IND_PASSED, KYSO_IND_INDETERMINATE, KYSO_IND_FAILED } kyso_ind_t;
const char *kyso_ind_name(kyso_ind_t i);

#endif
