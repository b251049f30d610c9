/* ATR parsing and matching with masks; reader-name globs. */
#include "detect_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool kyso_atr_parse(const char *hex, uint8_t *out, size_t *len)
{
	if (hex == NULL)
		return false;
	ssize_t n = kyso_hex_decode(hex, out, KYSO_ATR_MAX);
	if (n <= 0)
		return false;
	*len = (size_t)n;
	return true;
}

bool kyso_atr_pattern_match(const kyso_atr_pattern_t *p, const uint8_t *atr, size_t len)
{
	if (p == NULL || atr == NULL || len != p->len)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t m = p->has_mask ? p->mask[i] : 0xFF;
		if ((atr[i] & m) != (p->atr[i] & m))
			return false;
	}
	return true;
}

bool kyso_glob_match(const char *pattern, const char *text)
{
	/* Iterative glob with one backtrack point: linear-ish, no recursion. */
	const char *star = NULL, *resume = NULL;
	while (*text != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (*pattern == '?' ||
		           tolower((unsigned char)*pattern) == tolower((unsigned char)*text)) {
			pattern++;
			text++;
		} else if (star != NULL) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

void kyso_atr_hex(const uint8_t *atr, size_t len, char *dst)
{
	kyso_hex_encode(atr, len, dst);
}

void kyso_atr_hex_spaced(const uint8_t *atr, size_t len, char *dst)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (i > 0)
			dst[o++] = ' ';
		dst[o++] = digits[atr[i] >> 4];
		dst[o++] = digits[atr[i] & 0x0F];
	}
	dst[o] = '\0';
}

char *kyso_detect_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}
