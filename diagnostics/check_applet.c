/* Is the signing applet on the card? For tokens served by kyso's own
 * PKCS#11 module the card profile table (pkcs11/profile.c, the
 * same table the module uses) names the applet AID for the token's ATR; the
 * doctor SELECTs it over PC/SC (shared access, in a transaction) when the
 * module sees no token, to tell "applet missing" (6A82) from other causes. */
#include "doctor_int.h"
#include "kyso_p11_profile.h"

#include <stdlib.h>
#include <string.h>
#include <winscard.h>

static applet_state_t select_aid(const char *reader, const struct card_profile *p, uint16_t *sw,
                                 char *err, size_t cap)
{
	SCARDCONTEXT ctx = 0;
	SCARDHANDLE h = 0;
	DWORD proto = 0;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx);
	if (rv == SCARD_S_SUCCESS)
		rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
		                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
	applet_state_t st = APPLET_UNKNOWN;
	if (rv == SCARD_S_SUCCESS && (rv = SCardBeginTransaction(h)) == SCARD_S_SUCCESS) {
		uint8_t cmd[5 + PROFILE_MAX_AID], resp[258];
		cmd[0] = 0x00;
		cmd[1] = 0xA4;
		cmd[2] = 0x04;
		cmd[3] = 0x0C; /* as the module selects it: no response data */
		cmd[4] = (uint8_t)p->aid_len;
		memcpy(cmd + 5, p->aid, p->aid_len);
		DWORD rlen = sizeof(resp);
		const SCARD_IO_REQUEST *pci =
		        proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
		rv = SCardTransmit(h, pci, cmd, (DWORD)(5 + p->aid_len), NULL, resp, &rlen);
		if (rv == SCARD_S_SUCCESS && rlen >= 2) {
			*sw = (uint16_t)(resp[rlen - 2] << 8 | resp[rlen - 1]);
			st = *sw == 0x9000   ? APPLET_PRESENT
			     : *sw == 0x6A82 ? APPLET_MISSING
			                     : APPLET_UNKNOWN;
		}
		if (SCardEndTransaction(h, SCARD_LEAVE_CARD) != SCARD_S_SUCCESS)
			kyso_debug("doctor: SCardEndTransaction failed");
	}
	if (rv != SCARD_S_SUCCESS)
		snprintf(err, cap, "PC/SC error 0x%08lX", (unsigned long)rv);
	if (h != 0 && SCardDisconnect(h, SCARD_LEAVE_CARD) != SCARD_S_SUCCESS)
		kyso_debug("doctor: SCardDisconnect failed");
	if (ctx != 0 && SCardReleaseContext(ctx) != SCARD_S_SUCCESS)
		kyso_debug("doctor: SCardReleaseContext failed");
	return st;
}

applet_state_t kyso_doctor_applet_state(const doctor_t *d, applet_info_t *info)
{
	memset(info, 0, sizeof(*info));
	const kyso_reader_t *rd = d->token != NULL ? kyso_token_reader(d->token) : NULL;
	const char *atr_hex = rd != NULL ? kyso_reader_atr_hex(rd) : NULL;
	uint8_t atr[PROFILE_MAX_ATR];
	ssize_t dn = atr_hex != NULL ? kyso_hex_decode(atr_hex, atr, sizeof(atr)) : -1;
	size_t n = dn > 0 ? (size_t)dn : 0;
	const struct card_profile *p = n > 0 ? profile_by_atr(atr, n) : NULL;
	if (p == NULL)
		return APPLET_UNKNOWN; /* not a card kyso's own module knows */
	kyso_hex_encode(p->aid, p->aid_len, info->aid);
	snprintf(info->reader, sizeof(info->reader), "%s", kyso_reader_name(rd));
	snprintf(info->model, sizeof(info->model), "%s %s", p->manufacturer, p->name);
	return select_aid(info->reader, p, &info->sw, info->error, sizeof(info->error));
}
