/* libFuzzer target: kyso-pkcs11's handling of what the card answers. A fake
 * PC/SC reader (the SCard* functions the driver calls, defined here instead
 * of pcsc-lite's) holds one Bit4id token; every APDU the driver sends is
 * answered with the next response taken from the fuzz input, whatever the
 * command was (the model is OpenSC's fuzzer_reader.c). The driver is then
 * driven as a signing program would: slot list, token info (PIN status),
 * objects and their attributes, login, a signature, logout.
 *
 * Input: one mode byte (bit 0: the card reports a reset by another program
 * at the first presence check after connecting; bit 1: log in with a too-short PIN; bit 2: sign
 * with the raw CKM_RSA_PKCS mechanism), then responses, each a 2-byte
 * big-endian length and that many bytes (data + SW1 SW2; a length 0 is an
 * aborted command). At the end of the input the card is pulled out. */
#include <p11-kit/pkcs11.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t bit4id_atr[] = {0x3B, 0xDF, 0x18, 0xFF, 0x81, 0x91, 0xFE, 0x1F, 0xC3,
                                     0x00, 0x31, 0xB8, 0x64, 0x0C, 0x01, 0xEC, 0xC1, 0x73,
                                     0x94, 0x01, 0x80, 0x82, 0x90, 0x00, 0xB3};
static const char reader_names[] = "Fuzz Reader 00 00\0";

static struct {
	const uint8_t *p;
	size_t left;
	int reset_pending;
	int status_calls;
	int removed;
} card;

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

LONG SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT ctx)
{
	(void)scope;
	(void)r1;
	(void)r2;
	*ctx = 1;
	return SCARD_S_SUCCESS;
}

LONG SCardReleaseContext(SCARDCONTEXT ctx)
{
	(void)ctx;
	return SCARD_S_SUCCESS;
}

LONG SCardIsValidContext(SCARDCONTEXT ctx)
{
	return ctx == 1 ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG SCardListReaders(SCARDCONTEXT ctx, LPCSTR groups, LPSTR readers, LPDWORD len)
{
	(void)ctx;
	(void)groups;
	if (readers != NULL) {
		if (*len < sizeof(reader_names))
			return SCARD_E_INSUFFICIENT_BUFFER;
		memcpy(readers, reader_names, sizeof(reader_names));
	}
	*len = sizeof(reader_names);
	return SCARD_S_SUCCESS;
}

LONG SCardConnect(SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protos, LPSCARDHANDLE h,
                  LPDWORD proto)
{
	(void)ctx;
	(void)share;
	(void)protos;
	if (strcmp(reader, reader_names) != 0)
		return SCARD_E_UNKNOWN_READER;
	if (card.removed)
		return SCARD_E_NO_SMARTCARD;
	*h = 7;
	*proto = SCARD_PROTOCOL_T1;
	return SCARD_S_SUCCESS;
}

LONG SCardReconnect(SCARDHANDLE h, DWORD share, DWORD protos, DWORD init, LPDWORD proto)
{
	(void)h;
	(void)share;
	(void)protos;
	(void)init;
	if (card.removed)
		return SCARD_W_REMOVED_CARD;
	*proto = SCARD_PROTOCOL_T1;
	return SCARD_S_SUCCESS;
}

LONG SCardDisconnect(SCARDHANDLE h, DWORD disp)
{
	(void)h;
	(void)disp;
	return SCARD_S_SUCCESS;
}

LONG SCardBeginTransaction(SCARDHANDLE h)
{
	(void)h;
	return card.removed ? SCARD_W_REMOVED_CARD : SCARD_S_SUCCESS;
}

LONG SCardEndTransaction(SCARDHANDLE h, DWORD disp)
{
	(void)h;
	(void)disp;
	return SCARD_S_SUCCESS;
}

LONG SCardStatus(SCARDHANDLE h, LPSTR name, LPDWORD name_len, LPDWORD state, LPDWORD proto,
                 LPBYTE atr, LPDWORD atr_len)
{
	(void)h;
	(void)name;
	if (name_len != NULL)
		*name_len = 0;
	if (card.removed)
		return SCARD_W_REMOVED_CARD;
	if (card.reset_pending && ++card.status_calls == 2) { /* not at connect: at a check */
		card.reset_pending = 0;
		return SCARD_W_RESET_CARD;
	}
	*state = SCARD_PRESENT | SCARD_POWERED | SCARD_SPECIFIC;
	*proto = SCARD_PROTOCOL_T1;
	if (*atr_len < sizeof(bit4id_atr))
		return SCARD_E_INSUFFICIENT_BUFFER;
	memcpy(atr, bit4id_atr, sizeof(bit4id_atr));
	*atr_len = sizeof(bit4id_atr);
	return SCARD_S_SUCCESS;
}

LONG SCardGetStatusChange(SCARDCONTEXT ctx, DWORD timeout, SCARD_READERSTATE *rs, DWORD n)
{
	(void)ctx;
	(void)timeout;
	for (DWORD i = 0; i < n; i++)
		rs[i].dwEventState = card.removed ? SCARD_STATE_EMPTY | SCARD_STATE_CHANGED
		                                  : SCARD_STATE_PRESENT;
	return card.removed ? SCARD_S_SUCCESS : SCARD_E_TIMEOUT;
}

LONG SCardTransmit(SCARDHANDLE h, const SCARD_IO_REQUEST *send_pci, LPCBYTE cmd, DWORD cmd_len,
                   SCARD_IO_REQUEST *recv_pci, LPBYTE resp, LPDWORD resp_len)
{
	(void)h;
	(void)send_pci;
	(void)recv_pci;
	if (cmd == NULL || cmd_len < 4)
		abort(); /* the driver never sends less than a command header */
	if (card.removed || card.left < 2) {
		card.removed = 1;
		return SCARD_W_REMOVED_CARD;
	}
	size_t n = (size_t)card.p[0] << 8 | card.p[1];
	if (getenv("FUZZ_CARD_TRACE") != NULL) {
		for (DWORD i = 0; i < cmd_len && i < 12; i++)
			fprintf(stderr, "%02X", cmd[i]);
		fprintf(stderr, " -> %zu bytes\n", n);
	}
	card.p += 2;
	card.left -= 2;
	if (n > card.left)
		n = card.left;
	if (n > *resp_len) {
		card.p += n;
		card.left -= n;
		return SCARD_E_INSUFFICIENT_BUFFER;
	}
	memcpy(resp, card.p, n);
	*resp_len = (DWORD)n;
	card.p += n;
	card.left -= n;
	return SCARD_S_SUCCESS;
}

static void get_attrs(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	static const CK_ATTRIBUTE_TYPE types[] = {CKA_CLASS,   CKA_LABEL,   CKA_ID,
	                                          CKA_VALUE,   CKA_MODULUS, CKA_PUBLIC_EXPONENT,
	                                          CKA_SUBJECT, CKA_ISSUER,  CKA_KEY_TYPE};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CK_ATTRIBUTE a = {types[i], NULL, 0};
		if (C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
		    a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
			continue;
		a.pValue = malloc(a.ulValueLen + 1);
		if (a.pValue == NULL)
			continue;
		CK_ULONG want = a.ulValueLen;
		if (C_GetAttributeValue(s, o, &a, 1) == CKR_OK && a.ulValueLen > want)
			abort(); /* the module wrote past what it asked for */
		free(a.pValue);
	}
}

static void sign_with(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mt)
{
	CK_MECHANISM m = {mt, NULL, 0};
	static CK_BYTE msg[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                          0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	if (C_SignInit(s, &m, key) != CKR_OK)
		return;
	CK_BYTE sig[1024];
	CK_ULONG len = sizeof(sig);
	if (C_Sign(s, msg, sizeof(msg), sig, &len) == CKR_OK && len > sizeof(sig))
		abort();
}

/* Every object and its attributes; returns the last private key seen. */
static CK_OBJECT_HANDLE find_all(CK_SESSION_HANDLE s)
{
	CK_OBJECT_HANDLE objs[64], key = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	if (C_FindObjectsInit(s, NULL, 0) == CKR_OK) {
		(void)C_FindObjects(s, objs, 64, &n);
		(void)C_FindObjectsFinal(s);
	}
	for (CK_ULONG i = 0; i < n; i++) {
		get_attrs(s, objs[i]);
		CK_OBJECT_CLASS cls;
		CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof(cls)};
		if (C_GetAttributeValue(s, objs[i], &a, 1) == CKR_OK && cls == CKO_PRIVATE_KEY)
			key = objs[i];
	}
	return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	card.p = data + 1;
	card.left = size - 1;
	card.reset_pending = mode & 1;
	card.removed = 0;
	card.status_calls = 0;
	if (C_Initialize(NULL) != CKR_OK)
		abort();
	CK_SLOT_ID slots[16];
	CK_ULONG ns = 16;
	if (C_GetSlotList(CK_TRUE, slots, &ns) == CKR_OK && ns > 0) {
		CK_TOKEN_INFO ti;
		(void)C_GetTokenInfo(slots[0], &ti);
		CK_SESSION_HANDLE s;
		if (C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
			find_all(s);
			static CK_UTF8CHAR pin[] = "1234";
			if (C_Login(s, CKU_USER, pin, (mode & 2) ? 2 : 4) == CKR_OK) {
				/* private objects are visible once logged in */
				CK_OBJECT_HANDLE key = find_all(s);
				if (key != CK_INVALID_HANDLE)
					sign_with(s, key,
					          (mode & 4) ? CKM_RSA_PKCS : CKM_SHA256_RSA_PKCS);
				(void)C_Logout(s);
			}
			(void)C_CloseSession(s);
		}
	}
	C_Finalize(NULL);
	return 0;
}
