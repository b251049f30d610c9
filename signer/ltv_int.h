/* Long-term validation data (PAdES B-LT, `kyso sign --ltv`): the signer's
 * chain and revocation data for each of its certificates, checked before they
 * go into the document's /DSS. */
#ifndef KYSO_SIGNER_LTV_INT_H
#define KYSO_SIGNER_LTV_INT_H

#include "kyso_core.h"
#include "pdf.h"

#include <openssl/x509.h>

typedef struct kyso_ltv kyso_ltv_t;

/* crl_files: NULL-terminated list (may be NULL) of CRL files (PEM, several,
 * or one DER) to use before asking the network. timeout_s: per request, 0 = 30.
 * KYSO_ERR_BAD_INPUT when a file is not a CRL. */
kyso_err_t kyso_ltv_new(const char *const *crl_files, long timeout_s, kyso_ltv_t **out,
                        kyso_error_t *err);
void kyso_ltv_free(kyso_ltv_t **l);

/* Adds cert and chain to the certificates and, for every one of them that
 * is not self-signed, revocation data: a given CRL of its issuer, else an OCSP
 * response from the responder its Authority Information Access names, else
 * the CRL from its CRL distribution point. Each is checked: signed by the
 * issuer (OCSP: by it or its delegated responder), current, and the
 * certificate not revoked.
 * best_effort: failures become warnings (used for the TSA's certificates).
 * Errors: KYSO_ERR_NETWORK (source unreachable or its answer unusable),
 * KYSO_ERR_PROBLEM (certificate revoked, or no revocation source at all),
 * KYSO_ERR_BAD_INPUT (issuer missing from the chain). */
kyso_err_t kyso_ltv_collect(kyso_ltv_t *l, X509 *cert, STACK_OF(X509) * chain, bool best_effort,
                            kyso_error_t *err);

/* A view of the collected data for kyso_pdf_append_dss() (valid until the
 * next call or kyso_ltv_free()); vri_key is left NULL. */
kyso_err_t kyso_ltv_dss(kyso_ltv_t *l, kyso_pdf_dss_t *d, kyso_error_t *err);

/* The certificates of the signature-time-stamp token inside a CMS
 * SignedData (DER), if any (*out NULL when there is none). */
kyso_err_t kyso_ltv_tsa_certs(const uint8_t *cms, size_t len, STACK_OF(X509) * *out,
                              kyso_error_t *err);

#endif
