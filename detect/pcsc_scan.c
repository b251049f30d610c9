/* PC/SC scan: readers and ATRs through SCardGetStatusChange only. No
 * SCardConnect, so a token in use by another program is never disturbed. */
#include "detect_internal.h"

#include <stdlib.h>
#include <string.h>
#include <winscard.h>

#define PNP_READER    "\\\\?PnP?\\Notification"
#define LIST_ATTEMPTS 3

/* Portable (winscard has no pcsc_stringify_error). */
static const char *pcsc_err_name(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS:
		return "SCARD_S_SUCCESS";
	case SCARD_E_NO_SERVICE:
		return "SCARD_E_NO_SERVICE";
	case SCARD_E_SERVICE_STOPPED:
		return "SCARD_E_SERVICE_STOPPED";
	case SCARD_E_NO_READERS_AVAILABLE:
		return "SCARD_E_NO_READERS_AVAILABLE";
	case SCARD_E_UNKNOWN_READER:
		return "SCARD_E_UNKNOWN_READER";
	case SCARD_E_READER_UNAVAILABLE:
		return "SCARD_E_READER_UNAVAILABLE";
	case SCARD_E_TIMEOUT:
		return "SCARD_E_TIMEOUT";
	case SCARD_E_NO_MEMORY:
		return "SCARD_E_NO_MEMORY";
	case SCARD_E_INSUFFICIENT_BUFFER:
		return "SCARD_E_INSUFFICIENT_BUFFER";
	case SCARD_E_INVALID_HANDLE:
		return "SCARD_E_INVALID_HANDLE";
	case SCARD_E_INVALID_PARAMETER:
		return "SCARD_E_INVALID_PARAMETER";
	case SCARD_E_CANCELLED:
		return "SCARD_E_CANCELLED";
	case SCARD_F_COMM_ERROR:
		return "SCARD_F_COMM_ERROR";
	case SCARD_F_INTERNAL_ERROR:
		return "SCARD_F_INTERNAL_ERROR";
	default:
		return "PC/SC error";
	}
}

static const char *no_service_message(void)
{
	if (strcmp(kyso_detect_os(), "windows") == 0)
		return _("The Smart Card service is not running. Start it: open Services, "
		         "\"Smart Card\", Start (or: sc start SCardSvr).");
	return _("The PC/SC service (pcscd) is not running. Start it with: sudo systemctl "
	         "start pcscd.socket (without systemd: sudo pcscd). If pcscd is missing, "
	         "install it: sudo apt install pcscd");
}

/* Reader names as a freshly allocated multi-string; NULL with *rv set. */
static char *list_readers(SCARDCONTEXT ctx, LONG *rv)
{
	for (int attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
		DWORD len = 0;
		*rv = SCardListReaders(ctx, NULL, NULL, &len);
		if (*rv != SCARD_S_SUCCESS)
			return NULL;
		char *buf = calloc(len + 2, 1);
		if (buf == NULL) {
			*rv = SCARD_E_NO_MEMORY;
			return NULL;
		}
		*rv = SCardListReaders(ctx, NULL, buf, &len);
		if (*rv == SCARD_S_SUCCESS)
			return buf;
		free(buf);
		if (*rv != SCARD_E_INSUFFICIENT_BUFFER)
			return NULL;
	}
	return NULL;
}

static size_t count_names(const char *multi)
{
	size_t n = 0;
	for (const char *p = multi; *p != '\0'; p += strlen(p) + 1)
		n++;
	return n;
}

kyso_reader_state_t kyso_pcsc_classify(unsigned long ev, unsigned long atr_len)
{
	if (ev & SCARD_STATE_UNKNOWN)
		return KYSO_READER_GONE;
	if (ev & SCARD_STATE_UNAVAILABLE)
		return KYSO_READER_UNAVAILABLE;
	if (ev & SCARD_STATE_PRESENT) {
		if ((ev & SCARD_STATE_MUTE) || atr_len == 0)
			return KYSO_READER_MUTE;
		return KYSO_READER_PRESENT;
	}
	return KYSO_READER_EMPTY;
}

static void record(kyso_detect_result_t *r, const SCARD_READERSTATE *st, bool gone)
{
	kyso_reader_state_t s =
	        gone ? KYSO_READER_GONE : kyso_pcsc_classify(st->dwEventState, st->cbAtr);
	size_t atr_len = s == KYSO_READER_PRESENT ? st->cbAtr : 0;
	if (atr_len > KYSO_ATR_MAX)
		atr_len = KYSO_ATR_MAX;
	bool in_use = !gone && (st->dwEventState & SCARD_STATE_INUSE) != 0;
	bool excl = !gone && (st->dwEventState & SCARD_STATE_EXCLUSIVE) != 0;
	if (kyso_detect_result_add_reader(r, st->szReader, s, st->rgbAtr, atr_len, in_use, excl) !=
	    KYSO_OK) {
		kyso_warn("detect: out of memory recording reader");
		return;
	}
	kyso_debug("pcsc: reader \"%s\" state 0x%lx atr %s", st->szReader,
	           (unsigned long)st->dwEventState, r->readers[r->n_readers - 1].atr_hex);
	kyso_err_t rc = KYSO_OK;
	if (s == KYSO_READER_MUTE)
		rc = kyso_detect_result_warn(
		        r,
		        _("The token in reader \"%s\" does not answer. Pull it "
		          "out and plug it in again."),
		        st->szReader);
	else if (s == KYSO_READER_UNAVAILABLE)
		rc = kyso_detect_result_warn(
		        r,
		        _("Reader \"%s\" is unavailable (driver problem). Plug "
		          "the token into another USB port."),
		        st->szReader);
	else if (excl)
		rc = kyso_detect_result_warn(r,
		                             _("Reader \"%s\" is held exclusively by another "
		                               "program; close signing programs if signing fails."),
		                             st->szReader);
	if (rc != KYSO_OK)
		kyso_warn("detect: out of memory recording a warning");
}

/* Reads the state of every listed reader. A reader that vanished after the
 * listing (token pulled out: its reader goes away with it) is retried alone
 * and recorded as gone. Returns false when the whole list must be re-read. */
static bool read_states(kyso_detect_result_t *r, SCARDCONTEXT ctx, const char *names, LONG *rv)
{
	size_t n = count_names(names);
	SCARD_READERSTATE *st = calloc(n, sizeof(*st));
	if (st == NULL) {
		*rv = SCARD_E_NO_MEMORY;
		return true;
	}
	const char *p = names;
	for (size_t i = 0; i < n; i++, p += strlen(p) + 1) {
		st[i].szReader = p;
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	*rv = SCardGetStatusChange(ctx, 0, st, (DWORD)n);
	if (*rv == SCARD_S_SUCCESS) {
		for (size_t i = 0; i < n; i++)
			record(r, &st[i], false);
		free(st);
		return true;
	}
	if (*rv != SCARD_E_UNKNOWN_READER && *rv != SCARD_E_READER_UNAVAILABLE &&
	    *rv != SCARD_E_TIMEOUT) {
		free(st);
		return true;
	}
	/* one at a time: keep the readers that still exist */
	kyso_debug("pcsc: reader set changed while reading (%s); reading one by one",
	           pcsc_err_name(*rv));
	for (size_t i = 0; i < n; i++) {
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
		LONG one = SCardGetStatusChange(ctx, 0, &st[i], 1);
		if (one == SCARD_S_SUCCESS)
			record(r, &st[i], false);
		else
			kyso_debug("pcsc: reader \"%s\" gone: %s", st[i].szReader,
			           pcsc_err_name(one));
	}
	free(st);
	*rv = SCARD_S_SUCCESS;
	return true;
}

static void set_error(kyso_detect_result_t *r, const char *what, LONG rv)
{
	char msg[256];
	if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED) {
		kyso_detect_result_set_pcsc(r, KYSO_PCSC_NO_SERVICE, no_service_message());
		return;
	}
	snprintf(msg, sizeof(msg), _("PC/SC error in %s: %s (0x%08lX)"), what, pcsc_err_name(rv),
	         (unsigned long)rv);
	kyso_detect_result_set_pcsc(r, KYSO_PCSC_ERROR, msg);
}

void kyso_pcsc_scan(kyso_detect_result_t *r, const kyso_detect_opts_t *opts)
{
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		/* no context at all means no usable service (a winscard without the
		 * Smart Card service, e.g. wine's, fails with SCARD_F_INTERNAL_ERROR) */
		set_error(r, "SCardEstablishContext",
		          rv == SCARD_F_INTERNAL_ERROR ? SCARD_E_NO_SERVICE : rv);
		return;
	}
	char *names = list_readers(ctx, &rv);
	if (names == NULL) {
		if (rv == SCARD_E_NO_READERS_AVAILABLE)
			kyso_detect_result_set_pcsc(r, KYSO_PCSC_NO_READERS,
			                            _("PC/SC is running but sees no reader."));
		else
			set_error(r, "SCardListReaders", rv);
		SCardReleaseContext(ctx);
		return;
	}
	if (opts != NULL && opts->after_list_hook != NULL)
		opts->after_list_hook(opts->hook_ctx);
	read_states(r, ctx, names, &rv);
	free(names);
	if (rv != SCARD_S_SUCCESS)
		set_error(r, "SCardGetStatusChange", rv);
	else if (r->n_readers == 0)
		kyso_detect_result_set_pcsc(r, KYSO_PCSC_NO_READERS,
		                            _("PC/SC is running but sees no reader."));
	else
		kyso_detect_result_set_pcsc(r, KYSO_PCSC_OK, NULL);
	rv = SCardReleaseContext(ctx);
	if (rv != SCARD_S_SUCCESS)
		kyso_debug("pcsc: SCardReleaseContext: %s", pcsc_err_name(rv));
}

bool kyso_pcsc_wait_change(int timeout_ms)
{
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		return false;
	char *names = list_readers(ctx, &rv);
	size_t n = names != NULL ? count_names(names) : 0;
	SCARD_READERSTATE *st = calloc(n + 1, sizeof(*st));
	bool ok = st != NULL;
	if (ok) {
		const char *p = names;
		for (size_t i = 0; i < n; i++, p += strlen(p) + 1)
			st[i].szReader = p;
		st[n].szReader = PNP_READER;
		for (size_t i = 0; i <= n; i++)
			st[i].dwCurrentState = SCARD_STATE_UNAWARE;
		/* learn the current states, then wait for any of them to change */
		rv = SCardGetStatusChange(ctx, 0, st, (DWORD)(n + 1));
		if (rv == SCARD_S_SUCCESS) {
			for (size_t i = 0; i <= n; i++)
				st[i].dwCurrentState =
				        st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
			rv = SCardGetStatusChange(ctx, (DWORD)timeout_ms, st, (DWORD)(n + 1));
		}
		ok = rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT;
		if (!ok)
			kyso_debug("pcsc: wait: %s", pcsc_err_name(rv));
	}
	free(st);
	free(names);
	SCardReleaseContext(ctx);
	return ok;
}
