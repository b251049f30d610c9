/* base64 for PDF bytes and signatures in JSON frames (standard alphabet;
 * decoding also takes the URL-safe one, skips white space and accepts
 * missing padding). */
#include "agent.h"

#include <stdlib.h>

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ag_b64_encode(const uint8_t *d, size_t len, size_t *out_len)
{
	size_t n = (len + 2) / 3 * 4;
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		o[j++] = b64_alpha[(v >> 18) & 63];
		o[j++] = b64_alpha[(v >> 12) & 63];
		o[j++] = i + 1 < len ? b64_alpha[(v >> 6) & 63] : '=';
		o[j++] = i + 2 < len ? b64_alpha[v & 63] : '=';
	}
	o[j] = '\0';
	if (out_len != NULL)
		*out_len = j;
	return o;
}

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

kyso_err_t ag_b64_decode(const char *s, size_t len, kyso_buf_t *out)
{
	kyso_err_t rc = kyso_buf_reserve(out, len / 4 * 3 + 3);
	if (rc != KYSO_OK)
		return rc;
	uint32_t acc = 0;
	int bits = 0;
	bool pad = false;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad = true;
			continue;
		}
		int v = b64_val(c);
		if (v < 0 || pad)
			return KYSO_ERR_BAD_INPUT;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 6)
		return KYSO_ERR_BAD_INPUT; /* a lone 6-bit group cannot end base64 */
	return KYSO_OK;
}
