/* The card profile table. Sources: docs/tokens/<token>.md. */
#include "kyso_p11_profile.h"

#include <string.h>

static const struct card_profile profiles[] = {
        {
                /* Government CA (Ban Co yeu) "USB Token Bit4ID", IAS-ECC "ChipDoc" applet.
                 * Measured by a public field report: ATR, AID, file ids, key 0x81,
                 * algorithm 0x8A, PIN 0x01 (4-16, FF padded to 8). */
                .name = "TokenME EVO v2",
                .manufacturer = "Bit4id",
                .label = "USB Token Bit4ID",
                .atr = {0x3B, 0xDF, 0x18, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3,
                        0x00, 0x31, 0xB8, 0x64, 0x0C, 0x01, 0xEC, 0xC1, 0x73,
                        0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0xB3},
                .atr_mask = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                             0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                             0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
                .atr_len = 25,
                .aid = {0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xD2, 0x50, 0x47, 0x65, 0x6E, 0x65, 0x72,
                        0x69, 0x63},
                .aid_len = 14,
                .odf = 0x5031,
                .tokeninfo = 0x5032,
                .prkdf = 0x7002,
                .cdf = 0x7005,
                .aodf = 0x7001,
                .key_ref = 0x81,
                .key_ref_or = 0x80,
                .alg_ref = 0x8A,
                .pin_ref = 0x01,
                .pin_min = 4,
                .pin_max = 16,
                .pin_stored = 8,
                .pin_pad = 0xFF,
                .pin_tries = 3,
                .read_chunk = 0xE7, /* the card hands out at most 231 bytes per READ BINARY */
        },
};

const struct card_profile *profile_by_atr(const uint8_t *atr, size_t len)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		const struct card_profile *p = &profiles[i];
		if (p->atr_len != len)
			continue;
		size_t k = 0;
		while (k < len && (atr[k] & p->atr_mask[k]) == (p->atr[k] & p->atr_mask[k]))
			k++;
		if (k == len)
			return p;
	}
	return NULL;
}

const struct card_profile *profile_at(size_t i)
{
	return i < sizeof(profiles) / sizeof(profiles[0]) ? &profiles[i] : NULL;
}
