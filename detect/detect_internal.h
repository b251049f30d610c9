/* Private structures of kyso_detect (not installed, not for other libraries). */
#ifndef KYSO_DETECT_INTERNAL_H
#define KYSO_DETECT_INTERNAL_H
#include "kyso_detect.h"

#define KYSO_ATR_MAX 33

/* ---- ATR patterns (atr.c) ---- */
typedef struct {
	uint8_t atr[KYSO_ATR_MAX];
	uint8_t mask[KYSO_ATR_MAX];
	size_t len;
	bool has_mask;
} kyso_atr_pattern_t;

/* Parses hex "3B 9F .." (spaces/colons allowed); false if not 1..33 bytes. */
bool kyso_atr_parse(const char *hex, uint8_t *out, size_t *len);
bool kyso_atr_pattern_match(const kyso_atr_pattern_t *p, const uint8_t *atr, size_t len);
/* Case-insensitive glob with '*' and '?'. */
bool kyso_glob_match(const char *pattern, const char *text);
/* "3B9F..." into dst (2*len+1). */
void kyso_atr_hex(const uint8_t *atr, size_t len, char *dst);
/* "3B 9F ..." with spaces, into dst (3*len+1). */
void kyso_atr_hex_spaced(const uint8_t *atr, size_t len, char *dst);

/* ---- catalog (catalog.c) ---- */
typedef struct {
	uint16_t vid, pid;
} kyso_usb_id_t;

/* A slot holding a token type pointer (arrays of slots, not of bare pointers). */
typedef struct {
	const kyso_token_type_t *type;
} kyso_type_ref_t;

struct kyso_token_type {
	json_t *entry; /* owned reference */
	const char *id, *name, *vendor;
	kyso_atr_pattern_t *atrs;
	size_t n_atrs;
	kyso_usb_id_t *usb;
	size_t n_usb;
	const char **readers; /* borrowed from entry */
	size_t n_readers;
};

/* Validates one decoded catalog document. On error sets err with the JSON
 * path of the bad field (e.g. "tokens[2].atr[0].mask") in *path_out. */
kyso_err_t kyso_catalog_validate(const json_t *doc, char *path_out, size_t path_cap, char *problem,
                                 size_t problem_cap);
/* Line (1-based) of the value at path ("tokens[2].atr[0].mask") in text, 0 if not found. */
int kyso_json_locate_line(const char *text, size_t len, const char *path);

/* ---- result (result.c) ---- */
struct kyso_reader {
	char *name;
	kyso_reader_state_t state;
	uint8_t atr[KYSO_ATR_MAX];
	size_t atr_len;
	char atr_hex[2 * KYSO_ATR_MAX + 1];
	bool in_use, exclusive;
};

struct kyso_usb_device {
	uint16_t vid, pid;
	int bus, address;
	bool ccid;
	char *manufacturer, *product;
};

typedef struct {
	kyso_evidence_kind_t kind;
	char *detail;
} kyso_evidence_t;

struct kyso_token {
	const kyso_token_type_t *type;
	kyso_confidence_t confidence;
	const kyso_reader_t *reader;
	const kyso_usb_device_t *usb;
	kyso_evidence_t *evidence;
	size_t n_evidence;
	kyso_type_ref_t *alternatives;
	size_t n_alternatives;
	char *smartcard_list;
	char *catalog_hint;
	char *key;
};

struct kyso_detect_result {
	kyso_pcsc_status_t pcsc_status;
	char *pcsc_message;
	kyso_usb_status_t usb_status;
	char *usb_message;
	char **warnings;
	size_t n_warnings;
	kyso_reader_t *readers;
	size_t n_readers;
	kyso_usb_device_t *usb;
	size_t n_usb;
	kyso_token_t *tokens;
	size_t n_tokens;
	const kyso_catalog_t *catalog;
	uint64_t elapsed_ms;
};

kyso_err_t kyso_detect_result_warn(kyso_detect_result_t *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void kyso_detect_tokens_clear(kyso_detect_result_t *r);

/* ---- scanners ---- */
/* Fills readers and pcsc status. */
void kyso_pcsc_scan(kyso_detect_result_t *r, const kyso_detect_opts_t *opts);
/* Fills usb devices (catalog IDs or CCID class) and usb status. */
void kyso_usb_scan(kyso_detect_result_t *r, const kyso_catalog_t *cat);
/* Reader state from SCARD_STATE_* event flags and the ATR length. */
kyso_reader_state_t kyso_pcsc_classify(unsigned long event_state, unsigned long atr_len);
/* Blocks until a PC/SC reader/card change or timeout_ms. Returns false when
 * the service is not there (caller then sleeps itself). */
bool kyso_pcsc_wait_change(int timeout_ms);

/* Sleeps ms milliseconds (restarts after signals). */
void kyso_detect_sleep_ms(int ms);

/* ---- smartcard_list.txt (smartcard_list.c) ---- */
/* Descriptions of every matching entry joined by "; ", or NULL. */
char *kyso_smartcard_list_lookup(const char *path, const uint8_t *atr, size_t len);
/* The file to use: explicit path, or the usual places; NULL if none. */
const char *kyso_smartcard_list_path(const char *explicit_path);

/* strdup that tolerates NULL */
char *kyso_detect_strdup(const char *s);

#endif
