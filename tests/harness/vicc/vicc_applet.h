/*
 * kyso-vicc applet interface.
 *
 * The virtual card hands every C-APDU to one applet. An applet is a table of
 * functions; the default is the minimal ISO 7816-4 card (applet_iso.c).
 * To add an emulation, write applet_<name>.c defining a
 * `const struct vicc_applet vicc_applet_<name>` and add it to applets.c.
 */
#ifndef KYSO_VICC_APPLET_H
#define KYSO_VICC_APPLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VICC_MAX_ATR  33
#define VICC_MAX_ID   16
#define VICC_MAX_LIST 32
/* vpcd frames carry a 16-bit length. */
#define VICC_MAX_MSG 0xFFFF

/* A byte string short enough for an AID or a file id. */
struct vicc_id {
	uint8_t v[VICC_MAX_ID];
	size_t len;
};

/* Card configuration given on the command line. Applets read what they need. */
struct vicc_config {
	uint8_t atr[VICC_MAX_ATR];
	size_t atr_len;
	struct vicc_id aids[VICC_MAX_LIST]; /* --aid: known DF names (empty = all) */
	size_t n_aids;
	struct vicc_id fids[VICC_MAX_LIST]; /* --fid: known file ids (empty = all) */
	size_t n_fids;
	const char *opts[VICC_MAX_LIST]; /* --applet-opt KEY=VALUE, applet-specific */
	size_t n_opts;
};

/* A parsed short or extended C-APDU (ISO 7816-4 cases 1-4). */
struct vicc_apdu {
	uint8_t cla;
	uint8_t ins;
	uint8_t p1;
	uint8_t p2;
	const uint8_t *data; /* Lc bytes, NULL when lc == 0 */
	size_t lc;
	size_t le; /* Ne: 256 (short) or 65536 (extended) when coded as zero */
	bool has_le;
	bool extended;
};

/* The R-APDU being built: data then SW1 SW2, into a caller-owned buffer. */
struct vicc_rapdu {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

struct vicc_applet {
	const char *name;
	const char *help;        /* one line for --help */
	const char *default_atr; /* hex, used when --atr is not given; may be NULL */
	/* Make the applet state from the configuration; NULL on error (message on stderr). */
	void *(*create)(const struct vicc_config *cfg);
	/* Power on, warm reset or insertion: forget selections and pending data. */
	void (*reset)(void *state);
	/* Answer one C-APDU: fill r with data + SW. Return 0, or -1 on an internal error. */
	int (*process_apdu)(void *state, const uint8_t *capdu, size_t clen, struct vicc_rapdu *r);
	void (*destroy)(void *state);
};

/* applets.c: the registry. Each applet file defines one of these. */
extern const struct vicc_applet vicc_applet_iso;
const struct vicc_applet *vicc_applet_find(const char *name);
void vicc_applet_print_list(void);

/* apdu.c: helpers shared by applets */
int vicc_apdu_parse(const uint8_t *buf, size_t len, struct vicc_apdu *out);
int vicc_rapdu_data(struct vicc_rapdu *r, const uint8_t *data, size_t len);
int vicc_rapdu_sw(struct vicc_rapdu *r, uint16_t sw);
bool vicc_id_in_list(const struct vicc_id *list, size_t n, const uint8_t *v, size_t len);

/*
 * Response data waiting for GET RESPONSE (T=0 style 61xx chaining).
 * vicc_pending_reply() answers with the data directly when the command asked
 * for it (Le present) and otherwise keeps it and answers 61xx.
 */
struct vicc_pending {
	uint8_t data[VICC_MAX_MSG];
	size_t len;
	size_t off;
};
void vicc_pending_clear(struct vicc_pending *p);
int vicc_pending_reply(struct vicc_pending *p, const struct vicc_apdu *a, const uint8_t *data,
                       size_t len, struct vicc_rapdu *r);
int vicc_pending_get_response(struct vicc_pending *p, const struct vicc_apdu *a,
                              struct vicc_rapdu *r);

/* hex.c */
int vicc_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *outlen);
void vicc_hex_fprint(FILE *stream, const uint8_t *b, size_t len);

/* Status words used across applets. */
#define SW_OK                 0x9000
#define SW_WRONG_LENGTH       0x6700
#define SW_COND_NOT_SATISFIED 0x6985
#define SW_FILE_NOT_FOUND     0x6A82
#define SW_WRONG_P1P2         0x6A86
#define SW_INS_NOT_SUPPORTED  0x6D00
#define SW_CLA_NOT_SUPPORTED  0x6E00
#define SW_UNKNOWN            0x6F00

#endif
