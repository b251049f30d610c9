/*
 * Card profiles: everything token-specific is data in one table (profile.c).
 * The next token type is a new entry plus, at most, a little code.
 */
#ifndef KYSO_P11_PROFILE_H
#define KYSO_P11_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_MAX_ATR 33
#define PROFILE_MAX_AID 16

struct card_profile {
	const char *name;         /* token model, CK_TOKEN_INFO.model */
	const char *manufacturer; /* CK_TOKEN_INFO.manufacturerID */
	const char *label;        /* token label when TokenInfo has none */
	uint8_t atr[PROFILE_MAX_ATR];
	uint8_t atr_mask[PROFILE_MAX_ATR];
	size_t atr_len;
	uint8_t aid[PROFILE_MAX_AID];
	size_t aid_len;
	/* PKCS#15 files under the application (the ODF, when present, wins) */
	uint16_t odf, tokeninfo, prkdf, cdf, aodf;
	/* MSE SET key reference = key_ref_or | PrKDF keyReference, or key_ref when absent */
	uint8_t key_ref;
	uint8_t key_ref_or;
	uint8_t alg_ref; /* MSE SET 80 01 alg_ref: RSA PKCS#1 v1.5 over a DigestInfo */
	/* PIN rules (the AODF, when present, wins for reference and lengths) */
	uint8_t pin_ref;
	unsigned pin_min, pin_max, pin_stored;
	uint8_t pin_pad;
	unsigned pin_tries; /* tries after a successful VERIFY */
	size_t read_chunk;  /* READ BINARY Le */
};

/* The profile whose ATR (under its mask) matches, or NULL. */
const struct card_profile *profile_by_atr(const uint8_t *atr, size_t len);
/* Profiles in order, for trying their AIDs; NULL past the end. */
const struct card_profile *profile_at(size_t i);

#endif
