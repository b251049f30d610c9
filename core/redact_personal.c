/* Personal data in logs and reports is replaced by a stable short hash
 * (first 4 bytes of SHA-256) so the helpdesk can still group reports. */
#include "core_int.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

void kyso_redact_hash(const char *value, char dst[12])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(value, strlen(value), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 4) {
		memcpy(dst, "[#????????]", 12);
		return;
	}
	dst[0] = '[';
	dst[1] = '#';
	kyso_hex_encode(md, 4, dst + 2);
	for (int i = 2; i < 10; i++)
		dst[i] = (char)tolower((unsigned char)dst[i]);
	dst[10] = ']';
	dst[11] = '\0';
}

void kyso_redact_personal(const char *value)
{
	kyso_core_redact_add_personal(value, kyso_redact_hash);
}
