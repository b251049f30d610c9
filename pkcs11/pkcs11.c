/*
 * kyso-pkcs11: a PKCS#11 v2.40 module for the USB signing tokens in profile.c,
 * talking to them through PC/SC. Slots are readers; a token is present when a
 * profile's ATR/AID matches. Read-only: objects come from the card's PKCS#15
 * structures; signing is done by the card. One lock serialises all calls.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "lock.h"
#include "token.h"

#define MAX_SLOTS         16
#define MAX_SESSIONS      64
#define LIB_VERSION_MAJOR 0
#define LIB_VERSION_MINOR 1

struct slot {
	struct card card;
	struct token *tok;
	unsigned long gen; /* bumped when the token goes away */
	char reader[256];
	int used;
	int reader_gone;
	int foreign; /* connected to a card no profile serves */
	int logged_in;
};

struct session {
	CK_SLOT_ID slot;
	unsigned long gen;
	CK_FLAGS flags;
	/* C_FindObjects */
	CK_OBJECT_HANDLE found[TOKEN_MAX_OBJECTS];
	size_t n_found, pos;
	/* C_Sign */
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	EVP_MD_CTX *md;
	size_t data_len;
	uint8_t data[512];
	int used;
	int find_active;
	int sign_active;
};

struct mech {
	CK_MECHANISM_TYPE type;
	const char *md; /* NULL: the caller gives the DigestInfo */
	uint8_t prefix[19];
	size_t prefix_len;
};

/* DigestInfo prefixes (DER of AlgorithmIdentifier + OCTET STRING header). */
static const struct mech mechs[] = {
        {CKM_RSA_PKCS, NULL, {0}, 0},
        {CKM_SHA256_RSA_PKCS,
         "SHA256",
         {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
          0x05, 0x00, 0x04, 0x20},
         19},
        {CKM_SHA384_RSA_PKCS,
         "SHA384",
         {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
          0x05, 0x00, 0x04, 0x30},
         19},
        {CKM_SHA512_RSA_PKCS,
         "SHA512",
         {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
          0x05, 0x00, 0x04, 0x40},
         19},
};
#define N_MECHS (sizeof(mechs) / sizeof(mechs[0]))

static int initialized;
static SCARDCONTEXT pcsc;
static int have_pcsc;
static struct slot slots[MAX_SLOTS];
static struct session sessions[MAX_SESSIONS];

/* ---- helpers ---- */

static void pad_copy(CK_UTF8CHAR *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n > cap) {
		n = cap;
		while (n > 0 && ((uint8_t)src[n] & 0xC0) == 0x80) /* whole UTF-8 characters */
			n--;
	}
	memset(dst, ' ', cap); /* blank padded, no terminator */
	for (size_t i = 0; i < n; i++)
		dst[i] = (CK_UTF8CHAR)src[i];
}

static int ensure_pcsc(void)
{
	if (have_pcsc && SCardIsValidContext(pcsc) == SCARD_S_SUCCESS)
		return 0;
	if (have_pcsc && SCardReleaseContext(pcsc) != SCARD_S_SUCCESS)
		have_pcsc = 0;
	have_pcsc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &pcsc) == SCARD_S_SUCCESS;
	return have_pcsc ? 0 : -1;
}

/* The daemon went away: its context is unusable, make a new one. */
static int reset_pcsc(void)
{
	if (have_pcsc && SCardReleaseContext(pcsc) != SCARD_S_SUCCESS)
		have_pcsc = 0; /* already invalid: nothing to release */
	have_pcsc = 0;
	return ensure_pcsc();
}

static void end_sign(struct session *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	s->sign_active = 0;
	OPENSSL_cleanse(s->data, sizeof(s->data));
	s->data_len = 0;
}

/* The token went away (or the module shuts down): forget it and its login. */
static void drop_token(struct slot *sl, int reset)
{
	card_disconnect(&sl->card, reset);
	token_free(sl->tok);
	sl->tok = NULL;
	sl->foreign = 0;
	sl->logged_in = 0;
	sl->gen++;
}

static void refresh_readers(void)
{
	DWORD len = 0;
	char *names = NULL;

	for (size_t i = 0; i < MAX_SLOTS; i++)
		slots[i].reader_gone = 1;
	if (ensure_pcsc() != 0)
		return;
	LONG rv = SCardListReaders(pcsc, NULL, NULL, &len);
	if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	    rv == (LONG)SCARD_E_INVALID_HANDLE) {
		/* pcscd was restarted: a new context, once */
		if (reset_pcsc() != 0)
			return;
		rv = SCardListReaders(pcsc, NULL, NULL, &len);
	}
	if (rv != SCARD_S_SUCCESS || len == 0)
		return;
	names = malloc(len);
	if (names == NULL)
		return;
	if (SCardListReaders(pcsc, NULL, names, &len) != SCARD_S_SUCCESS) {
		free(names);
		return;
	}
	for (const char *r = names; (size_t)(r - names) < len && *r != '\0'; r += strlen(r) + 1) {
		size_t i, free_slot = MAX_SLOTS;
		if (strlen(r) >= sizeof(slots[0].reader))
			continue;
		for (i = 0; i < MAX_SLOTS; i++) {
			if (slots[i].used && strcmp(slots[i].reader, r) == 0)
				break;
			if (!slots[i].used && free_slot == MAX_SLOTS)
				free_slot = i;
		}
		if (i == MAX_SLOTS) {
			if (free_slot == MAX_SLOTS)
				continue; /* more readers than slots */
			i = free_slot;
			slots[i].used = 1;
			memcpy(slots[i].reader, r, strlen(r) + 1);
		}
		slots[i].reader_gone = 0;
	}
	free(names);
}

/* Is a token of ours in the slot? Connects, identifies and reads it when new. */
static int slot_update(struct slot *sl)
{
	enum card_rv r;
	if (sl->card.connected) {
		r = card_check(&sl->card);
		if (r == CARD_OK && sl->card.was_reset) {
			sl->card.was_reset = 0;
			sl->logged_in = 0;
		}
		if (r == CARD_OK)
			return sl->tok != NULL;
		drop_token(sl, 0);
	}
	if (!sl->used || sl->reader_gone || ensure_pcsc() != 0)
		return 0;
	if (card_connect(&sl->card, pcsc, sl->reader) != CARD_OK)
		return 0;
	const struct card_profile *prof = NULL;
	struct token *tok = NULL;
	r = card_begin(&sl->card);
	if (r == CARD_OK) {
		r = token_identify(&sl->card, &prof);
		if (r == CARD_OK && prof != NULL)
			r = token_load(&sl->card, prof, &tok);
		card_end(&sl->card, 0);
	}
	sl->card.was_reset = 0;
	if (r != CARD_OK) {
		drop_token(sl, 0);
		return 0;
	}
	sl->tok = tok;
	sl->foreign = tok == NULL;
	return tok != NULL;
}

static CK_RV get_slot(CK_SLOT_ID id, struct slot **out)
{
	if (id >= MAX_SLOTS || !slots[id].used)
		return CKR_SLOT_ID_INVALID;
	*out = &slots[id];
	return CKR_OK;
}

/* A live session on a token that is still there. */
static CK_RV get_session(CK_SESSION_HANDLE h, struct session **s, struct slot **sl)
{
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (h == 0 || h > MAX_SESSIONS || !sessions[h - 1].used)
		return CKR_SESSION_HANDLE_INVALID;
	*s = &sessions[h - 1];
	*sl = &slots[(*s)->slot];
	if ((*sl)->gen != (*s)->gen)
		return CKR_DEVICE_REMOVED;
	if (!slot_update(*sl) || (*sl)->gen != (*s)->gen)
		return CKR_DEVICE_REMOVED;
	return CKR_OK;
}

static CK_RV map_card(struct slot *sl, enum card_rv r)
{
	if (r == CARD_OK)
		return CKR_OK;
	if (r == CARD_REMOVED) {
		drop_token(sl, 0);
		return CKR_DEVICE_REMOVED;
	}
	return CKR_DEVICE_ERROR;
}

/* Start talking to the token: transaction + application selected. */
static CK_RV begin(struct slot *sl)
{
	uint16_t sw = 0;
	enum card_rv r = card_begin(&sl->card);
	if (sl->card.was_reset) { /* another program reset the card: PIN status is gone */
		sl->card.was_reset = 0;
		sl->logged_in = 0;
	}
	if (r != CARD_OK)
		return map_card(sl, r);
	r = card_select_aid(&sl->card, sl->tok->prof->aid, sl->tok->prof->aid_len, &sw);
	if (r != CARD_OK || sw != 0x9000) {
		card_end(&sl->card, 0);
		return r != CARD_OK ? map_card(sl, r) : CKR_DEVICE_ERROR;
	}
	return CKR_OK;
}

static void end(struct slot *sl)
{
	if (sl->tok != NULL)
		card_end(&sl->card, 0);
}

static struct p11_object *get_object(struct slot *sl, CK_OBJECT_HANDLE h)
{
	if (sl->tok == NULL || h == 0 || h > sl->tok->n_objs)
		return NULL;
	struct p11_object *o = &sl->tok->objs[h - 1];
	if (o->private && !sl->logged_in)
		return NULL;
	return o;
}

static const struct mech *find_mech(CK_MECHANISM_TYPE t)
{
	for (size_t i = 0; i < N_MECHS; i++) {
		if (mechs[i].type == t)
			return &mechs[i];
	}
	return NULL;
}

/* ---- general ---- */

CK_RV C_Initialize(CK_VOID_PTR init_args)
{
	CK_C_INITIALIZE_ARGS *a = init_args;
	CK_RV rv = CKR_OK;
	if (a != NULL && a->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	if (initialized) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
	} else {
		memset(slots, 0, sizeof(slots));
		memset(sessions, 0, sizeof(sessions));
		/* pcscd may start later: the context is made again when needed */
		have_pcsc = 0;
		if (ensure_pcsc() != 0)
			have_pcsc = 0;
		initialized = 1;
	}
	lock_give();
	return rv;
}

CK_RV C_Finalize(CK_VOID_PTR reserved)
{
	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	if (!initialized) {
		lock_give();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		if (sessions[i].used)
			end_sign(&sessions[i]);
	}
	memset(sessions, 0, sizeof(sessions));
	for (size_t i = 0; i < MAX_SLOTS; i++)
		drop_token(&slots[i], slots[i].logged_in); /* a logged-in card is reset */
	memset(slots, 0, sizeof(slots));
	if (have_pcsc && SCardReleaseContext(pcsc) != SCARD_S_SUCCESS)
		have_pcsc = 0;
	have_pcsc = 0;
	initialized = 0;
	lock_give();
	return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR info)
{
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad_copy(info->manufacturerID, sizeof(info->manufacturerID), "kyso");
	pad_copy(info->libraryDescription, sizeof(info->libraryDescription),
	         "kyso PKCS#11 for VN signing tokens");
	info->libraryVersion.major = LIB_VERSION_MAJOR;
	info->libraryVersion.minor = LIB_VERSION_MINOR;
	return CKR_OK;
}

/* ---- slots and tokens ---- */

CK_RV C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_SLOT_ID ids[MAX_SLOTS];
	CK_ULONG n = 0;
	CK_RV rv = CKR_OK;
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	if (!initialized) {
		lock_give();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	refresh_readers();
	for (CK_SLOT_ID i = 0; i < MAX_SLOTS; i++) {
		struct slot *sl = &slots[i];
		if (!sl->used || sl->reader_gone) {
			if (sl->used && sl->card.connected)
				drop_token(sl, 0);
			continue;
		}
		if (token_present && !slot_update(sl))
			continue;
		ids[n++] = i;
	}
	if (list != NULL) {
		if (*count < n)
			rv = CKR_BUFFER_TOO_SMALL;
		else
			memcpy(list, ids, n * sizeof(ids[0]));
	}
	*count = n;
	lock_give();
	return rv;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	struct slot *sl;
	CK_RV rv;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		memset(info, 0, sizeof(*info));
		pad_copy(info->slotDescription, sizeof(info->slotDescription), sl->reader);
		pad_copy(info->manufacturerID, sizeof(info->manufacturerID), "PC/SC");
		info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
		if (!sl->reader_gone && slot_update(sl))
			info->flags |= CKF_TOKEN_PRESENT;
	}
	lock_give();
	return rv;
}

/* PIN state from an empty VERIFY: tries left (63Cx), verified (9000), blocked (6983). */
static CK_FLAGS pin_flags(struct slot *sl, uint16_t sw)
{
	unsigned max = sl->tok->pin.max_tries;
	if (sw == 0x6983 || sw == 0x63C0)
		return CKF_USER_PIN_LOCKED;
	if ((sw & 0xFFF0) == 0x63C0) {
		unsigned left = sw & 0x0F;
		CK_FLAGS f = 0;
		if (left < max)
			f |= CKF_USER_PIN_COUNT_LOW;
		if (left == 1)
			f |= CKF_USER_PIN_FINAL_TRY;
		if (sl->logged_in)
			sl->logged_in = 0; /* the card forgot our login */
		return f;
	}
	return 0;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	struct slot *sl;
	CK_RV rv;
	uint16_t sw = 0;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	if (rv == CKR_OK && (sl->reader_gone || !slot_update(sl)))
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK)
		rv = begin(sl);
	if (rv == CKR_OK) {
		enum card_rv r = card_pin_status(&sl->card, sl->tok->pin.ref, &sw);
		end(sl);
		rv = map_card(sl, r);
		if (rv == CKR_DEVICE_REMOVED)
			rv = CKR_TOKEN_NOT_PRESENT;
	} else if (rv == CKR_DEVICE_REMOVED) {
		rv = CKR_TOKEN_NOT_PRESENT;
	}
	if (rv == CKR_OK) {
		const struct token *t = sl->tok;
		memset(info, 0, sizeof(*info));
		pad_copy(info->label, sizeof(info->label),
		         t->info.label[0] ? t->info.label : t->prof->label);
		pad_copy(info->manufacturerID, sizeof(info->manufacturerID), t->prof->manufacturer);
		pad_copy(info->model, sizeof(info->model), t->prof->name);
		pad_copy(info->serialNumber, sizeof(info->serialNumber),
		         t->info.serial[0] ? t->info.serial : "0");
		info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED |
		              CKF_LOGIN_REQUIRED | CKF_WRITE_PROTECTED | pin_flags(sl, sw);
		info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
		info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
		for (size_t i = 0; i < MAX_SESSIONS; i++) {
			if (sessions[i].used && sessions[i].slot == id &&
			    sessions[i].gen == sl->gen) {
				info->ulSessionCount++;
				if (sessions[i].flags & CKF_RW_SESSION)
					info->ulRwSessionCount++;
			}
		}
		info->ulMaxPinLen = t->pin.max_len;
		info->ulMinPinLen = t->pin.min_len;
		info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
		info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
		info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
		info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
		info->hardwareVersion.major = 1;
		info->firmwareVersion.major = 1;
		memset(info->utcTime, ' ', sizeof(info->utcTime));
	}
	lock_give();
	return rv;
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	(void)flags; /* not supported: nothing to look at */
	(void)slot;
	(void)reserved;
	return initialized ? CKR_FUNCTION_NOT_SUPPORTED : CKR_CRYPTOKI_NOT_INITIALIZED;
}

CK_RV C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	struct slot *sl;
	CK_RV rv;
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	if (rv == CKR_OK && list != NULL && *count < N_MECHS)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (rv == CKR_OK && list != NULL)
		for (size_t i = 0; i < N_MECHS; i++)
			list[i] = mechs[i].type;
	if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL)
		*count = N_MECHS;
	lock_give();
	return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	struct slot *sl;
	CK_RV rv;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	if (rv == CKR_OK && find_mech(type) == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv == CKR_OK) {
		info->ulMinKeySize = 1024;
		info->ulMaxKeySize = 4096;
		info->flags = CKF_HW | CKF_SIGN;
	}
	lock_give();
	return rv;
}

/* ---- sessions ---- */

CK_RV C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                    CK_SESSION_HANDLE_PTR out)
{
	struct slot *sl;
	CK_RV rv;
	(void)app; /* callbacks are not used: the module never calls back */
	(void)notify;
	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	if (rv == CKR_OK && (sl->reader_gone || !slot_update(sl)))
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK) {
		size_t i = 0;
		while (i < MAX_SESSIONS && sessions[i].used)
			i++;
		if (i == MAX_SESSIONS) {
			rv = CKR_SESSION_COUNT;
		} else {
			memset(&sessions[i], 0, sizeof(sessions[i]));
			sessions[i].used = 1;
			sessions[i].slot = id;
			sessions[i].gen = sl->gen;
			sessions[i].flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
			*out = (CK_SESSION_HANDLE)(i + 1);
		}
	}
	lock_give();
	return rv;
}

/* Log out of the card: a reset is the only way to clear its PIN status. */
static void logout(struct slot *sl)
{
	if (!sl->logged_in)
		return;
	sl->logged_in = 0;
	if (card_begin(&sl->card) == CARD_OK)
		card_end(&sl->card, 1);
	sl->card.was_reset = 0;
}

static int slot_has_sessions(CK_SLOT_ID id)
{
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		if (sessions[i].used && sessions[i].slot == id)
			return 1;
	}
	return 0;
}

static void close_one(struct session *s)
{
	CK_SLOT_ID id = s->slot;
	end_sign(s);
	memset(s, 0, sizeof(*s));
	if (!slot_has_sessions(id))
		logout(&slots[id]); /* the last session closes: log out as PKCS#11 says */
}

CK_RV C_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv = CKR_OK;
	lock_take();
	if (!initialized)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (h == 0 || h > MAX_SESSIONS || !sessions[h - 1].used)
		rv = CKR_SESSION_HANDLE_INVALID;
	else
		close_one(&sessions[h - 1]);
	lock_give();
	return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID id)
{
	struct slot *sl;
	CK_RV rv;
	lock_take();
	rv = initialized ? get_slot(id, &sl) : CKR_CRYPTOKI_NOT_INITIALIZED;
	for (size_t i = 0; rv == CKR_OK && i < MAX_SESSIONS; i++) {
		if (sessions[i].used && sessions[i].slot == id)
			close_one(&sessions[i]);
	}
	lock_give();
	return rv;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK) {
		int rw = (s->flags & CKF_RW_SESSION) != 0;
		info->slotID = s->slot;
		info->flags = s->flags;
		info->ulDeviceError = 0;
		if (sl->logged_in)
			info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
		else
			info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
	lock_give();
	return rv;
}

/* ---- login ---- */

static CK_RV verify_pin(struct slot *sl, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	uint8_t block[64];
	uint16_t sw = 0;
	size_t n = token_pin_block(sl->tok, pin, len, block, sizeof(block));
	if (n == 0)
		return CKR_PIN_LEN_RANGE;
	CK_RV rv = begin(sl);
	if (rv != CKR_OK) {
		OPENSSL_cleanse(block, sizeof(block));
		return rv;
	}
	/* Exactly one VERIFY: a wrong PIN is never tried again by the module. */
	enum card_rv r = card_verify(&sl->card, sl->tok->pin.ref, block, n, &sw);
	OPENSSL_cleanse(block, sizeof(block));
	end(sl);
	rv = map_card(sl, r);
	if (rv != CKR_OK)
		return rv;
	if (sw == 0x9000) {
		sl->logged_in = 1;
		return CKR_OK;
	}
	if (sw == 0x6983 || sw == 0x63C0)
		return CKR_PIN_LOCKED;
	if ((sw & 0xFFF0) == 0x63C0)
		return CKR_PIN_INCORRECT;
	if (sw == 0x6A80 || sw == 0x6700)
		return CKR_PIN_LEN_RANGE;
	return CKR_DEVICE_ERROR;
}

CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && user != CKU_USER)
		rv = CKR_USER_TYPE_INVALID; /* no SO PIN; keys never need context login */
	if (rv == CKR_OK && sl->logged_in)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	if (rv == CKR_OK && pin == NULL)
		rv = CKR_ARGUMENTS_BAD; /* no PIN pad on these tokens */
	if (rv == CKR_OK)
		rv = verify_pin(sl, pin, len);
	lock_give();
	return rv;
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && !sl->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK) {
		for (size_t i = 0; i < MAX_SESSIONS; i++) {
			if (sessions[i].used && sessions[i].slot == s->slot)
				end_sign(&sessions[i]);
		}
		logout(sl);
	}
	lock_give();
	return rv;
}

/* ---- objects ---- */

static int sensitive(const struct p11_object *o, CK_ATTRIBUTE_TYPE t)
{
	if (o->cls != CKO_PRIVATE_KEY)
		return 0;
	return t == CKA_PRIVATE_EXPONENT || t == CKA_PRIME_1 || t == CKA_PRIME_2 ||
	       t == CKA_EXPONENT_1 || t == CKA_EXPONENT_2 || t == CKA_COEFFICIENT || t == CKA_VALUE;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG count)
{
	struct session *s = NULL;
	struct slot *sl;
	struct p11_object *o = NULL;
	CK_RV rv;
	if (tmpl == NULL && count > 0)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && (o = get_object(sl, obj)) == NULL)
		rv = CKR_OBJECT_HANDLE_INVALID;
	if (rv == CKR_OK) {
		CK_RV worst = CKR_OK;
		for (CK_ULONG i = 0; i < count; i++) {
			CK_ATTRIBUTE *a = &tmpl[i];
			const struct p11_attr *v = obj_attr(o, a->type);
			if (sensitive(o, a->type)) {
				a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
				worst = CKR_ATTRIBUTE_SENSITIVE;
			} else if (v == NULL) {
				a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
				if (worst == CKR_OK)
					worst = CKR_ATTRIBUTE_TYPE_INVALID;
			} else if (a->pValue == NULL) {
				a->ulValueLen = (CK_ULONG)v->len;
			} else if (a->ulValueLen < v->len) {
				a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
				if (worst == CKR_OK)
					worst = CKR_BUFFER_TOO_SMALL;
			} else {
				memcpy(a->pValue, v->val, v->len);
				a->ulValueLen = (CK_ULONG)v->len;
			}
		}
		rv = worst;
	}
	lock_give();
	return rv;
}

static int matches(const struct p11_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	for (CK_ULONG i = 0; i < count; i++) {
		const struct p11_attr *v = obj_attr(o, tmpl[i].type);
		if (v == NULL || v->len != tmpl[i].ulValueLen ||
		    (v->len > 0 &&
		     (tmpl[i].pValue == NULL || memcmp(v->val, tmpl[i].pValue, v->len) != 0)))
			return 0;
	}
	return 1;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (tmpl == NULL && count > 0)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && s->find_active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK) {
		s->n_found = 0;
		s->pos = 0;
		for (CK_OBJECT_HANDLE oh = 1; oh <= sl->tok->n_objs; oh++) {
			const struct p11_object *o = get_object(sl, oh);
			if (o != NULL && matches(o, tmpl, count))
				s->found[s->n_found++] = oh;
		}
		s->find_active = 1;
	}
	lock_give();
	return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR count)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (out == NULL || count == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && !s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		CK_ULONG n = 0;
		while (n < max && s->pos < s->n_found)
			out[n++] = s->found[s->pos++];
		*count = n;
	}
	lock_give();
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && !s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK)
		s->find_active = 0;
	lock_give();
	return rv;
}

/* ---- signing ---- */

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key)
{
	struct session *s = NULL;
	struct slot *sl;
	const struct p11_object *o;
	const struct mech *m;
	CK_RV rv;
	if (mech == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && s->sign_active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK && (m = find_mech(mech->mechanism)) == NULL)
		rv = CKR_MECHANISM_INVALID;
	if (rv == CKR_OK && (mech->pParameter != NULL || mech->ulParameterLen != 0))
		rv = CKR_MECHANISM_PARAM_INVALID;
	if (rv == CKR_OK) {
		o = get_object(sl, key);
		if (o == NULL)
			rv = sl->logged_in ? CKR_KEY_HANDLE_INVALID : CKR_USER_NOT_LOGGED_IN;
		else if (o->cls != CKO_PRIVATE_KEY)
			rv = CKR_KEY_TYPE_INCONSISTENT;
	}
	if (rv == CKR_OK && m->md != NULL) {
		s->md = EVP_MD_CTX_new();
		EVP_MD *md = EVP_MD_fetch(NULL, m->md, NULL);
		if (s->md == NULL || md == NULL || EVP_DigestInit_ex(s->md, md, NULL) != 1)
			rv = CKR_HOST_MEMORY;
		EVP_MD_free(md);
		if (rv != CKR_OK)
			end_sign(s);
	}
	if (rv == CKR_OK) {
		s->sign_active = 1;
		s->mech = mech->mechanism;
		s->key = key;
		s->data_len = 0;
	}
	lock_give();
	return rv;
}

static CK_RV sign_update(struct session *s, const uint8_t *data, size_t len)
{
	if (s->md != NULL)
		return EVP_DigestUpdate(s->md, data, len) == 1 ? CKR_OK : CKR_FUNCTION_FAILED;
	if (len > sizeof(s->data) - s->data_len)
		return CKR_DATA_LEN_RANGE;
	if (len == 0)
		return CKR_OK;
	memcpy(s->data + s->data_len, data, len);
	s->data_len += len;
	return CKR_OK;
}

/* What the card signs: the DigestInfo (given, or made from our hash). */
static CK_RV sign_input(struct session *s, const struct p11_object *key, uint8_t *in, size_t *len)
{
	const struct mech *m = find_mech(s->mech);
	if (s->md == NULL) {
		if (s->data_len == 0 || s->data_len + 11 > key->mod_len)
			return CKR_DATA_LEN_RANGE;
		memcpy(in, s->data, s->data_len);
		*len = s->data_len;
		return CKR_OK;
	}
	unsigned int hl = 0;
	memcpy(in, m->prefix, m->prefix_len);
	if (EVP_DigestFinal_ex(s->md, in + m->prefix_len, &hl) != 1)
		return CKR_FUNCTION_FAILED;
	*len = m->prefix_len + hl;
	return CKR_OK;
}

static CK_RV card_sign(struct slot *sl, const struct p11_object *key, const uint8_t *in, size_t len,
                       uint8_t *sig, size_t *siglen)
{
	uint8_t out[512];
	size_t n = 0;
	uint16_t sw = 0;
	CK_RV rv = begin(sl);
	if (rv != CKR_OK)
		return rv;
	enum card_rv r = card_mse_set_dst(&sl->card, sl->tok->prof->alg_ref, key->key_ref, &sw);
	if (r == CARD_OK && sw == 0x9000)
		r = card_pso_cds(&sl->card, in, len, out, sizeof(out), &n, &sw);
	else if (r == CARD_OK)
		sw = sw == 0x6982 ? sw : 0x6F00; /* MSE refused: our parameters are wrong */
	end(sl);
	rv = map_card(sl, r);
	if (rv != CKR_OK)
		return rv;
	if (sw == 0x6982) {
		sl->logged_in = 0;
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (sw == 0x6A80)
		return CKR_DATA_INVALID;
	if (sw != 0x9000 || n != key->mod_len)
		return CKR_DEVICE_ERROR;
	memcpy(sig, out, n);
	*siglen = n;
	return CKR_OK;
}

/* Finish a signature; the operation stays active only for a size query or a short buffer. */
static CK_RV sign_final(struct session *s, struct slot *sl, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	const struct p11_object *key = get_object(sl, s->key);
	uint8_t in[128];
	size_t len = 0, n = 0;
	CK_RV rv;
	if (key == NULL) {
		end_sign(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (sig == NULL) {
		*siglen = (CK_ULONG)key->mod_len;
		return CKR_OK;
	}
	if (*siglen < key->mod_len) {
		*siglen = (CK_ULONG)key->mod_len;
		return CKR_BUFFER_TOO_SMALL;
	}
	rv = sign_input(s, key, in, &len);
	if (rv == CKR_OK)
		rv = card_sign(sl, key, in, len, sig, &n);
	if (rv == CKR_OK)
		*siglen = (CK_ULONG)n;
	end_sign(s);
	return rv;
}

CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
             CK_ULONG_PTR siglen)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (siglen == NULL || (data == NULL && len > 0))
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_DEVICE_REMOVED && s != NULL)
		end_sign(s);
	if (rv == CKR_OK && !s->sign_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK && sig != NULL) {
		/* one-part: hash (or keep) all data now; a size query keeps the operation */
		rv = sign_update(s, data, len);
		if (rv != CKR_OK)
			end_sign(s);
	}
	if (rv == CKR_OK)
		rv = sign_final(s, sl, sig, siglen);
	lock_give();
	return rv;
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (part == NULL && len > 0)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && !s->sign_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK)
		rv = sign_update(s, part, len);
	if (rv != CKR_OK && rv != CKR_OPERATION_NOT_INITIALIZED && s != NULL)
		end_sign(s);
	lock_give();
	return rv;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	struct session *s = NULL;
	struct slot *sl;
	CK_RV rv;
	if (siglen == NULL)
		return CKR_ARGUMENTS_BAD;
	lock_take();
	rv = get_session(h, &s, &sl);
	if (rv == CKR_OK && !s->sign_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK)
		rv = sign_final(s, sl, sig, siglen);
	else if (rv == CKR_DEVICE_REMOVED && s != NULL)
		end_sign(s);
	lock_give();
	return rv;
}
