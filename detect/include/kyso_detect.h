/* kyso_detect: token catalog, PC/SC scan, USB scan, matching.
 *
 * Typical use (setup, doctor):
 *
 *	kyso_error_t err;
 *	kyso_catalog_t *cat = kyso_catalog_load(NULL, &err);   // data + overrides
 *	kyso_detect_opts_t o = {.catalog = cat};
 *	kyso_detect_result_t *r = kyso_detect_scan(&o, &err);
 *	for (size_t i = 0; i < kyso_detect_token_count(r); i++) {
 *		const kyso_token_t *t = kyso_detect_token_at(r, i);
 *		... kyso_token_type(t), kyso_token_confidence(t), kyso_token_driver(t) ...
 *	}
 *	kyso_detect_result_free(r);
 *	kyso_catalog_free(cat);
 *
 * Detection never disturbs a token: no SCardConnect, no APDU, no USB claim
 * or reset. */
#ifndef KYSO_DETECT_H
#define KYSO_DETECT_H
#include <signal.h>

#include "kyso_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `kyso detect` */

/* ---- catalog (data/tokens.json, schema in docs/catalog.md) -------------- */

typedef struct kyso_catalog kyso_catalog_t;
/* One token type of the catalog; owned by its catalog. */
typedef struct kyso_token_type kyso_token_type_t;

kyso_catalog_t *kyso_catalog_new(void);
void kyso_catalog_free(kyso_catalog_t *cat);

/* Adds the entries of one catalog file. An entry whose id is already in the
 * catalog replaces it (that is how override files work). A malformed file
 * fails with KYSO_ERR_BAD_CATALOG and "file:line: field: problem" in err;
 * the catalog is then unchanged. */
kyso_err_t kyso_catalog_add_file(kyso_catalog_t *cat, const char *path, kyso_error_t *err);
/* Same from memory; name is used in messages. */
kyso_err_t kyso_catalog_add_json(kyso_catalog_t *cat, const char *name, const char *text,
                                 size_t len, kyso_error_t *err);

/* The standard catalog: base_file (NULL = <data dir>/tokens.json), then the
 * system overrides <system config>/tokens.json and <system config>/tokens.d/
 * NAME.json (sorted), then the user override <user config>/tokens.json. Missing
 * override files are skipped; a malformed one is an error. */
kyso_catalog_t *kyso_catalog_load(const char *base_file, kyso_error_t *err);

size_t kyso_catalog_count(const kyso_catalog_t *cat);
const kyso_token_type_t *kyso_catalog_at(const kyso_catalog_t *cat, size_t i);
const kyso_token_type_t *kyso_catalog_find(const kyso_catalog_t *cat, const char *id);
/* Files that were loaded, in order. */
size_t kyso_catalog_file_count(const kyso_catalog_t *cat);
const char *kyso_catalog_file_at(const kyso_catalog_t *cat, size_t i);
/* The CA list of the catalog ("cas": id, name, windows_modules), borrowed. */
const json_t *kyso_catalog_cas(const kyso_catalog_t *cat);

const char *kyso_token_type_id(const kyso_token_type_t *t);
const char *kyso_token_type_name(const kyso_token_type_t *t);
const char *kyso_token_type_vendor(const kyso_token_type_t *t); /* NULL if unknown */
/* The whole catalog entry (borrowed; valid while the catalog lives). */
const json_t *kyso_token_type_json(const kyso_token_type_t *t);
/* The driver block for os ("linux", "windows", "macos"; NULL = this OS),
 * or NULL when the catalog names none. Borrowed. */
const json_t *kyso_token_type_driver(const kyso_token_type_t *t, const char *os);

/* This OS as the catalog names it: "linux", "windows" or "macos". */
const char *kyso_detect_os(void);

/* Does atr match this token type's ATR list (pattern with mask)? */
bool kyso_token_type_match_atr(const kyso_token_type_t *t, const uint8_t *atr, size_t len);
bool kyso_token_type_match_usb(const kyso_token_type_t *t, uint16_t vid, uint16_t pid);
bool kyso_token_type_match_reader(const kyso_token_type_t *t, const char *reader_name);

/* ---- detection result --------------------------------------------------- */

typedef enum {
	KYSO_PCSC_OK = 0,     /* service answered (readers may still be 0) */
	KYSO_PCSC_NO_SERVICE, /* SCARD_E_NO_SERVICE: pcscd / Smart Card service not running */
	KYSO_PCSC_NO_READERS, /* service up, no reader at all */
	KYSO_PCSC_ERROR,      /* other PC/SC failure (message in the result) */
	KYSO_PCSC_SKIPPED,
} kyso_pcsc_status_t;

typedef enum {
	KYSO_USB_OK = 0,
	KYSO_USB_UNAVAILABLE, /* libusb could not start (no permission, no USB): a warning */
	KYSO_USB_SKIPPED,
} kyso_usb_status_t;

typedef enum {
	KYSO_READER_EMPTY = 0,
	KYSO_READER_PRESENT,     /* card present, ATR read */
	KYSO_READER_MUTE,        /* card present but does not answer */
	KYSO_READER_UNAVAILABLE, /* reader state unavailable (driver problem) */
	KYSO_READER_GONE,        /* reader vanished between listing and reading */
} kyso_reader_state_t;

typedef enum {
	KYSO_CONFIDENCE_NONE = 0, /* unknown token */
	KYSO_CONFIDENCE_LOW,      /* only a reader-name pattern, or sources disagree */
	KYSO_CONFIDENCE_MEDIUM,   /* one of ATR or USB ID */
	KYSO_CONFIDENCE_HIGH,     /* ATR and USB ID (or ATR and reader name) agree */
} kyso_confidence_t;

typedef enum {
	KYSO_EVIDENCE_ATR = 0,
	KYSO_EVIDENCE_USB,
	KYSO_EVIDENCE_READER_NAME,
} kyso_evidence_kind_t;

typedef struct kyso_detect_result kyso_detect_result_t;
/* One physical token (a reader with a card, a USB device, or both joined). */
typedef struct kyso_token kyso_token_t;
/* One PC/SC reader as seen during the scan. */
typedef struct kyso_reader kyso_reader_t;
/* One USB device of interest (catalog VID:PID or CCID class). */
typedef struct kyso_usb_device kyso_usb_device_t;

typedef struct {
	const kyso_catalog_t *catalog; /* required */
	bool skip_pcsc;
	bool skip_usb;
	/* Wait up to this long for a token when none is present (0: no wait). */
	int timeout_ms;
	/* smartcard_list.txt for unknown ATRs: NULL = the usual places
	 * (KYSO_SMARTCARD_LIST, /usr/share/pcsc, ~/.cache), "" = none. */
	const char *smartcard_list;
	/* Tests only: called after the reader list is read, before the
	 * reader states are read. */
	void (*after_list_hook)(void *ctx);
	void *hook_ctx;
} kyso_detect_opts_t;

/* Scans PC/SC and USB and matches against the catalog. Environment problems
 * (no PC/SC service, no USB access) are recorded in the result, not
 * returned: NULL only on out-of-memory or bad options. */
kyso_detect_result_t *kyso_detect_scan(const kyso_detect_opts_t *opts, kyso_error_t *err);
void kyso_detect_result_free(kyso_detect_result_t *r);

/* Building a result by hand (tests, or a caller with its own scan), then
 * matching it. atr may be NULL/0 for readers without a card. */
kyso_detect_result_t *kyso_detect_result_new(void);
kyso_err_t kyso_detect_result_add_reader(kyso_detect_result_t *r, const char *name,
                                         kyso_reader_state_t state, const uint8_t *atr,
                                         size_t atr_len, bool in_use, bool exclusive);
kyso_err_t kyso_detect_result_add_usb(kyso_detect_result_t *r, uint16_t vid, uint16_t pid, int bus,
                                      int address, bool ccid, const char *manufacturer,
                                      const char *product);
void kyso_detect_result_set_pcsc(kyso_detect_result_t *r, kyso_pcsc_status_t st,
                                 const char *message);
void kyso_detect_result_set_usb(kyso_detect_result_t *r, kyso_usb_status_t st, const char *message);
/* (Re)builds the token list from the readers and USB devices. */
kyso_err_t kyso_detect_result_match(kyso_detect_result_t *r, const kyso_catalog_t *cat,
                                    const char *smartcard_list);

kyso_pcsc_status_t kyso_detect_pcsc_status(const kyso_detect_result_t *r);
const char *kyso_detect_pcsc_message(const kyso_detect_result_t *r); /* NULL if none */
kyso_usb_status_t kyso_detect_usb_status(const kyso_detect_result_t *r);
const char *kyso_detect_usb_message(const kyso_detect_result_t *r);
size_t kyso_detect_warning_count(const kyso_detect_result_t *r);
const char *kyso_detect_warning_at(const kyso_detect_result_t *r, size_t i);

size_t kyso_detect_reader_count(const kyso_detect_result_t *r);
const kyso_reader_t *kyso_detect_reader_at(const kyso_detect_result_t *r, size_t i);
const char *kyso_reader_name(const kyso_reader_t *rd);
kyso_reader_state_t kyso_reader_state(const kyso_reader_t *rd);
/* ATR as upper-case hex without spaces ("" when no card). */
const char *kyso_reader_atr_hex(const kyso_reader_t *rd);
bool kyso_reader_in_use(const kyso_reader_t *rd);
bool kyso_reader_exclusive(const kyso_reader_t *rd);

size_t kyso_detect_usb_count(const kyso_detect_result_t *r);
const kyso_usb_device_t *kyso_detect_usb_at(const kyso_detect_result_t *r, size_t i);
uint16_t kyso_usb_vid(const kyso_usb_device_t *u);
uint16_t kyso_usb_pid(const kyso_usb_device_t *u);
const char *kyso_usb_product(const kyso_usb_device_t *u); /* NULL when unreadable */
const char *kyso_usb_manufacturer(const kyso_usb_device_t *u);
bool kyso_usb_ccid(const kyso_usb_device_t *u);

size_t kyso_detect_token_count(const kyso_detect_result_t *r);
const kyso_token_t *kyso_detect_token_at(const kyso_detect_result_t *r, size_t i);
/* Number of tokens the catalog knows. */
size_t kyso_detect_known_count(const kyso_detect_result_t *r);

/* NULL for an unknown token. */
const kyso_token_type_t *kyso_token_type(const kyso_token_t *t);
kyso_confidence_t kyso_token_confidence(const kyso_token_t *t);
const char *kyso_confidence_id(kyso_confidence_t c); /* "high", "medium", "low", "none" */
/* Reader and ATR hex (NULL/"" when the token was seen on USB only). */
const kyso_reader_t *kyso_token_reader(const kyso_token_t *t);
/* USB device (NULL when seen on PC/SC only). */
const kyso_usb_device_t *kyso_token_usb(const kyso_token_t *t);
size_t kyso_token_evidence_count(const kyso_token_t *t);
kyso_evidence_kind_t kyso_token_evidence_kind(const kyso_token_t *t, size_t i);
/* English, stable text of one piece of evidence, e.g. "ATR 3B.. matches 3B.. mask FF..". */
const char *kyso_token_evidence_detail(const kyso_token_t *t, size_t i);
/* Other catalog entries that matched as well (ambiguous matches). */
size_t kyso_token_alternative_count(const kyso_token_t *t);
const kyso_token_type_t *kyso_token_alternative_at(const kyso_token_t *t, size_t i);
/* The catalog's driver block for this OS (NULL if none/unknown token). */
const json_t *kyso_token_driver(const kyso_token_t *t);
/* Unknown ATR: description from smartcard_list.txt (NULL if none). */
const char *kyso_token_smartcard_list(const kyso_token_t *t);
/* Unknown token: a catalog entry skeleton (JSON text, one line) the helpdesk
 * can add to a tokens.json override. NULL for known tokens. */
const char *kyso_token_catalog_hint(const kyso_token_t *t);
/* Stable key of the physical token (reader name, ATR, USB bus/address). */
const char *kyso_token_key(const kyso_token_t *t);

/* Picks one token for setup/doctor. want = NULL: the only token the catalog
 * knows (KYSO_ERR_NO_TOKEN when none, KYSO_ERR_USAGE when several: err lists
 * them so the user can choose). Otherwise want is a catalog id, a reader
 * name or "VID:PID" (hex). NULL with err set when nothing fits. */
const kyso_token_t *kyso_detect_token_select(const kyso_detect_result_t *r, const char *want,
                                             kyso_error_t *err);

/* The environment error the result amounts to, for exit codes: no PC/SC
 * service (KYSO_ERR_NO_PCSC_SERVICE), no token (KYSO_ERR_NO_TOKEN), only
 * unknown tokens (KYSO_ERR_PROBLEM), else KYSO_OK. err gets a message. */
kyso_err_t kyso_detect_result_status(const kyso_detect_result_t *r, kyso_error_t *err);

/* The result as the documented JSON (docs/detect.md), new reference. */
json_t *kyso_detect_result_to_json(const kyso_detect_result_t *r);
json_t *kyso_token_to_json(const kyso_token_t *t);

/* ---- watching ------------------------------------------------------------ */

typedef enum {
	KYSO_EVENT_INSERTED = 0,
	KYSO_EVENT_REMOVED,
	KYSO_EVENT_PCSC_LOST,     /* the PC/SC service went away */
	KYSO_EVENT_PCSC_RESTORED, /* ... and came back */
} kyso_event_kind_t;

/* token is valid only during the call. For PCSC events token is NULL. */
typedef void (*kyso_detect_event_fn)(kyso_event_kind_t kind, const kyso_token_t *token, void *ctx);

/* Reports tokens present at start as INSERTED, then every change, until
 * *stop becomes non-zero (checked at least every poll_ms, default 500). */
kyso_err_t kyso_detect_watch(const kyso_detect_opts_t *opts, int poll_ms, kyso_detect_event_fn fn,
                             void *ctx, volatile sig_atomic_t *stop, kyso_error_t *err);

/* `kyso detect`'s text output (detect_text.c): one token, the whole result. */
void kyso_detect_print_token(FILE *out, size_t n, const kyso_token_t *t);
void kyso_detect_print_result(FILE *out, const kyso_detect_result_t *r);

#ifdef __cplusplus
}
#endif
#endif
