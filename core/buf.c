/* Growable byte buffers and hex helpers. */
#include <stdarg.h>
#include "kyso_core.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void kyso_buf_init(kyso_buf_t *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

kyso_err_t kyso_buf_reserve(kyso_buf_t *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return KYSO_ERR_NOMEM;
	size_t need = b->len + extra + 1; /* room for a NUL terminator */
	if (need <= b->cap)
		return KYSO_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = malloc(cap);
	if (p == NULL)
		return KYSO_ERR_NOMEM;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		kyso_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return KYSO_OK;
}

kyso_err_t kyso_buf_append(kyso_buf_t *b, const void *data, size_t len)
{
	kyso_err_t rc = kyso_buf_reserve(b, len);
	if (rc != KYSO_OK)
		return rc;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return KYSO_OK;
}

kyso_err_t kyso_buf_printf(kyso_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KYSO_ERR_INTERNAL;
	kyso_err_t rc = kyso_buf_reserve(b, (size_t)n);
	if (rc != KYSO_OK)
		return rc;
	va_start(ap, fmt);
	int m = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (m != n)
		return KYSO_ERR_INTERNAL;
	b->len += (size_t)n;
	return KYSO_OK;
}

void kyso_buf_free(kyso_buf_t *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		kyso_memzero(b->data, b->cap);
		free(b->data);
	}
	kyso_buf_init(b);
}

char *kyso_buf_take_string(kyso_buf_t *b, kyso_err_t rc)
{
	if (rc == KYSO_OK && kyso_buf_append(b, "", 1) == KYSO_OK) {
		char *s = (char *)b->data;
		kyso_buf_init(b);
		return s;
	}
	kyso_buf_free(b);
	return NULL;
}

void kyso_memzero(void *p, size_t len)
{
	if (p == NULL || len == 0)
		return;
	volatile uint8_t *v = p;
	while (len--)
		*v++ = 0;
}

void kyso_hex_encode(const uint8_t *src, size_t len, char *dst)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0x0f];
	}
	dst[2 * len] = '\0';
}

int kyso_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t kyso_hex_decode(const char *hex, uint8_t *dst, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p != '\0'; p++) {
		if (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n') {
			if (hi >= 0)
				return -1; /* odd digit count within a byte */
			continue;
		}
		int v = kyso_hex_digit((unsigned char)*p);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		dst[n++] = (uint8_t)((hi << 4) | v);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (ssize_t)n;
}

bool kyso_str_printf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < cap;
}
