/* One incoming WebSocket message, fed as its fragments arrive. The JSON text
 * stays in memory, except the first long string that is all base64 (a PDF,
 * XML or data to sign, AG_RX_SPOOL_MIN bytes or more): that one is decoded as
 * it arrives into a spool file and its content in the text is replaced by
 * ag_rx_placeholder(). No copy of the message's big part is kept in memory,
 * and the request parser (agent_request.c) takes the decoded file as it is. */
#include "agent.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CHUNK ((size_t)256 * 1024) /* base64 characters decoded per write */

static char placeholder[48];

const char *ag_rx_placeholder(void)
{
	if (placeholder[0] == '\0') {
		/* not base64 ('!'), and unguessable: a page cannot name a spool file */
		uint8_t r[16];
		if (RAND_bytes(r, sizeof(r)) != 1)
			memset(r, 0x5a, sizeof(r));
		char hex[33];
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(hex + 2 * i, 3, "%02x", r[i]);
		snprintf(placeholder, sizeof(placeholder), "!kyso-spool!%s", hex);
	}
	return placeholder;
}

void ag_rx_init(ag_rx_t *rx, char *(*new_file)(void))
{
	memset(rx, 0, sizeof(*rx));
	kyso_buf_init(&rx->text);
	rx->new_file = new_file;
	(void)ag_rx_placeholder();
}

void ag_rx_free(ag_rx_t *rx)
{
	kyso_buf_free(&rx->text);
	if (rx->f != NULL)
		fclose(rx->f);
	rx->f = NULL;
	free(rx->obuf);
	rx->obuf = NULL;
	if (rx->path != NULL) {
		remove(rx->path);
		free(rx->path);
		rx->path = NULL;
	}
	ag_rx_init(rx, rx->new_file);
}

/* decodes a run of base64 characters (no quote, no backslash) into the spool */
static void spool_run(ag_rx_t *rx, const char *s, size_t n)
{
	while (n > 0 && !rx->dec.bad && !rx->big && !rx->io_error) {
		size_t k = n > OUT_CHUNK ? OUT_CHUNK : n;
		size_t got = ag_b64_step(&rx->dec, s, k, rx->obuf);
		for (size_t i = 0; i < got && rx->decoded + i < sizeof(rx->head); i++)
			rx->head[rx->decoded + i] = rx->obuf[i];
		rx->decoded += got;
		if (rx->decoded > AG_MAX_PDF)
			rx->big = true;
		else if (got > 0 && fwrite(rx->obuf, 1, got, rx->f) != got)
			rx->io_error = true;
		s += k;
		n -= k;
	}
}

/* spooled string content s[0..n): runs of base64 and the JSON escapes \/ \n \r \t;
 * *end = offset of the closing quote, or n when it did not come yet */
static void spool_text(ag_rx_t *rx, const char *s, size_t n, size_t *end)
{
	size_t i = 0;
	*end = n;
	while (i < n) {
		if (rx->esc) {
			rx->esc = false;
			if (s[i] == '/')
				spool_run(rx, "/", 1);
			else if (s[i] != 'n' && s[i] != 'r' && s[i] != 't')
				rx->dec.bad = true;
			i++;
			continue;
		}
		const char *q = memchr(s + i, '"', n - i);
		size_t lim = q != NULL ? (size_t)(q - s) : n;
		const char *b = memchr(s + i, '\\', lim - i);
		size_t j = b != NULL ? (size_t)(b - s) : lim;
		spool_run(rx, s + i, j - i);
		if (j == n)
			return;
		if (s[j] == '"') {
			*end = j;
			return;
		}
		rx->esc = true;
		i = j + 1;
	}
}

static bool start_spool(ag_rx_t *rx)
{
	rx->path = rx->new_file != NULL ? rx->new_file() : NULL;
	rx->f = rx->path != NULL ? fopen(rx->path, "wb") : NULL;
	rx->obuf = malloc(OUT_CHUNK / 4 * 3 + 3);
	if (rx->f == NULL || rx->obuf == NULL) {
		if (rx->f != NULL)
			fclose(rx->f);
		rx->f = NULL;
		if (rx->path != NULL) {
			remove(rx->path);
			free(rx->path);
			rx->path = NULL;
		}
		free(rx->obuf);
		rx->obuf = NULL;
		return false; /* keep it in memory */
	}
	ag_b64_init(&rx->dec);
	rx->spooling = true;
	rx->esc = false;
	/* what arrived of the string so far */
	size_t end;
	spool_text(rx, (const char *)rx->text.data + rx->str_at, rx->text.len - rx->str_at, &end);
	rx->text.len = rx->str_at;
	return true;
}

static void end_spool(ag_rx_t *rx)
{
	rx->spooling = false;
	rx->spooled = true;
	rx->in_str = false;
	if (!ag_b64_end(&rx->dec))
		rx->dec.bad = true;
	if (fclose(rx->f) != 0)
		rx->io_error = true;
	rx->f = NULL;
	free(rx->obuf);
	rx->obuf = NULL;
	const char *ph = ag_rx_placeholder();
	if (kyso_buf_append(&rx->text, ph, strlen(ph)) != KYSO_OK ||
	    kyso_buf_append(&rx->text, "\"", 1) != KYSO_OK)
		rx->io_error = true;
}

/* appends s[0..n) to the in-memory text, capped at AG_MAX_WS_MSG */
static bool keep(ag_rx_t *rx, const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (rx->text.len + n > AG_MAX_WS_MSG) {
		rx->too_big = true;
		return false;
	}
	if (rx->text.len + n + 1 > rx->text.cap) {
		/* grow by doubling, but never past the limit (not a 128 MiB buffer) */
		size_t want = rx->text.cap < 4096 ? 4096 : rx->text.cap * 2;
		if (want > AG_MAX_WS_MSG + 1)
			want = AG_MAX_WS_MSG + 1;
		if (want < rx->text.len + n + 1)
			want = rx->text.len + n + 1;
		if (kyso_buf_reserve(&rx->text, want - rx->text.len - 1) != KYSO_OK) {
			rx->io_error = true;
			return false;
		}
	}
	return kyso_buf_append(&rx->text, s, n) == KYSO_OK;
}

void ag_rx_feed(ag_rx_t *rx, const void *data, size_t len)
{
	const char *s = data;
	rx->total += len;
	if (rx->too_big || rx->io_error)
		return;
	if (rx->total > AG_MAX_WS_MSG) {
		rx->too_big = true;
		return;
	}
	size_t i = 0;
	while (i < len) {
		if (rx->spooling) {
			size_t end;
			spool_text(rx, s + i, len - i, &end);
			if (end == len - i)
				return;
			i += end + 1;
			end_spool(rx);
			continue;
		}
		size_t start = i;
		bool spool_now = false;
		for (; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (!rx->in_str) {
				if (c == '"') {
					rx->in_str = true;
					rx->esc = false;
					rx->b64ish = true;
					rx->str_at = rx->text.len + (i + 1 - start);
				}
				continue;
			}
			if (rx->esc) {
				rx->esc = false;
				if (c != '/' && c != 'n' && c != 'r' && c != 't')
					rx->b64ish = false;
			} else if (c == '\\') {
				rx->esc = true;
			} else if (c == '"') {
				rx->in_str = false;
			} else if (rx->b64ish && !ag_b64_char(c)) {
				rx->b64ish = false;
			}
			if (rx->in_str && rx->b64ish && !rx->spooled &&
			    rx->text.len + (i + 1 - start) - rx->str_at >= AG_RX_SPOOL_MIN) {
				i++;
				spool_now = true;
				break;
			}
		}
		if (!keep(rx, s + start, i - start))
			return;
		if (spool_now && !start_spool(rx))
			rx->spooled = true; /* no spool file: this one stays in memory */
	}
}
