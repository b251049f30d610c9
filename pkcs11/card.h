/*
 * One card in one PC/SC reader, shared with other programs: SCARD_SHARE_SHARED,
 * every sequence of commands inside SCardBeginTransaction/EndTransaction, and
 * the ISO 7816-4 commands the profiles need.
 */
#ifndef KYSO_P11_CARD_H
#define KYSO_P11_CARD_H

/* pcsc-lite's pkg-config adds its PCSC/ folder; on Windows this is the SDK's header */
#include <winscard.h>
#include <stddef.h>
#include <stdint.h>

/* Transport results; status words are returned separately. */
enum card_rv {
	CARD_OK = 0,
	CARD_REMOVED, /* no card (any more) in the reader */
	CARD_ERROR,   /* reader/transport failure with the card still there */
};

struct card {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	int connected;
	int was_reset; /* set when the card was reset (PIN status lost); caller clears */
	char reader[256];
	uint8_t atr[33];
	size_t atr_len;
};

/* Connect shared; CARD_REMOVED when the reader is empty. */
enum card_rv card_connect(struct card *c, SCARDCONTEXT ctx, const char *reader);
/* Disconnect; reset = 1 resets the card (clears its PIN status). */
void card_disconnect(struct card *c, int reset);
/* Is the same card still in the reader? CARD_OK yes, CARD_REMOVED no. */
enum card_rv card_check(struct card *c);

enum card_rv card_begin(struct card *c);
void card_end(struct card *c, int reset);

/* Send an APDU; 61xx (GET RESPONSE) and 6Cxx are handled here. */
enum card_rv card_apdu(struct card *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                       size_t *rlen, uint16_t *sw);

enum card_rv card_select_aid(struct card *c, const uint8_t *aid, size_t len, uint16_t *sw);
/* Select an EF under the current DF and read it whole (malloc'd, at most 32 KiB). */
enum card_rv card_read_ef(struct card *c, uint16_t fid, size_t chunk, uint8_t **data, size_t *len,
                          uint16_t *sw);
/* VERIFY with no data: tries left (63Cx), 9000 verified, 6983 blocked. */
enum card_rv card_pin_status(struct card *c, uint8_t ref, uint16_t *sw);
enum card_rv card_verify(struct card *c, uint8_t ref, const uint8_t *block, size_t len,
                         uint16_t *sw);
enum card_rv card_mse_set_dst(struct card *c, uint8_t alg, uint8_t key, uint16_t *sw);
enum card_rv card_pso_cds(struct card *c, const uint8_t *in, size_t len, uint8_t *sig, size_t cap,
                          size_t *siglen, uint16_t *sw);

#endif
