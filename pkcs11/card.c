/* PC/SC access and ISO 7816-4/-8 commands. */
#include "card.h"

#include <stdlib.h>
#include <string.h>

#define CARD_MAX_EF 32767
/* How long a failed command may wait for PC/SC to report the card gone. */
#define CARD_REMOVAL_WAIT_MS 1500

static const DWORD protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;

static int is_removed(LONG rv)
{
	return rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
	       rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_E_UNKNOWN_READER ||
	       rv == SCARD_E_NO_READERS_AVAILABLE || rv == (LONG)SCARD_E_INVALID_HANDLE;
}

enum card_rv card_connect(struct card *c, SCARDCONTEXT ctx, const char *reader)
{
	DWORD state = 0, proto = 0, alen = sizeof(c->atr), rlen = 0;
	LONG rv;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	if (strlen(reader) >= sizeof(c->reader))
		return CARD_ERROR;
	memcpy(c->reader, reader, strlen(reader) + 1);
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, protocols, &c->h, &c->proto);
	if (rv != SCARD_S_SUCCESS)
		return is_removed(rv) || rv == SCARD_W_UNRESPONSIVE_CARD ||
		                       rv == SCARD_W_UNPOWERED_CARD
		               ? CARD_REMOVED
		               : CARD_ERROR;
	rv = SCardStatus(c->h, NULL, &rlen, &state, &proto, c->atr, &alen);
	if (rv != SCARD_S_SUCCESS) {
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		return is_removed(rv) ? CARD_REMOVED : CARD_ERROR;
	}
	c->atr_len = alen;
	c->connected = 1;
	return CARD_OK;
}

void card_disconnect(struct card *c, int reset)
{
	if (!c->connected)
		return;
	/* Nothing useful can be done when this fails: the handle is gone either way. */
	if (SCardDisconnect(c->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD) != SCARD_S_SUCCESS)
		c->h = 0;
	c->connected = 0;
}

/* After a reset by another program: reconnect and remember that the PIN status is gone. */
static enum card_rv reconnect(struct card *c)
{
	LONG rv = SCardReconnect(c->h, SCARD_SHARE_SHARED, protocols, SCARD_LEAVE_CARD, &c->proto);
	if (rv != SCARD_S_SUCCESS)
		return is_removed(rv) ? CARD_REMOVED : CARD_ERROR;
	c->was_reset = 1;
	return CARD_OK;
}

enum card_rv card_check(struct card *c)
{
	DWORD state = 0, proto = 0, alen = sizeof(c->atr), rlen = 0;
	uint8_t atr[33];
	if (!c->connected)
		return CARD_REMOVED;
	LONG rv = SCardStatus(c->h, NULL, &rlen, &state, &proto, atr, &alen);
	if (rv == SCARD_W_RESET_CARD)
		return reconnect(c);
	if (rv != SCARD_S_SUCCESS)
		return is_removed(rv) ? CARD_REMOVED : CARD_ERROR;
	return (state & SCARD_PRESENT) ? CARD_OK : CARD_REMOVED;
}

/* A command failed: wait a little for PC/SC to tell whether the card is gone. */
static enum card_rv classify_failure(struct card *c)
{
	SCARD_READERSTATE rs;
	memset(&rs, 0, sizeof(rs));
	rs.szReader = c->reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	for (int i = 0; i < 2; i++) {
		LONG rv = SCardGetStatusChange(c->ctx, i == 0 ? 0 : CARD_REMOVAL_WAIT_MS, &rs, 1);
		if (rv == SCARD_E_TIMEOUT)
			break;
		if (rv != SCARD_S_SUCCESS)
			return CARD_REMOVED; /* reader gone or pcscd gone */
		if (rs.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE))
			return CARD_REMOVED;
		rs.dwCurrentState = rs.dwEventState;
	}
	return CARD_ERROR;
}

enum card_rv card_begin(struct card *c)
{
	if (!c->connected)
		return CARD_REMOVED;
	LONG rv = SCardBeginTransaction(c->h);
	if (rv == SCARD_W_RESET_CARD) {
		enum card_rv r = reconnect(c);
		if (r != CARD_OK)
			return r;
		rv = SCardBeginTransaction(c->h);
	}
	if (rv != SCARD_S_SUCCESS)
		return is_removed(rv) ? CARD_REMOVED : CARD_ERROR;
	return CARD_OK;
}

void card_end(struct card *c, int reset)
{
	if (!c->connected)
		return;
	/* Failing to end means the card or reader went away; the next command reports it. */
	if (SCardEndTransaction(c->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD) !=
	    SCARD_S_SUCCESS)
		return;
}

static enum card_rv transmit(struct card *c, const uint8_t *cmd, size_t len, uint8_t *resp,
                             size_t cap, size_t *rlen)
{
	const SCARD_IO_REQUEST *pci = c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD n = (DWORD)cap;
	LONG rv = SCardTransmit(c->h, pci, cmd, (DWORD)len, NULL, resp, &n);
	if (rv == SCARD_W_RESET_CARD) {
		/* another program reset the card: our selection and PIN status are gone */
		enum card_rv r = reconnect(c);
		return r == CARD_OK ? CARD_ERROR : r;
	}
	if (rv != SCARD_S_SUCCESS)
		return is_removed(rv) ? CARD_REMOVED : classify_failure(c);
	if (n < 2) /* vpcd answers an aborted command with nothing */
		return classify_failure(c);
	*rlen = n;
	return CARD_OK;
}

enum card_rv card_apdu(struct card *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                       size_t *rlen, uint16_t *sw)
{
	uint8_t buf[258 + 5];
	uint8_t again[261 + 5];
	size_t n = 0, total = 0;
	enum card_rv r;

	*rlen = 0;
	*sw = 0;
	if (len > sizeof(again))
		return CARD_ERROR;
	r = transmit(c, cmd, len, buf, sizeof(buf), &n);
	if (r != CARD_OK)
		return r;
	if (buf[n - 2] == 0x6C && len >= 5) { /* wrong Le: repeat with the right one */
		memcpy(again, cmd, len);
		again[len - 1] = buf[n - 1];
		r = transmit(c, again, len, buf, sizeof(buf), &n);
		if (r != CARD_OK)
			return r;
	}
	for (int rounds = 0;; rounds++) {
		size_t data = n - 2;
		if (total + data > cap)
			return CARD_ERROR;
		memcpy(resp + total, buf, data);
		total += data;
		*sw = (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
		if (buf[n - 2] != 0x61 || rounds > 64)
			break;
		uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, buf[n - 1]};
		r = transmit(c, gr, sizeof(gr), buf, sizeof(buf), &n);
		if (r != CARD_OK)
			return r;
	}
	*rlen = total;
	return CARD_OK;
}

enum card_rv card_select_aid(struct card *c, const uint8_t *aid, size_t len, uint16_t *sw)
{
	uint8_t cmd[5 + 16], resp[258];
	size_t rlen;
	if (len > 16)
		return CARD_ERROR;
	cmd[0] = 0x00;
	cmd[1] = 0xA4;
	cmd[2] = 0x04;
	cmd[3] = 0x0C; /* no response data */
	cmd[4] = (uint8_t)len;
	memcpy(cmd + 5, aid, len);
	return card_apdu(c, cmd, 5 + len, resp, sizeof(resp), &rlen, sw);
}

static enum card_rv select_ef(struct card *c, uint16_t fid, uint16_t *sw)
{
	uint8_t cmd[7] = {0x00, 0xA4, 0x02, 0x0C, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid};
	uint8_t resp[258];
	size_t rlen;
	return card_apdu(c, cmd, sizeof(cmd), resp, sizeof(resp), &rlen, sw);
}

enum card_rv card_read_ef(struct card *c, uint16_t fid, size_t chunk, uint8_t **data, size_t *len,
                          uint16_t *sw)
{
	uint8_t *buf = NULL;
	size_t off = 0;
	enum card_rv r;

	*data = NULL;
	*len = 0;
	if (chunk == 0 || chunk > 256)
		chunk = 256;
	r = select_ef(c, fid, sw);
	if (r != CARD_OK || *sw != 0x9000)
		return r;
	buf = malloc(CARD_MAX_EF);
	if (buf == NULL)
		return CARD_ERROR;
	while (off < CARD_MAX_EF) {
		uint8_t cmd[5] = {0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off,
		                  (uint8_t)(chunk == 256 ? 0 : chunk)};
		uint8_t resp[256 * 2];
		size_t n = 0;
		r = card_apdu(c, cmd, sizeof(cmd), resp, sizeof(resp), &n, sw);
		if (r != CARD_OK) {
			free(buf);
			return r;
		}
		if ((*sw != 0x9000 && *sw != 0x6282) || n == 0)
			break;
		if (n > CARD_MAX_EF - off)
			n = CARD_MAX_EF - off;
		memcpy(buf + off, resp, n);
		off += n;
		if (*sw == 0x6282) /* end of file reached */
			break;
	}
	/* Running past the end (6B00 / 6282 / empty) ends a file that was read. */
	if (off == 0) {
		free(buf);
		if (*sw == 0x9000)
			*sw = 0x6282;
		return CARD_OK;
	}
	*sw = 0x9000;
	*data = buf;
	*len = off;
	return CARD_OK;
}

enum card_rv card_pin_status(struct card *c, uint8_t ref, uint16_t *sw)
{
	/* The form the field report used: case 2 with Le = 00; no try is used. */
	uint8_t cmd[5] = {0x00, 0x20, 0x00, ref, 0x00};
	uint8_t resp[258];
	size_t rlen;
	return card_apdu(c, cmd, sizeof(cmd), resp, sizeof(resp), &rlen, sw);
}

enum card_rv card_verify(struct card *c, uint8_t ref, const uint8_t *block, size_t len,
                         uint16_t *sw)
{
	uint8_t cmd[5 + 64], resp[258];
	size_t rlen;
	enum card_rv r;
	if (len == 0 || len > 64)
		return CARD_ERROR;
	cmd[0] = 0x00;
	cmd[1] = 0x20;
	cmd[2] = 0x00;
	cmd[3] = ref;
	cmd[4] = (uint8_t)len;
	memcpy(cmd + 5, block, len);
	r = card_apdu(c, cmd, 5 + len, resp, sizeof(resp), &rlen, sw);
	memset(cmd, 0, sizeof(cmd));
	return r;
}

enum card_rv card_mse_set_dst(struct card *c, uint8_t alg, uint8_t key, uint16_t *sw)
{
	/* MSE SET for computation (41), Digital Signature Template (B6) */
	uint8_t cmd[11] = {0x00, 0x22, 0x41, 0xB6, 0x06, 0x80, 0x01, alg, 0x84, 0x01, key};
	uint8_t resp[258];
	size_t rlen;
	return card_apdu(c, cmd, sizeof(cmd), resp, sizeof(resp), &rlen, sw);
}

enum card_rv card_pso_cds(struct card *c, const uint8_t *in, size_t len, uint8_t *sig, size_t cap,
                          size_t *siglen, uint16_t *sw)
{
	uint8_t cmd[6 + 255];
	if (len == 0 || len > 255)
		return CARD_ERROR;
	cmd[0] = 0x00;
	cmd[1] = 0x2A;
	cmd[2] = 0x9E;
	cmd[3] = 0x9A;
	cmd[4] = (uint8_t)len;
	memcpy(cmd + 5, in, len);
	cmd[5 + len] = 0x00; /* Le: up to 256 bytes (RSA-2048) */
	return card_apdu(c, cmd, 6 + len, sig, cap, siglen, sw);
}
