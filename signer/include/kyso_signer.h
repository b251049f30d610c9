/* kyso_signer: PDF reading, incremental update, CMS/PAdES, verification.
 *
 * Signing as a library (used by `kyso sign`, the setup self-test, the agent
 * and `kyso doctor --sign`):
 *
 *	kyso_sign_opts_t o;
 *	kyso_sign_opts_init(&o);
 *	o.token.module = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
 *	o.pin_env = "MY_PIN";                  (or o.pin_fn, or pinentry)
 *	kyso_signer_t *s;
 *	kyso_signer_open(&o, &s, &err);         (module, token, certificate)
 *	kyso_signer_login(s, &err);             (asks the PIN once)
 *	kyso_signer_sign_pdf(s, "in.pdf", "out.pdf", NULL, &err);
 *	kyso_signer_free(&s);
 *
 * or all in one: kyso_sign_pdf(&o, "in.pdf", "out.pdf", NULL, &err).
 * Verification: kyso_verify_pdf() returns a JSON report (schema in
 * docs/sign.md). */
#ifndef KYSO_SIGNER_H
#define KYSO_SIGNER_H
#include "kyso_core.h"

#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* `kyso sign` and `kyso verify` */

/* ---- signing -------------------------------------------------------------- */

typedef enum {
	KYSO_DIGEST_SHA256 = 0,
	KYSO_DIGEST_SHA384,
	KYSO_DIGEST_SHA512,
} kyso_digest_t;

/* Parses "sha256"/"sha384"/"sha512" (also "SHA-256"...). */
bool kyso_digest_parse(const char *s, kyso_digest_t *out);
const char *kyso_digest_name(kyso_digest_t d);

/* Which token and key (OpenSC option names). All optional. */
typedef struct {
	const char *module;     /* PKCS#11 module; NULL = "pkcs11_module" from the kyso
	                           config.json (user, then system) */
	const char *slot;       /* slot ID (decimal or 0x hex) */
	const char *token;      /* token label */
	const char *key_id;     /* CKA_ID in hex */
	const char *cert_label; /* certificate CKA_LABEL */
	const char *serial;     /* certificate serial number in hex (VNPT's "serial") */
	/* several signing certificates valid now and none of the above names
	 * one: false = KYSO_ERR_USAGE naming them, true = ask the user with
	 * kyso_dialog_choose (cancel = KYSO_ERR_PIN_CANCELLED) */
	bool choose;
} kyso_token_sel_t;

/* State of the user PIN as the token reports it (PKCS#11 token flags). */
typedef enum {
	KYSO_PIN_TRIES_OK = 0, /* nothing reported */
	KYSO_PIN_TRIES_LOW,    /* CKF_USER_PIN_COUNT_LOW: few tries left */
	KYSO_PIN_TRIES_FINAL,  /* CKF_USER_PIN_FINAL_TRY: one try left */
	KYSO_PIN_TRIES_LOCKED, /* CKF_USER_PIN_LOCKED */
} kyso_pin_tries_t;

/* What a PIN prompt shows. Strings are borrowed for the call. */
typedef struct {
	const char *token_label;
	const char *cert_subject; /* signer's subject (UTF-8, one line) */
	kyso_pin_tries_t tries;
	const char *description; /* a ready-made translated description */
} kyso_pin_request_t;

/* A PIN source: writes a NUL-terminated PIN into pin (cap bytes).
 * Returns KYSO_OK, KYSO_ERR_PIN_CANCELLED, or another error. */
typedef kyso_err_t (*kyso_pin_fn)(void *ctx, const kyso_pin_request_t *req, char *pin, size_t cap,
                                  kyso_error_t *err);

typedef struct {
	kyso_token_sel_t token;
	/* PIN: pin_env if set, else pin_fn if set, else pinentry (interactive). */
	const char *pin_env;
	kyso_pin_fn pin_fn;
	void *pin_ctx;
	const char *pinentry; /* pinentry program; NULL = $KYSO_PINENTRY, else "pinentry" */
	kyso_digest_t digest;
	const char *chain_file; /* extra chain certificates (PEM or DER) */
	const char *password;   /* PDF password (encrypted input) */
	uint64_t max_size;      /* input size limit, 0 = 100 MB */
	bool in_place;          /* allow OUT == IN (replaced atomically) */
	const char *field_name; /* signature field name, NULL = "SignatureN" */
	const char *name, *reason, *location, *contact_info; /* UTF-8, optional */
	time_t signing_time;                                 /* /M; 0 = now */
	/* PAdES B-T (issue 6): time stamp from an RFC 3161 server over the
	 * signature value. tsa_pass: HTTP basic auth password (not an env name). */
	const char *tsa_url, *tsa_user, *tsa_pass;
	long tsa_timeout;  /* seconds, 0 = 30 */
	bool tsa_optional; /* TSA failure: warn and sign B-B instead of failing */
	/* Visible appearance and role (issue 6, appearance_*.c); NULL = invisible. */
	const struct kyso_appearance_opts *appearance;
	/* PAdES B-LT (issue 6): after the signature, an incremental update adds
	 * a /DSS with the chain and its CRLs/OCSP responses (checked); fetched
	 * over HTTP unless crl_files (NULL-terminated, may be NULL) cover them. */
	bool ltv;
	const char *const *crl_files;
} kyso_sign_opts_t;

void kyso_sign_opts_init(kyso_sign_opts_t *o);

/* What a signature produced. */
typedef struct {
	char signer_subject[512];
	char field_name[128];
	size_t cms_len;       /* DER length of the CMS */
	size_t contents_size; /* bytes reserved in /Contents */
	uint64_t out_size;
} kyso_sign_result_t;

/* An open token with a chosen signing key (opaque). */
typedef struct kyso_signer kyso_signer_t;

/* Loads the module, picks the slot/token and the signing certificate. No PIN yet.
 * Errors: KYSO_ERR_MODULE_LOAD, KYSO_ERR_NO_TOKEN, KYSO_ERR_KEY_NOT_FOUND, KYSO_ERR_USAGE. */
kyso_err_t kyso_signer_open(const kyso_sign_opts_t *o, kyso_signer_t **out, kyso_error_t *err);
/* Asks the PIN (once) and logs in. A wrong PIN is never retried:
 * KYSO_ERR_PIN_INCORRECT (message names the tries left), KYSO_ERR_PIN_LOCKED,
 * KYSO_ERR_PIN_CANCELLED. Tokens with a PIN pad log in without a PIN. */
kyso_err_t kyso_signer_login(kyso_signer_t *s, kyso_error_t *err);
/* Token label, signer subject (borrowed, valid until kyso_signer_free()). */
const char *kyso_signer_token_label(const kyso_signer_t *s);
const char *kyso_signer_subject(const kyso_signer_t *s);
/* Signs in -> out (incremental update, PAdES B-B). Logs in first if needed.
 * out is written atomically; on any failure nothing is left at out. */
kyso_err_t kyso_signer_sign_pdf(kyso_signer_t *s, const char *in, const char *out,
                                kyso_sign_result_t *res, kyso_error_t *err);
void kyso_signer_free(kyso_signer_t **s);

/* For callers that drive the token themselves (the agent, signer_api.c). */
/* The signing certificate, DER, appended to out. */
kyso_err_t kyso_signer_cert_der(const kyso_signer_t *s, kyso_buf_t *out, kyso_error_t *err);
/* The issuer of the signing certificate as one UTF-8 line ("CN=..., O=..."). */
void kyso_signer_issuer(const kyso_signer_t *s, char *buf, size_t cap);
/* The token has a PIN pad: kyso_signer_login() then asks for no PIN. */
bool kyso_signer_has_pinpad(const kyso_signer_t *s);
/* What the token tells of the PIN tries left (fresh token flags). */
kyso_pin_tries_t kyso_signer_pin_tries(kyso_signer_t *s);
/* Logs in with a PIN the caller asked itself (NULL on a PIN-pad token). Like
 * kyso_signer_login(), never retried; the PIN is not kept or registered. */
kyso_err_t kyso_signer_login_pin(kyso_signer_t *s, const char *pin, kyso_error_t *err);
/* Signs a digest (hash) on the token as a raw PKCS#11 signature: RSA
 * PKCS#1 v1.5 with DigestInfo, or ECDSA (DER). Logs in first if needed. The
 * signature replaces sig's content. */
kyso_err_t kyso_signer_sign_digest(kyso_signer_t *s, kyso_digest_t alg, const uint8_t *dgst,
                                   size_t dgst_len, kyso_buf_t *sig, kyso_error_t *err);
/* A detached CMS SignedData (DER) over content whose digest (alg) is dgst:
 * signed attributes content-type, message-digest, signing-certificate-v2,
 * the certificate chain of the token. Logs in first if needed. */
kyso_err_t kyso_signer_sign_cms(kyso_signer_t *s, kyso_digest_t alg, const uint8_t *dgst,
                                size_t dgst_len, kyso_buf_t *der, kyso_error_t *err);
/* ---- XMLDSig (xml_dsig.c; xml_dsig_none.c when built without xmlsec1) -----
 * An enveloped signature (C14N 2001, rsa-sha256 by default, KeyInfo with the
 * signing certificate) as e-invoice systems expect, computed by xmlsec1 and
 * signed on the token. */
typedef struct {
	const char *parent;   /* element receiving <Signature>: a name or "A/B"; NULL = root */
	const char *ref_id;   /* Id of the signed element (URI "#id"); NULL = whole document */
	kyso_digest_t digest; /* 0 = SHA-256 */
} kyso_xml_opts_t;

/* false when this build has no XMLDSig (KYSO_XMLDSIG=OFF, e.g. Windows) */
bool kyso_xml_available(void);
/* Signs the XML document xml (len bytes) into out (UTF-8). Logs in if needed.
 * KYSO_ERR_BAD_INPUT for XML that is not well-formed or lacks the named
 * elements, KYSO_ERR_UNSUPPORTED without XMLDSig or with a non-RSA key. */
kyso_err_t kyso_xml_sign(kyso_signer_t *s, const uint8_t *xml, size_t len, const kyso_xml_opts_t *o,
                         kyso_buf_t *out, kyso_error_t *err);
/* "Few tries left" etc. for messages and prompts; "" when nothing is known. */
const char *kyso_pin_tries_text(kyso_pin_tries_t t);

/* ---- dialogs (dialog.c): the one pinentry client -----------------
 * The PIN and consent dialogs of `kyso sign` and kyso-agent. A pinentry
 * program spoken to over Assuan (libassuan, as gpg-agent does), or, when no
 * program is given, the OS's own dialogs where it has them (Windows: the
 * credential dialog and a task dialog, kyso_prompt_* of core), else
 * "pinentry" from PATH.
 *
 * Buttons, and what each answer means (docs/agent.md, "Dialog buttons"):
 *   OK (SETOK)          -> KYSO_OK, *button = KYSO_DIALOG_OK; GETPIN: the PIN
 *   Cancel (SETCANCEL), the window closed, Escape, a time-out, a pinentry
 *   that fails or is not there
 *                       -> KYSO_ERR_PIN_CANCELLED (or another error), never
 *                          the extra choice
 *   extra (SETNOTOK)    -> KYSO_OK, *button = KYSO_DIALOG_EXTRA, only when all
 *                          of: the dialog offers it (extra != NULL), pinentry
 *                          accepted SETNOTOK, CONFIRM ended in NOT_CONFIRMED,
 *                          and pinentry did not report its close button
 *                          (status BUTTON_INFO close). A pinentry that does
 *                          not know SETNOTOK shows two buttons, and its
 *                          NOT_CONFIRMED is a Cancel. */
typedef enum {
	KYSO_DIALOG_OK = 0, /* the OK button */
	KYSO_DIALOG_EXTRA,  /* the separate, explicit third choice */
} kyso_dialog_button_t;

typedef struct {
	bool getpin; /* PIN entry (GETPIN); else a confirmation (CONFIRM) */
	const char *title, *desc, *prompt;
	const char *ok, *cancel; /* NULL = pinentry's own */
	const char *extra;       /* CONFIRM only: the third button; NULL = none */
} kyso_dialog_t;

/* Shows d with the pinentry program (NULL: see above). pin/cap receive the
 * PIN of a GETPIN (wiped on every error); button the answer. */
kyso_err_t kyso_dialog_run(const char *program, const kyso_dialog_t *d, char *pin, size_t cap,
                           kyso_dialog_button_t *button, kyso_error_t *err);

/* The certificate chooser (pinentry cannot list): the OS's list dialog
 * (Linux: the kyso-choose GTK helper, $KYSO_CHOOSER overrides it; Windows: a
 * task dialog with one radio button per item). items: n one-line texts.
 * KYSO_OK and *chosen, KYSO_ERR_PIN_CANCELLED when the user cancels or
 * closes it, KYSO_ERR_UNSUPPORTED when no dialog can be shown. */
kyso_err_t kyso_dialog_choose(const char *title, const char *text, const char *const *items,
                              size_t n, size_t *chosen, kyso_error_t *err);

/* ---- visible signature for library callers (signer_api.c) --------------------
 * `kyso sign` fills the appearance options from its command line; a library
 * caller (the agent) builds them here:
 *
 *	kyso_visible_t *v = kyso_visible_new();
 *	kyso_visible_set_role(v, "approve", &err);
 *	kyso_visible_set_rect(v, 1, 50, 50, 200, 70);
 *	o.appearance = kyso_visible_opts(v);     (valid until the next set or free)
 *	...sign...
 *	kyso_visible_free(&v);
 */
typedef struct kyso_visible kyso_visible_t;

kyso_visible_t *kyso_visible_new(void);
void kyso_visible_free(kyso_visible_t **v);
/* initial | approve | appendix | issue (docs/signing-roles.md); NULL = none.
 * KYSO_ERR_USAGE for another name. */
kyso_err_t kyso_visible_set_role(kyso_visible_t *v, const char *role, kyso_error_t *err);
/* page (1-based, 0 = last) and box (x, y, w, h in PDF points from the lower
 * left of the visible page); without it the role's default place is used. */
void kyso_visible_set_rect(kyso_visible_t *v, long page, double x, double y, double w, double h);
/* Strings are copied; NULL clears. text: extra lines ("\n" separates);
 * number and date (YYYY-MM-DD): the issue role's document number and date. */
kyso_err_t kyso_visible_set_text(kyso_visible_t *v, const char *text, kyso_error_t *err);
kyso_err_t kyso_visible_set_number(kyso_visible_t *v, const char *number, kyso_error_t *err);
kyso_err_t kyso_visible_set_date(kyso_visible_t *v, const char *date, kyso_error_t *err);
/* The options with the role's defaults applied, for kyso_sign_opts_t.appearance. */
const struct kyso_appearance_opts *kyso_visible_opts(kyso_visible_t *v);

/* open + login + sign + free. */
kyso_err_t kyso_sign_pdf(const kyso_sign_opts_t *o, const char *in, const char *out,
                         kyso_sign_result_t *res, kyso_error_t *err);

/* ---- verification ------------------------------------------------------- */

typedef struct {
	const char *const
	        *ca_files;      /* trust anchors (PEM/DER files); NULL-terminated, may be NULL */
	bool no_system_anchors; /* neither the shipped roots nor roots.d (kyso_trust.h) */
	bool system_ca;         /* also the system TLS store (/etc/ssl/certs) */
	bool offline;           /* no OCSP/CRL requests */
	time_t at;              /* validation time (0 = now) */
	bool images;            /* each visible signature's image in the report ("image") */
	const char *password;   /* PDF password */
	uint64_t max_size;      /* 0 = 100 MB */
} kyso_verify_opts_t;

/* A certificate's standing at time at (cert_check.c). trust: also the key
 * usage for signing and the chain to the trust anchors of o (as kyso verify),
 * intermediates from chain_file (may be NULL); revocation is not checked. */
typedef enum {
	KYSO_CERT_OK = 0,
	KYSO_CERT_EXPIRED,
	KYSO_CERT_NOT_YET,
	KYSO_CERT_REVOKED,
	KYSO_CERT_NO_SIGN_USAGE,
	KYSO_CERT_UNTRUSTED,
	KYSO_CERT_NO_CA, /* the trust anchors cannot be read */
	KYSO_CERT_BAD,   /* not a DER certificate */
} kyso_cert_status_t;

kyso_cert_status_t kyso_cert_check(const uint8_t *der, size_t len, time_t at,
                                   const kyso_verify_opts_t *o, const char *chain_file, bool trust);

/* Checks every signature of path. *report gets the JSON report (docs/sign.md);
 * *all_valid is true when there is at least one signature and all are
 * TOTAL-PASSED (the report's "indication" tells failed from indeterminate).
 * Returns an error only when the file cannot be checked at all (bad PDF, I/O). */
kyso_err_t kyso_verify_pdf(const char *path, const kyso_verify_opts_t *o, json_t **report,
                           bool *all_valid, kyso_error_t *err);

/* ---- archive time stamp (PAdES B-LTA) ---------------------------------------- */

typedef struct {
	const char *tsa_url, *tsa_user, *tsa_pass;
	long timeout_s;       /* per request, 0 = 30 */
	const char *password; /* PDF password */
} kyso_timestamp_opts_t;

/* in -> out (atomic; may be the same path): the validation data of every
 * signature and time stamp in a /DSS (best effort), then a document time
 * stamp over the whole file. */
kyso_err_t kyso_pdf_timestamp(const char *in, const char *out, const kyso_timestamp_opts_t *o,
                              kyso_error_t *err);

/* Writes report (kyso_verify_pdf's) as one self-contained HTML page, atomically. */
kyso_err_t kyso_verify_html_write(json_t *report, const char *path, kyso_error_t *err);

/* ---- sample document ------------------------------------------------------ */

/* Writes a one-page Vietnamese sample PDF (shaped text, embedded subset font). */
kyso_err_t kyso_sample_pdf_write(const char *path, kyso_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
