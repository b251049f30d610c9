/*
 * winscard.dll for the wine tests (never shipped): the PC/SC API kyso.exe and
 * kyso-pkcs11.dll use, served by the harness's virtual cards (kyso-vicc).
 *
 * On Linux vpcd (a reader driver inside pcscd) listens on a TCP port per
 * reader and kyso-vicc connects to it; here this DLL plays vpcd's part: the
 * first SCardEstablishContext of a process listens on 127.0.0.1 ports
 * KYSO_TEST_VPCD_PORT + i (reader i, "Virtual PCD 00 0i"), and a card that
 * connects is inserted, a card that closes its connection removed. Messages
 * are vpcd's: a 2-byte big-endian length, then one control byte (00 power
 * off, 01 power on, 02 reset, 04 give the ATR) or an APDU.
 *
 * Environment (read at the first SCardEstablishContext):
 *   KYSO_TEST_VPCD_PORT     base port; unset: SCARD_E_NO_SERVICE, like a
 *                           stopped Smart Card service
 *   KYSO_TEST_VPCD_READERS  number of readers (default 2; 0: no reader)
 *   KYSO_TEST_VPCD_SETTLE_MS how long the first context waits for cards to
 *                           connect (default 1000; ends when every reader
 *                           has one)
 *   KYSO_TEST_VPCD_LOG      file that gets one line per call (debugging)
 */
#define WINSCARDAPI  __declspec(dllexport)
#define WINSCARDDATA __declspec(dllexport)
#include <winsock2.h>
#include <windows.h>
#include <winscard.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_READERS 4
#define MAX_HANDLES 64
#define CTX_MAGIC   0x6B790000u
#define CARD_MAGIC  0x63610000u

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

struct reader {
	char name[64];
	SOCKET listener;
	SOCKET card; /* INVALID_SOCKET: empty */
	BYTE atr[33];
	DWORD atr_len;
	DWORD events;   /* insertions + removals, the high word of the states */
	DWORD inserted; /* generation of the card in the reader */
	DWORD resets;
	int exclusive;
};

struct handle {
	int used;
	int reader;
	DWORD generation;
	DWORD resets;
	DWORD proto;
	DWORD share;
};

static CRITICAL_SECTION lock;
static int started, n_readers;
static struct reader readers[MAX_READERS];
static struct handle handles[MAX_HANDLES];
static int contexts[MAX_HANDLES];
static volatile LONG cancelled;
static FILE *log_file;

static void say(const char *fmt, ...)
{
	if (log_file == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(log_file, "[%lu] ", GetCurrentProcessId());
	vfprintf(log_file, fmt, ap);
	fputc('\n', log_file);
	fflush(log_file);
	va_end(ap);
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved);
BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst;
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH)
		InitializeCriticalSection(&lock);
	return TRUE;
}

/* ---- the vpcd link ---------------------------------------------------- */

static int io_full(SOCKET s, BYTE *buf, int len, int sending)
{
	int done = 0;
	while (done < len) {
		int n = sending ? send(s, (const char *)buf + done, len - done, 0)
		                : recv(s, (char *)buf + done, len - done, 0);
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int link_send(SOCKET s, const BYTE *msg, DWORD len)
{
	BYTE hdr[2] = {(BYTE)(len >> 8), (BYTE)len};
	return io_full(s, hdr, 2, 1) == 0 && io_full(s, (BYTE *)msg, (int)len, 1) == 0 ? 0 : -1;
}

/* 0 ok (message in buf, *len), -1 link gone or message too long */
static int link_recv(SOCKET s, BYTE *buf, DWORD cap, DWORD *len)
{
	BYTE hdr[2];
	if (io_full(s, hdr, 2, 0) != 0)
		return -1;
	DWORD n = (DWORD)hdr[0] << 8 | hdr[1];
	if (n > cap)
		return -1;
	*len = n;
	return n == 0 || io_full(s, buf, (int)n, 0) == 0 ? 0 : -1;
}

static void card_gone(struct reader *r)
{
	/* a reset, not a FIN: no TIME_WAIT keeps the next process from listening */
	struct linger lg = {1, 0};
	setsockopt(r->card, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof(lg));
	closesocket(r->card);
	r->card = INVALID_SOCKET;
	r->atr_len = 0;
	r->exclusive = 0;
	r->events++;
	say("%s: card removed", r->name);
}

static void card_arrived(struct reader *r, SOCKET s)
{
	static const BYTE want_atr = 0x04, power_on = 0x01;
	BYTE atr[0x100];
	DWORD len = 0;
	struct linger lg = {1, 0};
	BOOL one = TRUE;
	DWORD tmo = 10000;

	setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof(lg));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&tmo, sizeof(tmo));
	if (link_send(s, &power_on, 1) != 0 || link_send(s, &want_atr, 1) != 0 ||
	    link_recv(s, atr, sizeof(atr), &len) != 0 || len < 2 || len > sizeof(r->atr)) {
		say("%s: a card connected but gave no ATR", r->name);
		closesocket(s);
		return;
	}
	memcpy(r->atr, atr, len);
	r->atr_len = len;
	r->card = s;
	r->events++;
	r->inserted++;
	say("%s: card inserted (ATR %lu bytes)", r->name, len);
}

/* Take in arrivals and departures; wait up to wait_ms for the first event. */
static void poll_cards(DWORD wait_ms)
{
	fd_set rd;
	FD_ZERO(&rd);
	for (int i = 0; i < n_readers; i++) {
		if (readers[i].listener != INVALID_SOCKET && readers[i].card == INVALID_SOCKET)
			FD_SET(readers[i].listener, &rd);
		if (readers[i].card != INVALID_SOCKET)
			FD_SET(readers[i].card, &rd);
	}
	if (rd.fd_count == 0) {
		if (wait_ms > 0)
			Sleep(wait_ms);
		return;
	}
	struct timeval tv = {(long)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000};
	if (select(0, &rd, NULL, NULL, &tv) <= 0)
		return;
	for (int i = 0; i < n_readers; i++) {
		struct reader *r = &readers[i];
		if (r->card != INVALID_SOCKET && FD_ISSET(r->card, &rd)) {
			/* the card never speaks first: readable means it hung up */
			char c;
			int n = recv(r->card, &c, 1, MSG_PEEK);
			if (n <= 0)
				card_gone(r);
		} else if (r->card == INVALID_SOCKET && r->listener != INVALID_SOCKET &&
		           FD_ISSET(r->listener, &rd)) {
			SOCKET s = accept(r->listener, NULL, NULL);
			if (s != INVALID_SOCKET)
				card_arrived(r, s);
		}
	}
}

static int all_inserted(void)
{
	for (int i = 0; i < n_readers; i++)
		if (readers[i].card == INVALID_SOCKET)
			return 0;
	return 1;
}

/* The "service": listeners for every reader, started once per process. */
static LONG start_service(void)
{
	if (started)
		return SCARD_S_SUCCESS;
	const char *lp = getenv("KYSO_TEST_VPCD_LOG");
	if (lp != NULL && log_file == NULL)
		log_file = fopen(lp, "a");
	const char *port = getenv("KYSO_TEST_VPCD_PORT");
	if (port == NULL || atoi(port) <= 0) {
		say("no KYSO_TEST_VPCD_PORT: no service");
		return SCARD_E_NO_SERVICE;
	}
	const char *nr = getenv("KYSO_TEST_VPCD_READERS");
	n_readers = nr != NULL ? atoi(nr) : 2;
	if (n_readers < 0 || n_readers > MAX_READERS)
		n_readers = 2;
	WSADATA wsa;
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return SCARD_F_INTERNAL_ERROR;
	for (int i = 0; i < n_readers; i++) {
		struct reader *r = &readers[i];
		struct sockaddr_in sa;
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "Virtual PCD 00 %02d", i);
		r->card = INVALID_SOCKET;
		r->listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((u_short)(atoi(port) + i));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		/* the previous process's listener may still be closing: retry a little */
		int bound = -1;
		for (int t = 0; r->listener != INVALID_SOCKET && bound != 0 && t < 20; t++) {
			bound = bind(r->listener, (struct sockaddr *)&sa, sizeof(sa));
			if (bound != 0)
				Sleep(50);
		}
		if (r->listener == INVALID_SOCKET || bound != 0 || listen(r->listener, 1) != 0) {
			/* another process holds this reader: it stays empty here */
			say("%s: cannot listen on port %d (%d)", r->name, atoi(port) + i,
			    WSAGetLastError());
			if (r->listener != INVALID_SOCKET)
				closesocket(r->listener);
			r->listener = INVALID_SOCKET;
		}
	}
	started = 1;
	const char *sm = getenv("KYSO_TEST_VPCD_SETTLE_MS");
	DWORD settle = sm != NULL ? (DWORD)atoi(sm) : 1000;
	DWORD t0 = GetTickCount();
	while (!all_inserted() && GetTickCount() - t0 < settle)
		poll_cards(50);
	return SCARD_S_SUCCESS;
}

/* ---- contexts and handles --------------------------------------------- */

static int ctx_index(SCARDCONTEXT c)
{
	ULONG_PTR v = (ULONG_PTR)c;
	if ((v & 0xFFFF0000u) != CTX_MAGIC || (v & 0xFFFF) >= MAX_HANDLES || !contexts[v & 0xFFFF])
		return -1;
	return (int)(v & 0xFFFF);
}

static struct handle *card_handle(SCARDHANDLE h)
{
	ULONG_PTR v = (ULONG_PTR)h;
	if ((v & 0xFFFF0000u) != CARD_MAGIC || (v & 0xFFFF) >= MAX_HANDLES ||
	    !handles[v & 0xFFFF].used)
		return NULL;
	return &handles[v & 0xFFFF];
}

static int find_reader(const char *name)
{
	for (int i = 0; i < n_readers; i++)
		if (strcmp(readers[i].name, name) == 0)
			return i;
	return -1;
}

/* SCARD_S_SUCCESS when the handle's card is still the one it connected to */
static LONG handle_state(struct handle *h)
{
	struct reader *r = &readers[h->reader];
	poll_cards(0);
	if (r->card == INVALID_SOCKET || r->inserted != h->generation)
		return SCARD_W_REMOVED_CARD;
	if (r->resets != h->resets)
		return SCARD_W_RESET_CARD;
	return SCARD_S_SUCCESS;
}

WINSCARDAPI LONG WINAPI SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2,
                                              LPSCARDCONTEXT ctx)
{
	(void)r1;
	(void)r2;
	if (ctx == NULL)
		return SCARD_E_INVALID_PARAMETER;
	if (scope != SCARD_SCOPE_USER && scope != SCARD_SCOPE_SYSTEM)
		return SCARD_E_INVALID_VALUE;
	EnterCriticalSection(&lock);
	LONG rv = start_service();
	if (rv == SCARD_S_SUCCESS) {
		rv = SCARD_E_NO_MEMORY;
		for (int i = 0; i < MAX_HANDLES; i++)
			if (!contexts[i]) {
				contexts[i] = 1;
				*ctx = (SCARDCONTEXT)(ULONG_PTR)(CTX_MAGIC | (ULONG)i);
				rv = SCARD_S_SUCCESS;
				break;
			}
	}
	LeaveCriticalSection(&lock);
	say("SCardEstablishContext -> %08lx", (unsigned long)rv);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardReleaseContext(SCARDCONTEXT ctx)
{
	EnterCriticalSection(&lock);
	int i = ctx_index(ctx);
	if (i >= 0)
		contexts[i] = 0;
	LeaveCriticalSection(&lock);
	return i >= 0 ? SCARD_S_SUCCESS : (LONG)SCARD_E_INVALID_HANDLE;
}

WINSCARDAPI LONG WINAPI SCardIsValidContext(SCARDCONTEXT ctx)
{
	EnterCriticalSection(&lock);
	int i = ctx_index(ctx);
	LeaveCriticalSection(&lock);
	return i >= 0 ? SCARD_S_SUCCESS : (LONG)SCARD_E_INVALID_HANDLE;
}

WINSCARDAPI LONG WINAPI SCardFreeMemory(SCARDCONTEXT ctx, LPCVOID mem)
{
	(void)ctx;
	free((void *)mem);
	return SCARD_S_SUCCESS;
}

WINSCARDAPI LONG WINAPI SCardCancel(SCARDCONTEXT ctx)
{
	if (ctx_index(ctx) < 0)
		return SCARD_E_INVALID_HANDLE;
	InterlockedExchange(&cancelled, 1);
	return SCARD_S_SUCCESS;
}

/* Copy a result of `need` units into the caller's buffer (with
 * SCARD_AUTOALLOCATE: a new one, freed by SCardFreeMemory). */
static LONG give(const void *src, DWORD need, size_t unit, void *out, LPDWORD len)
{
	if (len == NULL)
		return SCARD_E_INVALID_PARAMETER;
	if (out == NULL) {
		*len = need;
		return SCARD_S_SUCCESS;
	}
	if (*len == SCARD_AUTOALLOCATE) {
		void *p = malloc(need * unit);
		if (p == NULL)
			return SCARD_E_NO_MEMORY;
		memcpy(p, src, need * unit);
		*(void **)out = p;
		*len = need;
		return SCARD_S_SUCCESS;
	}
	DWORD cap = *len;
	*len = need;
	if (cap < need)
		return SCARD_E_INSUFFICIENT_BUFFER;
	memcpy(out, src, need * unit);
	return SCARD_S_SUCCESS;
}

static DWORD reader_list(char *buf)
{
	DWORD n = 0;
	for (int i = 0; i < n_readers; i++) {
		size_t l = strlen(readers[i].name) + 1;
		memcpy(buf + n, readers[i].name, l);
		n += (DWORD)l;
	}
	buf[n++] = '\0';
	return n;
}

static WCHAR *widen(const char *s, DWORD n)
{
	WCHAR *w = calloc(n + 1, sizeof(WCHAR));
	if (w != NULL)
		MultiByteToWideChar(CP_UTF8, 0, s, (int)n, w, (int)n);
	return w;
}

static char *narrow(LPCWSTR w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = n > 0 ? malloc((size_t)n) : NULL;
	if (s != NULL)
		WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

static LONG list_readers(SCARDCONTEXT ctx, char *buf, DWORD *n)
{
	if (ctx_index(ctx) < 0)
		return SCARD_E_INVALID_HANDLE;
	if (n_readers == 0)
		return SCARD_E_NO_READERS_AVAILABLE;
	*n = reader_list(buf);
	return SCARD_S_SUCCESS;
}

WINSCARDAPI LONG WINAPI SCardListReadersA(SCARDCONTEXT ctx, LPCSTR groups, LPSTR out, LPDWORD len)
{
	(void)groups;
	char buf[MAX_READERS * 64 + 1];
	DWORD n = 0;
	EnterCriticalSection(&lock);
	LONG rv = list_readers(ctx, buf, &n);
	LeaveCriticalSection(&lock);
	return rv != SCARD_S_SUCCESS ? rv : give(buf, n, 1, out, len);
}

WINSCARDAPI LONG WINAPI SCardListReadersW(SCARDCONTEXT ctx, LPCWSTR groups, LPWSTR out, LPDWORD len)
{
	(void)groups;
	char buf[MAX_READERS * 64 + 1];
	DWORD n = 0;
	EnterCriticalSection(&lock);
	LONG rv = list_readers(ctx, buf, &n);
	LeaveCriticalSection(&lock);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	WCHAR *w = widen(buf, n);
	if (w == NULL)
		return SCARD_E_NO_MEMORY;
	rv = give(w, n, sizeof(WCHAR), out, len);
	free(w);
	return rv;
}

/* ---- reader states ---------------------------------------------------- */

static DWORD reader_state(int i)
{
	struct reader *r = &readers[i];
	DWORD st;
	if (r->card == INVALID_SOCKET) {
		st = SCARD_STATE_EMPTY;
	} else {
		st = SCARD_STATE_PRESENT;
		for (int h = 0; h < MAX_HANDLES; h++)
			if (handles[h].used && handles[h].reader == i)
				st |= SCARD_STATE_INUSE;
		if (r->exclusive)
			st |= SCARD_STATE_EXCLUSIVE;
	}
	return st | (r->events & 0xFFFF) << 16;
}

struct rstate {
	const char *name;
	DWORD *current, *event;
	DWORD *atr_len;
	BYTE *atr;
};

/* One pass over the caller's states: 1 when any of them changed. */
static int update_states(struct rstate *rs, DWORD n, LONG *rv)
{
	int changed = 0;
	*rv = SCARD_S_SUCCESS;
	for (DWORD k = 0; k < n; k++) {
		struct rstate *s = &rs[k];
		DWORD cur = *s->current;
		if (strcmp(s->name, "\\\\?PnP?\\Notification") == 0) {
			/* the reader list never changes */
			*s->event = cur & ~(DWORD)SCARD_STATE_CHANGED;
			continue;
		}
		if (cur & SCARD_STATE_IGNORE) {
			*s->event = 0;
			continue;
		}
		int i = find_reader(s->name);
		if (i < 0) {
			*s->event = SCARD_STATE_UNKNOWN | SCARD_STATE_CHANGED;
			changed = 1;
			*rv = SCARD_E_UNKNOWN_READER;
			continue;
		}
		DWORD st = reader_state(i);
		*s->atr_len = readers[i].atr_len;
		memcpy(s->atr, readers[i].atr, readers[i].atr_len);
		const DWORD mask = 0xFFFF0000u | SCARD_STATE_PRESENT | SCARD_STATE_EMPTY |
		                   SCARD_STATE_INUSE | SCARD_STATE_EXCLUSIVE;
		if (cur == SCARD_STATE_UNAWARE || (cur & mask) != (st & mask)) {
			st |= SCARD_STATE_CHANGED;
			changed = 1;
		}
		*s->event = st;
	}
	return changed;
}

static LONG wait_states(SCARDCONTEXT ctx, DWORD timeout, struct rstate *rs, DWORD n)
{
	EnterCriticalSection(&lock);
	if (ctx_index(ctx) < 0) {
		LeaveCriticalSection(&lock);
		return SCARD_E_INVALID_HANDLE;
	}
	InterlockedExchange(&cancelled, 0);
	DWORD t0 = GetTickCount();
	LONG rv;
	for (;;) {
		poll_cards(0);
		if (update_states(rs, n, &rv) || rv != SCARD_S_SUCCESS)
			break;
		DWORD spent = GetTickCount() - t0;
		if (timeout != INFINITE && spent >= timeout) {
			rv = SCARD_E_TIMEOUT;
			break;
		}
		if (InterlockedExchange(&cancelled, 0)) {
			rv = SCARD_E_CANCELLED;
			break;
		}
		DWORD step = timeout == INFINITE || timeout - spent > 50 ? 50 : timeout - spent;
		poll_cards(step);
	}
	LeaveCriticalSection(&lock);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardGetStatusChangeA(SCARDCONTEXT ctx, DWORD timeout,
                                              LPSCARD_READERSTATEA st, DWORD n)
{
	if (n > 0 && st == NULL)
		return SCARD_E_INVALID_PARAMETER;
	struct rstate *rs = calloc(n + 1, sizeof(*rs));
	if (rs == NULL)
		return SCARD_E_NO_MEMORY;
	for (DWORD k = 0; k < n; k++)
		rs[k] = (struct rstate){st[k].szReader, &st[k].dwCurrentState, &st[k].dwEventState,
		                        &st[k].cbAtr, st[k].rgbAtr};
	LONG rv = wait_states(ctx, timeout, rs, n);
	free(rs);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardGetStatusChangeW(SCARDCONTEXT ctx, DWORD timeout,
                                              LPSCARD_READERSTATEW st, DWORD n)
{
	if (n > 0 && st == NULL)
		return SCARD_E_INVALID_PARAMETER;
	struct rstate *rs = calloc(n + 1, sizeof(*rs));
	char **names = calloc(n + 1, sizeof(*names));
	LONG rv = rs != NULL && names != NULL ? SCARD_S_SUCCESS : (LONG)SCARD_E_NO_MEMORY;
	for (DWORD k = 0; rv == SCARD_S_SUCCESS && k < n; k++) {
		names[k] = narrow(st[k].szReader);
		if (names[k] == NULL)
			rv = SCARD_E_NO_MEMORY;
		else
			rs[k] = (struct rstate){names[k], &st[k].dwCurrentState,
			                        &st[k].dwEventState, &st[k].cbAtr, st[k].rgbAtr};
	}
	if (rv == SCARD_S_SUCCESS)
		rv = wait_states(ctx, timeout, rs, n);
	for (DWORD k = 0; names != NULL && k < n; k++)
		free(names[k]);
	free(names);
	free(rs);
	return rv;
}

/* ---- cards ------------------------------------------------------------ */

static LONG connect_card(SCARDCONTEXT ctx, const char *name, DWORD share, DWORD protos,
                         LPSCARDHANDLE out, LPDWORD active)
{
	if (out == NULL || active == NULL)
		return SCARD_E_INVALID_PARAMETER;
	if (ctx_index(ctx) < 0)
		return SCARD_E_INVALID_HANDLE;
	int i = find_reader(name);
	if (i < 0)
		return SCARD_E_UNKNOWN_READER;
	poll_cards(0);
	struct reader *r = &readers[i];
	if (r->card == INVALID_SOCKET)
		return SCARD_E_NO_SMARTCARD;
	int busy = 0;
	for (int h = 0; h < MAX_HANDLES; h++)
		busy |= handles[h].used && handles[h].reader == i;
	if (r->exclusive || (share == SCARD_SHARE_EXCLUSIVE && busy))
		return SCARD_E_SHARING_VIOLATION;
	DWORD proto = protos & SCARD_PROTOCOL_T1   ? SCARD_PROTOCOL_T1
	              : protos & SCARD_PROTOCOL_T0 ? SCARD_PROTOCOL_T0
	                                           : 0;
	if (proto == 0 && share != SCARD_SHARE_DIRECT)
		return SCARD_E_PROTO_MISMATCH;
	for (int h = 0; h < MAX_HANDLES; h++)
		if (!handles[h].used) {
			handles[h] = (struct handle){1, i, r->inserted, r->resets, proto, share};
			r->exclusive = share == SCARD_SHARE_EXCLUSIVE;
			*out = (SCARDHANDLE)(ULONG_PTR)(CARD_MAGIC | (ULONG)h);
			*active = proto;
			return SCARD_S_SUCCESS;
		}
	return SCARD_E_NO_MEMORY;
}

WINSCARDAPI LONG WINAPI SCardConnectA(SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protos,
                                      LPSCARDHANDLE out, LPDWORD active)
{
	if (reader == NULL)
		return SCARD_E_INVALID_PARAMETER;
	EnterCriticalSection(&lock);
	LONG rv = connect_card(ctx, reader, share, protos, out, active);
	LeaveCriticalSection(&lock);
	say("SCardConnect(%s) -> %08lx", reader, (unsigned long)rv);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardConnectW(SCARDCONTEXT ctx, LPCWSTR reader, DWORD share, DWORD protos,
                                      LPSCARDHANDLE out, LPDWORD active)
{
	if (reader == NULL)
		return SCARD_E_INVALID_PARAMETER;
	char *name = narrow(reader);
	if (name == NULL)
		return SCARD_E_NO_MEMORY;
	LONG rv = SCardConnectA(ctx, name, share, protos, out, active);
	free(name);
	return rv;
}

/* Reset the card: the card and every other handle on it learn of it. */
static void reset_card(struct handle *h)
{
	static const BYTE reset = 0x02;
	struct reader *r = &readers[h->reader];
	if (r->card != INVALID_SOCKET && link_send(r->card, &reset, 1) != 0)
		card_gone(r);
	r->resets++;
	h->resets = r->resets;
}

WINSCARDAPI LONG WINAPI SCardReconnect(SCARDHANDLE hc, DWORD share, DWORD protos, DWORD init,
                                       LPDWORD active)
{
	EnterCriticalSection(&lock);
	struct handle *h = card_handle(hc);
	LONG rv = h == NULL ? (LONG)SCARD_E_INVALID_HANDLE : handle_state(h);
	if (rv == SCARD_S_SUCCESS || rv == SCARD_W_RESET_CARD) {
		h->resets = readers[h->reader].resets;
		if (init == SCARD_RESET_CARD || init == SCARD_UNPOWER_CARD)
			reset_card(h);
		h->share = share;
		readers[h->reader].exclusive = share == SCARD_SHARE_EXCLUSIVE;
		if (protos & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1))
			h->proto =
			        protos & SCARD_PROTOCOL_T1 ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
		if (active != NULL)
			*active = h->proto;
		rv = SCARD_S_SUCCESS;
	}
	LeaveCriticalSection(&lock);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardDisconnect(SCARDHANDLE hc, DWORD disp)
{
	EnterCriticalSection(&lock);
	struct handle *h = card_handle(hc);
	LONG rv = SCARD_E_INVALID_HANDLE;
	if (h != NULL) {
		if ((disp == SCARD_RESET_CARD || disp == SCARD_UNPOWER_CARD) &&
		    handle_state(h) == SCARD_S_SUCCESS)
			reset_card(h);
		if (h->share == SCARD_SHARE_EXCLUSIVE)
			readers[h->reader].exclusive = 0;
		h->used = 0;
		rv = SCARD_S_SUCCESS;
	}
	LeaveCriticalSection(&lock);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardBeginTransaction(SCARDHANDLE hc)
{
	EnterCriticalSection(&lock);
	struct handle *h = card_handle(hc);
	LONG rv = h == NULL ? (LONG)SCARD_E_INVALID_HANDLE : handle_state(h);
	LeaveCriticalSection(&lock);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardEndTransaction(SCARDHANDLE hc, DWORD disp)
{
	EnterCriticalSection(&lock);
	struct handle *h = card_handle(hc);
	LONG rv = h == NULL ? (LONG)SCARD_E_INVALID_HANDLE : handle_state(h);
	if (rv == SCARD_S_SUCCESS && (disp == SCARD_RESET_CARD || disp == SCARD_UNPOWER_CARD))
		reset_card(h);
	LeaveCriticalSection(&lock);
	return rv;
}

static LONG card_status(SCARDHANDLE hc, char *name, LPDWORD state, LPDWORD proto, BYTE *atr,
                        DWORD *atr_len)
{
	struct handle *h = card_handle(hc);
	if (h == NULL)
		return SCARD_E_INVALID_HANDLE;
	LONG rv = handle_state(h);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	struct reader *r = &readers[h->reader];
	strcpy(name, r->name);
	if (state != NULL)
		*state = SCARD_SPECIFIC;
	if (proto != NULL)
		*proto = h->proto;
	memcpy(atr, r->atr, r->atr_len);
	*atr_len = r->atr_len;
	return SCARD_S_SUCCESS;
}

/* SCardStatusA/W: the reader name as a multi-string, narrow or wide. */
static LONG status_of(SCARDHANDLE hc, int wide, void *out, LPDWORD len, LPDWORD state,
                      LPDWORD proto, LPBYTE atr_out, LPDWORD atr_len)
{
	char name[66];
	BYTE atr[33];
	DWORD alen = 0;
	EnterCriticalSection(&lock);
	LONG rv = card_status(hc, name, state, proto, atr, &alen);
	LeaveCriticalSection(&lock);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	if (len != NULL) {
		DWORD l = (DWORD)strlen(name);
		name[l + 1] = '\0';
		if (wide) {
			WCHAR *w = widen(name, l + 2);
			if (w == NULL)
				return SCARD_E_NO_MEMORY;
			rv = give(w, l + 2, sizeof(WCHAR), out, len);
			free(w);
		} else {
			rv = give(name, l + 2, 1, out, len);
		}
		if (rv != SCARD_S_SUCCESS)
			return rv;
	}
	if (atr_len != NULL)
		rv = give(atr, alen, 1, atr_out, atr_len);
	return rv;
}

WINSCARDAPI LONG WINAPI SCardStatusA(SCARDHANDLE hc, LPSTR out, LPDWORD len, LPDWORD state,
                                     LPDWORD proto, LPBYTE atr_out, LPDWORD atr_len)
{
	return status_of(hc, 0, out, len, state, proto, atr_out, atr_len);
}

WINSCARDAPI LONG WINAPI SCardStatusW(SCARDHANDLE hc, LPWSTR out, LPDWORD len, LPDWORD state,
                                     LPDWORD proto, LPBYTE atr_out, LPDWORD atr_len)
{
	return status_of(hc, 1, out, len, state, proto, atr_out, atr_len);
}

WINSCARDAPI LONG WINAPI SCardTransmit(SCARDHANDLE hc, LPCSCARD_IO_REQUEST spci, LPCBYTE cmd,
                                      DWORD cmd_len, LPSCARD_IO_REQUEST rpci, LPBYTE resp,
                                      LPDWORD resp_len)
{
	static BYTE buf[0x10000];
	(void)rpci;
	if (spci == NULL || cmd == NULL || resp_len == NULL || cmd_len < 4)
		return SCARD_E_INVALID_PARAMETER;
	EnterCriticalSection(&lock);
	struct handle *h = card_handle(hc);
	LONG rv = h == NULL ? (LONG)SCARD_E_INVALID_HANDLE : handle_state(h);
	if (rv == SCARD_S_SUCCESS && spci->dwProtocol != h->proto)
		rv = SCARD_E_PROTO_MISMATCH;
	if (rv == SCARD_S_SUCCESS) {
		struct reader *r = &readers[h->reader];
		DWORD n = 0;
		if (link_send(r->card, cmd, cmd_len) != 0 ||
		    link_recv(r->card, buf, sizeof(buf), &n) != 0) {
			/* the card was pulled mid-command */
			card_gone(r);
			rv = SCARD_W_REMOVED_CARD;
		} else if (n > *resp_len) {
			*resp_len = n;
			rv = SCARD_E_INSUFFICIENT_BUFFER;
		} else {
			memcpy(resp, buf, n);
			*resp_len = n;
		}
	}
	LeaveCriticalSection(&lock);
	return rv;
}

/* Windows' service-started event: kyso does not wait on it, but callers may. */
WINSCARDAPI HANDLE WINAPI SCardAccessStartedEvent(void)
{
	static HANDLE ev;
	if (ev == NULL)
		ev = CreateEventW(NULL, TRUE, getenv("KYSO_TEST_VPCD_PORT") != NULL, NULL);
	return ev;
}

WINSCARDAPI void WINAPI SCardReleaseStartedEvent(void)
{
}
