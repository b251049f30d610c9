/* Hex strings for ATRs, AIDs and APDUs. */
#include "vicc_applet.h"

#include <ctype.h>

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex; spaces and ':' between bytes are allowed. -1 on bad input or overflow. */
int vicc_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = 0;
	const char *s = hex;
	while (*s != '\0') {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		int hi = nibble(s[0]);
		int lo = s[1] != '\0' ? nibble(s[1]) : -1;
		if (hi < 0 || lo < 0 || n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*outlen = n;
	return 0;
}

void vicc_hex_fprint(FILE *stream, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(stream, "%02X", b[i]);
}
