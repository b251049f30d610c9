/*
 * A token as read from the card: PKCS#15 directory files turned into PKCS#11
 * objects (certificates, public and private keys) with their attributes, plus
 * the PIN rules. Read once per card insertion.
 */
#ifndef KYSO_P11_TOKEN_H
#define KYSO_P11_TOKEN_H

#include <p11-kit/pkcs11.h>

#include "card.h"
#include "p15.h"
#include "kyso_p11_profile.h"

#define TOKEN_MAX_OBJECTS (P15_MAX_CERTS + 2 * P15_MAX_KEYS)
#define OBJ_MAX_ATTRS     32

struct p11_attr {
	CK_ATTRIBUTE_TYPE type;
	uint8_t *val;
	size_t len;
};

struct p11_object {
	CK_OBJECT_CLASS cls;
	int private;     /* only visible after C_Login */
	uint8_t key_ref; /* private keys: MSE SET key reference */
	size_t mod_len;  /* keys: modulus length in bytes */
	struct p11_attr attrs[OBJ_MAX_ATTRS];
	size_t n_attrs;
};

struct pin_rules {
	uint8_t ref;
	unsigned min_len, max_len, stored_len;
	int pad; /* pad byte, -1 for none */
	unsigned max_tries;
};

struct token {
	const struct card_profile *prof;
	struct p15_tokeninfo info;
	struct pin_rules pin;
	struct p11_object objs[TOKEN_MAX_OBJECTS];
	size_t n_objs;
};

/* Which profile serves the card: by ATR, else by selecting each profile's AID. */
enum card_rv token_identify(struct card *c, const struct card_profile **prof);
/* Read the PKCS#15 structures (inside a transaction). CARD_ERROR also for bad data. */
enum card_rv token_load(struct card *c, const struct card_profile *prof, struct token **out);
void token_free(struct token *t);

const struct p11_attr *obj_attr(const struct p11_object *o, CK_ATTRIBUTE_TYPE type);
/* The PIN block VERIFY takes; 0 when the PIN length is out of range. */
size_t token_pin_block(const struct token *t, const uint8_t *pin, size_t len, uint8_t *out,
                       size_t cap);

#endif
