/* base64 for PDF bytes and signatures in JSON frames (standard alphabet;
 * decoding also takes the URL-safe one, skips white space and accepts
 * missing padding). The decoder is incremental (ag_b64_step): a message's
 * base64 is decoded as its frames arrive. */
#include "agent.h"

#include <stdlib.h>

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ag_b64_encode(const uint8_t *d, size_t len, size_t *out_len)
{
	size_t n = (len + 2) / 3 * 4;
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	size_t j = ag_b64_encode_to(d, len, o);
	o[j] = '\0';
	if (out_len != NULL)
		*out_len = j;
	return o;
}

size_t ag_b64_encode_to(const uint8_t *d, size_t len, char *o)
{
	size_t j = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		o[j] = b64_alpha[(v >> 18) & 63];
		o[j + 1] = b64_alpha[(v >> 12) & 63];
		o[j + 2] = b64_alpha[(v >> 6) & 63];
		o[j + 3] = b64_alpha[v & 63];
		j += 4;
	}
	if (i < len) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		o[j++] = b64_alpha[(v >> 18) & 63];
		o[j++] = b64_alpha[(v >> 12) & 63];
		o[j++] = i + 1 < len ? b64_alpha[(v >> 6) & 63] : '=';
		o[j++] = '=';
	}
	return j;
}

/* 0..63: a digit; B64_WS: skipped; B64_PAD: '='; B64_BAD: anything else */
enum { B64_WS = 64, B64_PAD = 65, B64_BAD = 66 };
static uint8_t b64_tab[256];

static void b64_tab_init(void)
{
	/* entry 0 (NUL: not base64) is written last and tells the table is ready */
	if (__atomic_load_n(&b64_tab[0], __ATOMIC_ACQUIRE) == B64_BAD)
		return;
	for (int c = 1; c < 256; c++) {
		uint8_t v = B64_BAD;
		if (c >= 'A' && c <= 'Z')
			v = (uint8_t)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			v = (uint8_t)(c - 'a' + 26);
		else if (c >= '0' && c <= '9')
			v = (uint8_t)(c - '0' + 52);
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			v = B64_WS;
		else if (c == '=')
			v = B64_PAD;
		b64_tab[c] = v;
	}
	__atomic_store_n(&b64_tab[0], (uint8_t)B64_BAD, __ATOMIC_RELEASE);
}

void ag_b64_init(ag_b64_t *st)
{
	b64_tab_init();
	st->acc = 0;
	st->bits = 0;
	st->pad = st->bad = false;
}

size_t ag_b64_step(ag_b64_t *st, const char *s, size_t len, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t j = 0, i = 0;
	if (st->bad)
		return 0;
	while (i < len) {
		/* fast path: whole groups of four digits */
		if (st->bits == 0 && !st->pad) {
			while (i + 4 <= len) {
				uint32_t a = b64_tab[p[i]], b = b64_tab[p[i + 1]],
				         c = b64_tab[p[i + 2]], d = b64_tab[p[i + 3]];
				if ((a | b | c | d) > 63)
					break;
				uint32_t v = a << 18 | b << 12 | c << 6 | d;
				out[j] = (uint8_t)(v >> 16);
				out[j + 1] = (uint8_t)(v >> 8);
				out[j + 2] = (uint8_t)v;
				j += 3;
				i += 4;
			}
			if (i >= len)
				break;
		}
		uint8_t v = b64_tab[p[i++]];
		if (v == B64_WS)
			continue;
		if (v == B64_PAD) {
			st->pad = true;
			continue;
		}
		if (v == B64_BAD || st->pad) {
			st->bad = true;
			return j;
		}
		st->acc = (st->acc << 6) | v;
		st->bits += 6;
		if (st->bits >= 8) {
			st->bits -= 8;
			out[j++] = (uint8_t)(st->acc >> st->bits);
		}
	}
	return j;
}

bool ag_b64_end(const ag_b64_t *st)
{
	/* a lone 6-bit group cannot end base64 */
	return !st->bad && st->bits < 6;
}

kyso_err_t ag_b64_decode(const char *s, size_t len, kyso_buf_t *out)
{
	kyso_err_t rc = kyso_buf_reserve(out, len / 4 * 3 + 3);
	if (rc != KYSO_OK)
		return rc;
	ag_b64_t st;
	ag_b64_init(&st);
	out->len += ag_b64_step(&st, s, len, out->data + out->len);
	return ag_b64_end(&st) ? KYSO_OK : KYSO_ERR_BAD_INPUT;
}

bool ag_b64_char(unsigned char c)
{
	b64_tab_init();
	return b64_tab[c] <= B64_PAD;
}
