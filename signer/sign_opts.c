/* Signing options and digest names. */
#include "kyso_signer.h"

#include <string.h>
#include <strings.h>

void kyso_sign_opts_init(kyso_sign_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->digest = KYSO_DIGEST_SHA256;
}

bool kyso_digest_parse(const char *s, kyso_digest_t *out)
{
	static const struct {
		const char *a, *b;
		kyso_digest_t d;
	} t[] = {{"sha256", "sha-256", KYSO_DIGEST_SHA256},
	         {"sha384", "sha-384", KYSO_DIGEST_SHA384},
	         {"sha512", "sha-512", KYSO_DIGEST_SHA512}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].a) == 0 || strcasecmp(s, t[i].b) == 0) {
			*out = t[i].d;
			return true;
		}
	return false;
}

const char *kyso_digest_name(kyso_digest_t d)
{
	return d == KYSO_DIGEST_SHA384 ? "sha384" : d == KYSO_DIGEST_SHA512 ? "sha512" : "sha256";
}
