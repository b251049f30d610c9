/* Matching: readers (ATR, name) and USB devices against the catalog, joined
 * into one token per physical device, with confidence and evidence. */
#include "detect_internal.h"

#include <stdlib.h>
#include <string.h>
#include <ctype.h>

enum { SRC_ATR = 1, SRC_USB = 2, SRC_NAME = 4 };

/* Which sources point at type t for this reader / USB device. */
static unsigned sources_for(const kyso_token_type_t *t, const kyso_reader_t *rd,
                            const kyso_usb_device_t *u)
{
	unsigned s = 0;
	if (rd != NULL && rd->state == KYSO_READER_PRESENT && rd->atr_len > 0 &&
	    kyso_token_type_match_atr(t, rd->atr, rd->atr_len))
		s |= SRC_ATR;
	if (rd != NULL && kyso_token_type_match_reader(t, rd->name))
		s |= SRC_NAME;
	if (u != NULL && kyso_token_type_match_usb(t, u->vid, u->pid))
		s |= SRC_USB;
	return s;
}

static unsigned any_match(const kyso_catalog_t *cat, const kyso_reader_t *rd,
                          const kyso_usb_device_t *u)
{
	unsigned s = 0;
	for (size_t i = 0; i < kyso_catalog_count(cat); i++)
		s |= sources_for(kyso_catalog_at(cat, i), rd, u);
	return s;
}

static int popcount3(unsigned s)
{
	return (int)((s & 1u) + ((s >> 1) & 1u) + ((s >> 2) & 1u));
}

/* Strength of a source set: ATR and USB count 2, a reader-name pattern 1. */
static int weight(unsigned s)
{
	return ((s & SRC_ATR) ? 2 : 0) + ((s & SRC_USB) ? 2 : 0) + ((s & SRC_NAME) ? 1 : 0);
}

static kyso_err_t add_evidence(kyso_token_t *t, kyso_evidence_kind_t kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static kyso_err_t add_evidence(kyso_token_t *t, kyso_evidence_kind_t kind, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kyso_evidence_t *e = realloc(t->evidence, (t->n_evidence + 1) * sizeof(*e));
	if (e == NULL)
		return KYSO_ERR_NOMEM;
	t->evidence = e;
	e[t->n_evidence].kind = kind;
	e[t->n_evidence].detail = strdup(buf);
	if (e[t->n_evidence].detail == NULL)
		return KYSO_ERR_NOMEM;
	t->n_evidence++;
	return KYSO_OK;
}

static const kyso_atr_pattern_t *matching_pattern(const kyso_token_type_t *type,
                                                  const kyso_reader_t *rd)
{
	for (size_t i = 0; rd != NULL && i < type->n_atrs; i++)
		if (kyso_atr_pattern_match(&type->atrs[i], rd->atr, rd->atr_len))
			return &type->atrs[i];
	return NULL;
}

static const char *matching_reader_pattern(const kyso_token_type_t *type, const char *name)
{
	for (size_t i = 0; i < type->n_readers; i++)
		if (kyso_glob_match(type->readers[i], name))
			return type->readers[i];
	return NULL;
}

static kyso_err_t evidence_for(kyso_token_t *t, unsigned src)
{
	const kyso_token_type_t *type = t->type;
	kyso_err_t rc = KYSO_OK;
	const kyso_atr_pattern_t *p = (src & SRC_ATR) ? matching_pattern(type, t->reader) : NULL;
	if (p != NULL) {
		char pat[2 * KYSO_ATR_MAX + 1], mask[2 * KYSO_ATR_MAX + 1];
		kyso_atr_hex(p->atr, p->len, pat);
		if (p->has_mask) {
			kyso_atr_hex(p->mask, p->len, mask);
			rc = add_evidence(t, KYSO_EVIDENCE_ATR,
			                  "ATR %s matches catalog ATR %s mask %s",
			                  t->reader->atr_hex, pat, mask);
		} else {
			rc = add_evidence(t, KYSO_EVIDENCE_ATR, "ATR %s equals catalog ATR %s",
			                  t->reader->atr_hex, pat);
		}
	}
	if (rc == KYSO_OK && (src & SRC_USB) && t->usb != NULL)
		rc = add_evidence(t, KYSO_EVIDENCE_USB, "USB ID %04X:%04X is listed for %s",
		                  t->usb->vid, t->usb->pid, type->id);
	if (rc == KYSO_OK && (src & SRC_NAME) && t->reader != NULL)
		rc = add_evidence(t, KYSO_EVIDENCE_READER_NAME,
		                  "reader name \"%s\" matches catalog pattern \"%s\"",
		                  t->reader->name, matching_reader_pattern(type, t->reader->name));
	return rc;
}

static kyso_confidence_t confidence_of(unsigned src, bool tie, bool conflict)
{
	kyso_confidence_t c;
	if ((src & SRC_ATR) && (src & (SRC_USB | SRC_NAME)))
		c = KYSO_CONFIDENCE_HIGH;
	else if (src & (SRC_ATR | SRC_USB))
		c = KYSO_CONFIDENCE_MEDIUM;
	else
		c = KYSO_CONFIDENCE_LOW;
	if ((tie || conflict) && c > KYSO_CONFIDENCE_LOW)
		c--;
	return c;
}

static kyso_err_t make_key(kyso_token_t *t)
{
	char buf[600];
	snprintf(buf, sizeof(buf), "reader=%s;atr=%s;usb=%d-%d",
	         t->reader != NULL ? t->reader->name : "",
	         t->reader != NULL ? t->reader->atr_hex : "", t->usb != NULL ? t->usb->bus : 0,
	         t->usb != NULL ? t->usb->address : 0);
	t->key = strdup(buf);
	return t->key != NULL ? KYSO_OK : KYSO_ERR_NOMEM;
}

/* A ready-to-edit catalog entry for an unknown token. */
static kyso_err_t make_hint(kyso_token_t *t)
{
	json_t *e = json_pack("{s:s, s:s}", "id", "new-token", "name", "?");
	if (e == NULL)
		return KYSO_ERR_NOMEM;
	int bad = 0;
	if (t->reader != NULL && t->reader->atr_len > 0)
		bad |= json_object_set_new(e, "atr",
		                           json_pack("[{s:s}]", "atr", t->reader->atr_hex));
	if (t->usb != NULL) {
		char vid[5], pid[5];
		snprintf(vid, sizeof(vid), "%04X", t->usb->vid);
		snprintf(pid, sizeof(pid), "%04X", t->usb->pid);
		bad |= json_object_set_new(e, "usb",
		                           json_pack("[{s:s, s:s}]", "vid", vid, "pid", pid));
	}
	t->catalog_hint = bad == 0 ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(e);
	return t->catalog_hint != NULL ? KYSO_OK : KYSO_ERR_NOMEM;
}

/* Picks the best catalog type for a reader and/or USB device and fills t. */
static kyso_err_t identify(kyso_token_t *t, const kyso_catalog_t *cat, const char *sclist)
{
	size_t n = kyso_catalog_count(cat);
	int best_w = 0;
	unsigned best_src = 0, all_src = 0;
	bool tie = false;
	for (size_t i = 0; i < n; i++) {
		const kyso_token_type_t *type = kyso_catalog_at(cat, i);
		unsigned s = sources_for(type, t->reader, t->usb);
		all_src |= s;
		if (s == 0)
			continue;
		int w = weight(s);
		if (w > best_w) {
			best_w = w;
			best_src = s;
			t->type = type;
			tie = false;
		} else if (w == best_w) {
			tie = true;
		}
	}
	kyso_err_t rc = KYSO_OK;
	if (t->type != NULL) {
		/* other types that matched at all: alternatives */
		t->alternatives = calloc(n, sizeof(*t->alternatives));
		if (t->alternatives == NULL)
			return KYSO_ERR_NOMEM;
		for (size_t i = 0; i < n; i++) {
			const kyso_token_type_t *type = kyso_catalog_at(cat, i);
			if (type != t->type && sources_for(type, t->reader, t->usb) != 0)
				t->alternatives[t->n_alternatives++].type = type;
		}
		/* ATR says one type, USB another, and none has both */
		bool conflict =
		        popcount3(best_src) == 1 && (all_src & SRC_ATR) && (all_src & SRC_USB);
		t->confidence = confidence_of(best_src, tie, conflict);
		rc = evidence_for(t, best_src);
		if (rc == KYSO_OK && conflict)
			rc = add_evidence(
			        t, best_src & SRC_ATR ? KYSO_EVIDENCE_USB : KYSO_EVIDENCE_ATR,
			        "conflict: the %s points to another catalog entry",
			        best_src & SRC_ATR ? "USB ID" : "ATR");
	} else {
		t->confidence = KYSO_CONFIDENCE_NONE;
		if (t->reader != NULL && t->reader->atr_len > 0 && sclist != NULL)
			t->smartcard_list = kyso_smartcard_list_lookup(sclist, t->reader->atr,
			                                               t->reader->atr_len);
		rc = make_hint(t);
	}
	if (rc == KYSO_OK)
		rc = make_key(t);
	return rc;
}

/* Case-insensitive "needle occurs in hay" (strcasestr is not portable). */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay != '\0'; hay++) {
		size_t i = 0;
		while (i < n && hay[i] != '\0' &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* The USB device that is this reader: its product string is part of the
 * reader name (libccid names readers after the USB strings), or else the
 * only device whose catalog entry agrees with the reader's ATR/name. */
static ssize_t pair_usb(const kyso_detect_result_t *r, const kyso_reader_t *rd, const bool *used,
                        const kyso_catalog_t *cat)
{
	for (size_t i = 0; i < r->n_usb; i++)
		if (!used[i] && r->usb[i].product != NULL && strlen(r->usb[i].product) >= 4 &&
		    contains_ci(rd->name, r->usb[i].product))
			return (ssize_t)i;
	for (size_t i = 0; i < r->n_usb; i++) {
		if (used[i])
			continue;
		for (size_t k = 0; k < kyso_catalog_count(cat); k++) {
			unsigned s = sources_for(kyso_catalog_at(cat, k), rd, &r->usb[i]);
			if ((s & SRC_USB) && (s & (SRC_ATR | SRC_NAME)))
				return (ssize_t)i;
		}
	}
	return -1;
}

kyso_err_t kyso_detect_result_match(kyso_detect_result_t *r, const kyso_catalog_t *cat,
                                    const char *smartcard_list)
{
	if (r == NULL || cat == NULL)
		return KYSO_ERR_USAGE;
	kyso_detect_tokens_clear(r);
	r->catalog = cat;
	size_t cap = r->n_readers + r->n_usb;
	if (cap == 0)
		return KYSO_OK;
	r->tokens = calloc(cap, sizeof(*r->tokens));
	bool *used = calloc(r->n_usb + 1, sizeof(*used));
	if (r->tokens == NULL || used == NULL) {
		free(used);
		return KYSO_ERR_NOMEM;
	}
	const char *sclist = kyso_smartcard_list_path(smartcard_list);
	kyso_err_t rc = KYSO_OK;
	for (size_t i = 0; i < r->n_readers; i++) {
		const kyso_reader_t *rd = &r->readers[i];
		bool card = rd->state == KYSO_READER_PRESENT || rd->state == KYSO_READER_MUTE;
		ssize_t u = pair_usb(r, rd, used, cat);
		if (u >= 0)
			used[u] = true;
		/* an empty reader is a token only when it is a known token's own
		 * reader (a desktop card reader without a card is not a token) */
		if (!card &&
		    (any_match(cat, rd, u >= 0 ? &r->usb[u] : NULL) & (SRC_NAME | SRC_USB)) == 0)
			continue;
		kyso_token_t *t = &r->tokens[r->n_tokens++];
		t->reader = rd;
		t->usb = u >= 0 ? &r->usb[u] : NULL;
	}
	/* One unknown card and one unknown CCID device left: the same token. */
	size_t lone_t = cap, lone_u = cap, n_t = 0, n_u = 0;
	for (size_t i = 0; i < r->n_tokens; i++)
		if (r->tokens[i].usb == NULL && any_match(cat, r->tokens[i].reader, NULL) == 0) {
			lone_t = i;
			n_t++;
		}
	for (size_t i = 0; i < r->n_usb; i++)
		if (!used[i] && r->usb[i].ccid && any_match(cat, NULL, &r->usb[i]) == 0) {
			lone_u = i;
			n_u++;
		}
	if (n_t == 1 && n_u == 1) {
		r->tokens[lone_t].usb = &r->usb[lone_u];
		used[lone_u] = true;
	}
	for (size_t i = 0; i < r->n_usb; i++) {
		if (used[i])
			continue;
		bool known = (any_match(cat, NULL, &r->usb[i]) & SRC_USB) != 0;
		/* an unknown CCID device is most likely one of the readers PC/SC
		 * listed; report it alone only when PC/SC could not list readers */
		if (!known &&
		    (!r->usb[i].ccid || (r->pcsc_status == KYSO_PCSC_OK && r->n_readers > 0)))
			continue;
		r->tokens[r->n_tokens++].usb = &r->usb[i];
	}
	for (size_t i = 0; rc == KYSO_OK && i < r->n_tokens; i++)
		rc = identify(&r->tokens[i], cat, sclist);
	free(used);
	return rc;
}
