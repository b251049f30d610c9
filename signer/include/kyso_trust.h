/* Document trust anchors (data/roots/README.md): the shipped Vietnamese roots
 * with their categories, the IT staff's roots.d, --ca files and, only when
 * asked, the system TLS store; the shipped issuing CAs as untrusted chain
 * helpers. The kyso agent's local CA is never an anchor. */
#ifndef KYSO_TRUST_H
#define KYSO_TRUST_H

#include "kyso_core.h"

#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

typedef struct kyso_trust kyso_trust_t;

typedef struct {
	const char *const *ca_files; /* extra anchors (PEM/DER), NULL-terminated, may be NULL */
	bool no_installed;           /* neither the shipped roots nor roots.d */
	bool system_ca;              /* also the system TLS store (/etc/ssl/certs) */
} kyso_trust_opts_t;

/* Loads the anchors; a --ca file that cannot be read is an error. */
kyso_trust_t *kyso_trust_new(const kyso_trust_opts_t *o, kyso_error_t *err);
void kyso_trust_free(kyso_trust_t **t);
/* The anchors (owned by t). */
X509_STORE *kyso_trust_store(kyso_trust_t *t);
/* JSON array of the anchor files loaded (borrowed). */
json_t *kyso_trust_sources(kyso_trust_t *t);
/* Roots taken from the OS store (system_ca): a count (Windows ROOT), -1 when
 * looked up lazily (a hashed directory), 0 none. */
int kyso_trust_system_roots(const kyso_trust_t *t);

typedef struct {
	bool ok;
	int error;              /* X509_V_ERR_* when !ok */
	STACK_OF(X509) * chain; /* signer .. anchor (caller frees with sk_X509_pop_free) */
	const char *category;   /* of the anchor: "neac", "government", "tsa", "legacy-sha1",
	                           "local" (roots.d/--ca), "system", or NULL */
	bool local_agent_ca;    /* the chain goes through a kyso agent CA (never trusted) */
} kyso_trust_result_t;

/* Chains x (with untrusted certs extra, may be NULL, plus the shipped helpers)
 * to an anchor at time at (0: no validity check). */
void kyso_trust_verify(kyso_trust_t *t, X509 *x, STACK_OF(X509) * extra, time_t at,
                       kyso_trust_result_t *r);
void kyso_trust_result_clear(kyso_trust_result_t *r);
/* The category in words (translated), e.g. "chữ ký số chuyên dùng Chính phủ". */
const char *kyso_trust_category_text(const char *category);
/* Is x a certificate the kyso agent made (its local CA)? */
bool kyso_trust_is_agent_ca(X509 *x);

#endif
