/* kyso_middleware: PKCS#11 probing (raw dlopen + C_GetFunctionList), module
 * search, registration helpers (p11-kit module files, NSS databases).
 *
 * Probing a module (setup, doctor):
 *
 *	kyso_error_t err;
 *	kyso_p11_probe_t *p = NULL;
 *	if (kyso_p11_probe_open("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", &p, &err) != KYSO_OK)
 *{
 *		// err names the reason: file missing, wrong architecture (ELF header),
 *		// missing dependency (dlerror), not a PKCS#11 module, C_Initialize failed
 *	}
 *	for (size_t i = 0; i < kyso_p11_probe_slot_count(p); i++) {
 *		const kyso_p11_slot_t *s = kyso_p11_probe_slot_at(p, i);
 *		... kyso_p11_slot_token_label(s), kyso_p11_slot_token_flags(s) ...
 *		... kyso_p11_slot_cert_count(s), kyso_p11_cert_pairing(c) ...
 *	}
 *	kyso_p11_probe_finalize(p, &err);   // C_Finalize, explicit (free does it too)
 *	kyso_p11_probe_free(&p);            // dlclose
 *
 * The probe never logs in: it opens read-only public sessions and lists what a
 * token shows without a PIN (certificates, public keys, and private keys the
 * module shows before login). */
#ifndef KYSO_MIDDLEWARE_H
#define KYSO_MIDDLEWARE_H
#include "kyso_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loading a module ----------------------------------------------------- */

/* Why a module could not be loaded (first problem found). */
typedef enum {
	KYSO_P11_LOAD_OK = 0,
	KYSO_P11_LOAD_MISSING,     /* no such file */
	KYSO_P11_LOAD_NOT_ELF,     /* not a shared library (not ELF; on Windows not PE) */
	KYSO_P11_LOAD_WRONG_ARCH,  /* built for another architecture / word size */
	KYSO_P11_LOAD_MISSING_DEP, /* a library it needs is not installed (dlerror) */
	KYSO_P11_LOAD_DLOPEN,      /* other dlopen failure (dlerror text in the message) */
	KYSO_P11_LOAD_NOT_PKCS11,  /* no C_GetFunctionList, or it failed */
	KYSO_P11_LOAD_INIT_FAILED, /* C_Initialize failed */
} kyso_p11_load_status_t;

/* Stable id for JSON: "ok", "missing", "not-elf", "wrong-arch", "missing-dependency",
 * "dlopen", "not-pkcs11", "init-failed". */
const char *kyso_p11_load_status_id(kyso_p11_load_status_t st);

/* Checks the file only (exists, ELF/PE, this machine's architecture), without
 * loading it. Returns KYSO_P11_LOAD_OK or the problem with a translated
 * explanation in err (KYSO_ERR_MODULE_LOAD). */
kyso_p11_load_status_t kyso_p11_check_file(const char *path, kyso_error_t *err);

/* The one PKCS#11 module loader (the doctor's probe, kyso sign, the agent):
 * the file checked as above, dlopen()ed (a missing dependency named), its
 * C_GetFunctionList called. *handle (dlclose it) and *function_list (a
 * CK_FUNCTION_LIST_PTR) on success; on failure nothing stays loaded,
 * *status (may be NULL) says why and err explains (KYSO_ERR_MODULE_LOAD).
 * C_Initialize is the caller's. */
kyso_err_t kyso_p11_module_load(const char *path, void **handle, void **function_list,
                                kyso_p11_load_status_t *status, kyso_error_t *err);

/* Which module to use: option (--module) when given, else "pkcs11_module"
 * of kyso's config (kyso_config_load), else a usage error telling to run
 * kyso setup. *path is malloc'ed. */
kyso_err_t kyso_p11_module_resolve(const char *option, char **path, kyso_error_t *err);

/* ---- probing ------------------------------------------------------------- */

typedef struct kyso_p11_probe kyso_p11_probe_t;
typedef struct kyso_p11_slot kyso_p11_slot_t;
typedef struct kyso_p11_cert kyso_p11_cert_t;
typedef struct kyso_p11_key kyso_p11_key_t;

/* Token flags as kyso cares about them (from CK_TOKEN_INFO.flags). */
enum {
	KYSO_P11_TOKEN_PIN_LOCKED = 1u << 0,      /* CKF_USER_PIN_LOCKED */
	KYSO_P11_TOKEN_PIN_COUNT_LOW = 1u << 1,   /* CKF_USER_PIN_COUNT_LOW */
	KYSO_P11_TOKEN_PIN_FINAL_TRY = 1u << 2,   /* CKF_USER_PIN_FINAL_TRY */
	KYSO_P11_TOKEN_NOT_INITIALISED = 1u << 3, /* !CKF_TOKEN_INITIALIZED */
	KYSO_P11_TOKEN_PROTECTED_AUTH = 1u << 4,  /* CKF_PROTECTED_AUTHENTICATION_PATH */
	KYSO_P11_TOKEN_LOGIN_REQUIRED = 1u << 5,  /* CKF_LOGIN_REQUIRED */
	KYSO_P11_TOKEN_PIN_NOT_SET = 1u << 6,     /* !CKF_USER_PIN_INITIALIZED */
	KYSO_P11_TOKEN_WRITE_PROTECTED = 1u << 7, /* CKF_WRITE_PROTECTED */
};

/* dlopen()s the module (file checked first), gets its function list, calls
 * C_Initialize (OS locking), reads the module info, the slots, their tokens
 * and the objects visible without login. On failure nothing stays loaded
 * and err explains why; *status (may be NULL) says which kind of failure. */
kyso_err_t kyso_p11_probe_open(const char *path, kyso_p11_probe_t **out,
                               kyso_p11_load_status_t *status, kyso_error_t *err);
/* C_Finalize now (idempotent). Returns the module's complaint, if any.
 * When C_Initialize answered CKR_CRYPTOKI_ALREADY_INITIALIZED (someone else
 * in this process owns the module) it does not finalise. */
kyso_err_t kyso_p11_probe_finalize(kyso_p11_probe_t *p, kyso_error_t *err);
/* Finalises (if not done yet), dlclose()s and frees; *p becomes NULL. */
void kyso_p11_probe_free(kyso_p11_probe_t **p);

const char *kyso_p11_probe_path(const kyso_p11_probe_t *p);
const char *kyso_p11_probe_manufacturer(const kyso_p11_probe_t *p);
const char *kyso_p11_probe_description(const kyso_p11_probe_t *p);
/* "2.40" (cryptoki version) and "0.23" (library version). */
const char *kyso_p11_probe_cryptoki_version(const kyso_p11_probe_t *p);
const char *kyso_p11_probe_library_version(const kyso_p11_probe_t *p);

size_t kyso_p11_probe_slot_count(const kyso_p11_probe_t *p);
const kyso_p11_slot_t *kyso_p11_probe_slot_at(const kyso_p11_probe_t *p, size_t i);
/* Slots with a token present. */
size_t kyso_p11_probe_token_count(const kyso_p11_probe_t *p);

unsigned long kyso_p11_slot_id(const kyso_p11_slot_t *s);
const char *kyso_p11_slot_description(const kyso_p11_slot_t *s);
bool kyso_p11_slot_token_present(const kyso_p11_slot_t *s);
/* Token fields, trimmed ("" when no token). */
const char *kyso_p11_slot_token_label(const kyso_p11_slot_t *s);
const char *kyso_p11_slot_token_manufacturer(const kyso_p11_slot_t *s);
const char *kyso_p11_slot_token_model(const kyso_p11_slot_t *s);
const char *kyso_p11_slot_token_serial(const kyso_p11_slot_t *s);
/* KYSO_P11_TOKEN_* bits. */
unsigned kyso_p11_slot_token_flags(const kyso_p11_slot_t *s);
/* Listing objects failed (message), NULL when it worked. */
const char *kyso_p11_slot_objects_error(const kyso_p11_slot_t *s);

size_t kyso_p11_slot_cert_count(const kyso_p11_slot_t *s);
const kyso_p11_cert_t *kyso_p11_slot_cert_at(const kyso_p11_slot_t *s, size_t i);
size_t kyso_p11_slot_key_count(const kyso_p11_slot_t *s);
const kyso_p11_key_t *kyso_p11_slot_key_at(const kyso_p11_slot_t *s, size_t i);

/* How a certificate was paired with a key object. */
typedef enum {
	KYSO_P11_PAIR_NONE = 0,   /* no key object belongs to it */
	KYSO_P11_PAIR_ID_ONLY,    /* same CKA_ID, public key not comparable */
	KYSO_P11_PAIR_KEY_ONLY,   /* same public key, different CKA_ID */
	KYSO_P11_PAIR_ID_AND_KEY, /* same CKA_ID and same public key */
	KYSO_P11_PAIR_MISMATCH,   /* same CKA_ID but another public key */
} kyso_p11_pairing_t;
const char *
kyso_p11_pairing_id(kyso_p11_pairing_t p); /* "none", "id", "key", "id+key", "mismatch" */

/* CKA_ID as upper-case hex, CKA_LABEL (UTF-8). */
const char *kyso_p11_cert_id_hex(const kyso_p11_cert_t *c);
const char *kyso_p11_cert_label(const kyso_p11_cert_t *c);
/* Subject / issuer, UTF-8 one line ("" if the DER does not parse). */
const char *kyso_p11_cert_subject(const kyso_p11_cert_t *c);
const char *kyso_p11_cert_issuer(const kyso_p11_cert_t *c);
/* notAfter as "YYYY-MM-DDTHH:MM:SSZ" ("" if unknown). */
const char *kyso_p11_cert_not_after(const kyso_p11_cert_t *c);
/* True for a CA certificate (basicConstraints CA:TRUE). */
bool kyso_p11_cert_is_ca(const kyso_p11_cert_t *c);
/* DER of the certificate (borrowed). */
const uint8_t *kyso_p11_cert_der(const kyso_p11_cert_t *c, size_t *len);
/* Best pairing with a private key object, else with a public key object. */
kyso_p11_pairing_t kyso_p11_cert_pairing(const kyso_p11_cert_t *c);
/* The paired key (NULL when none). */
const kyso_p11_key_t *kyso_p11_cert_key(const kyso_p11_cert_t *c);

/* A key object (private or public). */
bool kyso_p11_key_is_private(const kyso_p11_key_t *k);
const char *kyso_p11_key_id_hex(const kyso_p11_key_t *k);
const char *kyso_p11_key_label(const kyso_p11_key_t *k);
const char *kyso_p11_key_type(const kyso_p11_key_t *k); /* "rsa", "ec", "other" */

/* The first certificate on a present token that looks like a signing
 * certificate (not a CA, paired with a key), or any paired one; NULL if none. */
const kyso_p11_cert_t *kyso_p11_slot_signing_cert(const kyso_p11_slot_t *s);

/* Everything above as JSON (new reference): {module, manufacturer, ...,
 * slots: [{id, description, token: {label, ..., flags: [...]},
 * certificates: [{id, label, subject, ..., pairing}], keys: [...]}]}. */
json_t *kyso_p11_probe_to_json(const kyso_p11_probe_t *p);
/* Token flag names for a flags value (new JSON array of strings such as
 * "pin-locked", "pin-count-low", "pin-final-try", "not-initialised",
 * "protected-authentication-path"). */
json_t *kyso_p11_token_flags_to_json(unsigned flags);

/* ---- finding and registering modules --------------------------------------- */

/* The p11-kit module file kyso writes for a token type id:
 * "<dir>/kyso-<id>.module". dir is /etc/pkcs11/modules (system) or
 * $XDG_CONFIG_HOME/pkcs11/modules (user). Returned string is malloc'ed. */
char *kyso_p11kit_module_file(const char *root, bool user, const char *type_id);
/* Its content for module path (malloc'ed). */
char *kyso_p11kit_module_text(const char *module_path);

/* NSS databases kyso registers modules in (SQL format, with cert9.db):
 * $HOME/.pki/nssdb, every Firefox profile under $HOME/.mozilla/firefox
 * (and the snap location), and <root>/etc/pki/nssdb. Only existing ones.
 * Returns a NULL-terminated malloc'ed array of malloc'ed paths. */
char **kyso_nss_dbs_find(const char *root, const char *home);
void kyso_strv_free(char **v);

#ifdef __cplusplus
}
#endif
#endif
