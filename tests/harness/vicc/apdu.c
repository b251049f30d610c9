/* C-APDU parsing and R-APDU building shared by the kyso-vicc applets. */
#include "vicc_applet.h"

#include <string.h>

int vicc_apdu_parse(const uint8_t *buf, size_t len, struct vicc_apdu *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 4)
		return -1;
	out->cla = buf[0];
	out->ins = buf[1];
	out->p1 = buf[2];
	out->p2 = buf[3];
	if (len == 4) /* case 1 */
		return 0;
	if (len == 5) { /* case 2 short */
		out->has_le = true;
		out->le = buf[4] ? buf[4] : 256;
		return 0;
	}
	if (buf[4] != 0) { /* case 3 or 4 short */
		size_t lc = buf[4];
		if (len != 5 + lc && len != 6 + lc)
			return -1;
		out->lc = lc;
		out->data = buf + 5;
		if (len == 6 + lc) {
			out->has_le = true;
			out->le = buf[5 + lc] ? buf[5 + lc] : 256;
		}
		return 0;
	}
	/* extended: 00 then two length bytes */
	if (len < 7)
		return -1;
	out->extended = true;
	size_t n = (size_t)buf[5] << 8 | buf[6];
	if (len == 7) { /* case 2 extended */
		out->has_le = true;
		out->le = n ? n : 65536;
		return 0;
	}
	if (n == 0 || (len != 7 + n && len != 9 + n))
		return -1;
	out->lc = n;
	out->data = buf + 7;
	if (len == 9 + n) {
		size_t le = (size_t)buf[7 + n] << 8 | buf[8 + n];
		out->has_le = true;
		out->le = le ? le : 65536;
	}
	return 0;
}

int vicc_rapdu_data(struct vicc_rapdu *r, const uint8_t *data, size_t len)
{
	/* keep room for the status word */
	if (r->len + len + 2 > r->cap)
		return -1;
	if (len > 0)
		memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

int vicc_rapdu_sw(struct vicc_rapdu *r, uint16_t sw)
{
	if (r->len + 2 > r->cap)
		return -1;
	r->buf[r->len++] = (uint8_t)(sw >> 8);
	r->buf[r->len++] = (uint8_t)(sw & 0xFF);
	return 0;
}

bool vicc_id_in_list(const struct vicc_id *list, size_t n, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i].len == len && memcmp(list[i].v, v, len) == 0)
			return true;
	}
	return false;
}

void vicc_pending_clear(struct vicc_pending *p)
{
	p->len = 0;
	p->off = 0;
}

/* Send up to max bytes of what is pending, then 61xx if more is left, else 9000. */
static int pending_send(struct vicc_pending *p, size_t max, struct vicc_rapdu *r)
{
	size_t left = p->len - p->off;
	size_t n = left < max ? left : max;
	if (vicc_rapdu_data(r, p->data + p->off, n) != 0)
		return -1;
	p->off += n;
	left -= n;
	if (left == 0) {
		vicc_pending_clear(p);
		return vicc_rapdu_sw(r, SW_OK);
	}
	return vicc_rapdu_sw(r, (uint16_t)(0x6100 | (left >= 256 ? 0 : left)));
}

int vicc_pending_reply(struct vicc_pending *p, const struct vicc_apdu *a, const uint8_t *data,
                       size_t len, struct vicc_rapdu *r)
{
	vicc_pending_clear(p);
	if (len > sizeof(p->data))
		return -1;
	if (len > 0)
		memcpy(p->data, data, len);
	p->len = len;
	if (len == 0)
		return vicc_rapdu_sw(r, SW_OK);
	if (a->has_le)
		return pending_send(p, a->le, r);
	/* no Le: keep the data for GET RESPONSE */
	return vicc_rapdu_sw(r, (uint16_t)(0x6100 | (len >= 256 ? 0 : len)));
}

int vicc_pending_get_response(struct vicc_pending *p, const struct vicc_apdu *a,
                              struct vicc_rapdu *r)
{
	if (p->off >= p->len) {
		vicc_pending_clear(p);
		return vicc_rapdu_sw(r, SW_COND_NOT_SATISFIED);
	}
	return pending_send(p, a->has_le ? a->le : 256, r);
}
