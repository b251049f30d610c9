/*
 * The default applet: a minimal ISO 7816-4 card.
 * SELECT by DF name (P1=04) and by file id/path (P1=00,01,02,08,09) answer
 * 9000 (or 6A82 when --aid/--fid lists are given and the name is not in them),
 * with a tiny FCI/FCP when P2 asks for one (61xx + GET RESPONSE when the
 * command carries no Le). GET RESPONSE hands out pending data; CLA FF gives
 * 6E00; any other instruction gives 6D00.
 */
#include "vicc_applet.h"

#include <stdlib.h>
#include <string.h>

struct iso_card {
	const struct vicc_config *cfg;
	struct vicc_pending pending;
};

static void *iso_create(const struct vicc_config *cfg)
{
	if (cfg->n_opts > 0) {
		fprintf(stderr, "kyso-vicc: applet iso takes no --applet-opt (got %s)\n",
		        cfg->opts[0]);
		return NULL;
	}
	struct iso_card *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fprintf(stderr, "kyso-vicc: out of memory\n");
		return NULL;
	}
	c->cfg = cfg;
	return c;
}

static void iso_reset(void *state)
{
	struct iso_card *c = state;
	vicc_pending_clear(&c->pending);
}

static void iso_destroy(void *state)
{
	free(state);
}

/* Wrap value in tag: outer{inner tag, len, value}. Value is at most VICC_MAX_ID bytes. */
static size_t make_template(uint8_t outer, uint8_t inner, const uint8_t *v, size_t len,
                            uint8_t *out)
{
	out[0] = outer;
	out[1] = (uint8_t)(len + 2);
	out[2] = inner;
	out[3] = (uint8_t)len;
	memcpy(out + 4, v, len);
	return len + 4;
}

/* Answer a successful SELECT according to P2 bits 3-4 (FCI, FCP, FMD or nothing). */
static int select_ok(struct iso_card *c, const struct vicc_apdu *a, uint8_t inner, const uint8_t *v,
                     size_t len, struct vicc_rapdu *r)
{
	static const uint8_t outer_for_p2[4] = {0x6F, 0x62, 0x64, 0x00};
	uint8_t outer = outer_for_p2[(a->p2 >> 2) & 3];
	uint8_t fci[VICC_MAX_ID + 4];

	if (outer == 0) {
		vicc_pending_clear(&c->pending);
		return vicc_rapdu_sw(r, SW_OK);
	}
	size_t n = make_template(outer, inner, v, len, fci);
	return vicc_pending_reply(&c->pending, a, fci, n, r);
}

static int select_by_name(struct iso_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	const struct vicc_config *cfg = c->cfg;

	if (a->lc > VICC_MAX_ID)
		return vicc_rapdu_sw(r, SW_FILE_NOT_FOUND);
	if (cfg->n_aids > 0 && !vicc_id_in_list(cfg->aids, cfg->n_aids, a->data, a->lc))
		return vicc_rapdu_sw(r, SW_FILE_NOT_FOUND);
	return select_ok(c, a, 0x84, a->data, a->lc, r);
}

static int select_by_id(struct iso_card *c, const struct vicc_apdu *a, struct vicc_rapdu *r)
{
	static const uint8_t mf[2] = {0x3F, 0x00};
	const struct vicc_config *cfg = c->cfg;
	const uint8_t *fid;

	if (a->lc == 0 && a->p1 == 0x00) {
		fid = mf;
	} else if (a->p1 == 0x08 || a->p1 == 0x09) {
		if (a->lc < 2 || a->lc % 2 != 0)
			return vicc_rapdu_sw(r, SW_WRONG_LENGTH);
		fid = a->data + a->lc - 2; /* last element of the path */
	} else {
		if (a->lc != 2)
			return vicc_rapdu_sw(r, SW_WRONG_LENGTH);
		fid = a->data;
	}
	bool is_mf = memcmp(fid, mf, 2) == 0;
	if (cfg->n_fids > 0 && !is_mf && !vicc_id_in_list(cfg->fids, cfg->n_fids, fid, 2))
		return vicc_rapdu_sw(r, SW_FILE_NOT_FOUND);
	return select_ok(c, a, 0x83, fid, 2, r);
}

static int iso_process(void *state, const uint8_t *capdu, size_t clen, struct vicc_rapdu *r)
{
	struct iso_card *c = state;
	struct vicc_apdu a;

	if (vicc_apdu_parse(capdu, clen, &a) != 0) {
		vicc_pending_clear(&c->pending);
		return vicc_rapdu_sw(r, SW_WRONG_LENGTH);
	}
	if (a.cla == 0xFF) {
		vicc_pending_clear(&c->pending);
		return vicc_rapdu_sw(r, SW_CLA_NOT_SUPPORTED);
	}
	switch (a.ins) {
	case 0xA4:
		if (a.p1 == 0x04)
			return select_by_name(c, &a, r);
		if (a.p1 <= 0x02 || a.p1 == 0x08 || a.p1 == 0x09)
			return select_by_id(c, &a, r);
		return vicc_rapdu_sw(r, SW_WRONG_P1P2);
	case 0xC0:
		return vicc_pending_get_response(&c->pending, &a, r);
	default:
		vicc_pending_clear(&c->pending);
		return vicc_rapdu_sw(r, SW_INS_NOT_SUPPORTED);
	}
}

const struct vicc_applet vicc_applet_iso = {
        .name = "iso",
        .help = "minimal ISO 7816-4 card: SELECT, GET RESPONSE, 6D00 for anything else",
        .default_atr = NULL,
        .create = iso_create,
        .reset = iso_reset,
        .process_apdu = iso_process,
        .destroy = iso_destroy,
};
