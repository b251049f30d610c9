/*
 * kh-pcsc-probe: a tiny PC/SC client for harness tests. Talks to whatever pcscd
 * libpcsclite reaches (PCSCLITE_CSOCK_NAME selects a private one).
 *
 *   kh-pcsc-probe list                          one line per reader
 *   kh-pcsc-probe wait INDEX present|empty|absent [SECS]
 *   kh-pcsc-probe transmit INDEX APDU_HEX...    one line per APDU
 *
 * Output lines are JSON objects. Exit 0 ok, 1 PC/SC error or timeout, 2 usage.
 */
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_READERS 16

struct readers {
	char *buf;
	const char *name[MAX_READERS];
	size_t n;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kh-pcsc-probe list\n"
	           "       kh-pcsc-probe wait INDEX present|empty|absent [SECS]\n"
	           "       kh-pcsc-probe transmit INDEX APDU_HEX...\n");
}

static void print_error(const char *call, LONG rv)
{
	printf("{\"error\":\"%s\",\"code\":\"0x%08lX\",\"text\":\"%s\"}\n", call, (unsigned long)rv,
	       pcsc_stringify_error(rv));
}

static void print_hex(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02X", b[i]);
}

/* Print s as a JSON string body (reader names are plain ASCII in practice). */
static void print_json_str(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
}

/* Fills r; r->n == 0 when pcscd has no reader. Returns SCARD_S_SUCCESS or the error. */
static LONG list_readers(SCARDCONTEXT ctx, struct readers *r)
{
	DWORD len = 0;

	memset(r, 0, sizeof(*r));
	LONG rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return SCARD_S_SUCCESS;
	if (rv != SCARD_S_SUCCESS)
		return rv;
	r->buf = calloc(1, len + 1);
	if (r->buf == NULL)
		return SCARD_E_NO_MEMORY;
	rv = SCardListReaders(ctx, NULL, r->buf, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return SCARD_S_SUCCESS;
	if (rv != SCARD_S_SUCCESS)
		return rv;
	for (const char *p = r->buf; *p != '\0' && r->n < MAX_READERS; p += strlen(p) + 1)
		r->name[r->n++] = p;
	return SCARD_S_SUCCESS;
}

static LONG reader_state(SCARDCONTEXT ctx, const char *name, SCARD_READERSTATE *st)
{
	memset(st, 0, sizeof(*st));
	st->szReader = name;
	st->dwCurrentState = SCARD_STATE_UNAWARE;
	return SCardGetStatusChange(ctx, 0, st, 1);
}

static int cmd_list(SCARDCONTEXT ctx)
{
	struct readers r;
	LONG rv = list_readers(ctx, &r);
	if (rv != SCARD_S_SUCCESS) {
		print_error("SCardListReaders", rv);
		free(r.buf);
		return 1;
	}
	printf("{\"readers\":%zu}\n", r.n);
	for (size_t i = 0; i < r.n; i++) {
		SCARD_READERSTATE st;
		rv = reader_state(ctx, r.name[i], &st);
		if (rv != SCARD_S_SUCCESS) {
			print_error("SCardGetStatusChange", rv);
			free(r.buf);
			return 1;
		}
		int present = (st.dwEventState & SCARD_STATE_PRESENT) != 0;
		printf("{\"index\":%zu,\"reader\":\"", i);
		print_json_str(r.name[i]);
		printf("\",\"card\":%s,\"state\":\"0x%04lX\",\"atr\":\"",
		       present ? "true" : "false", (unsigned long)st.dwEventState);
		if (present)
			print_hex(st.rgbAtr, st.cbAtr);
		printf("\"}\n");
	}
	free(r.buf);
	return 0;
}

static int parse_index(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v >= MAX_READERS)
		return -1;
	*out = v;
	return 0;
}

/* 1 when the wanted condition holds, 0 when not yet, -1 on a PC/SC error. */
static int check_wanted(SCARDCONTEXT ctx, size_t idx, const char *want)
{
	struct readers r;
	SCARD_READERSTATE st;
	int res;

	LONG rv = list_readers(ctx, &r);
	if (rv != SCARD_S_SUCCESS) {
		print_error("SCardListReaders", rv);
		free(r.buf);
		return -1;
	}
	if (idx >= r.n) {
		res = strcmp(want, "absent") == 0;
	} else if (strcmp(want, "absent") == 0) {
		res = 0;
	} else {
		rv = reader_state(ctx, r.name[idx], &st);
		if (rv != SCARD_S_SUCCESS) {
			print_error("SCardGetStatusChange", rv);
			free(r.buf);
			return -1;
		}
		int present = (st.dwEventState & SCARD_STATE_PRESENT) != 0;
		res = strcmp(want, "present") == 0 ? present : !present;
	}
	free(r.buf);
	return res;
}

static int cmd_wait(SCARDCONTEXT ctx, int argc, char **argv)
{
	size_t idx;
	long secs = 10;
	const char *want = argv[1];

	if (argc < 2 || argc > 3 || parse_index(argv[0], &idx) != 0)
		return 2;
	if (strcmp(want, "present") != 0 && strcmp(want, "empty") != 0 &&
	    strcmp(want, "absent") != 0)
		return 2;
	if (argc == 3) {
		char *end;
		secs = strtol(argv[2], &end, 10);
		if (*end != '\0' || secs < 0)
			return 2;
	}
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 100000000L};
	for (long i = 0; i <= secs * 10; i++) {
		int res = check_wanted(ctx, idx, want);
		if (res < 0)
			return 1;
		if (res > 0) {
			printf("{\"index\":%zu,\"reached\":\"%s\"}\n", idx, want);
			return 0;
		}
		if (nanosleep(&tick, NULL) != 0 && errno != EINTR)
			return 1;
	}
	printf("{\"index\":%zu,\"timeout\":\"%s\"}\n", idx, want);
	return 1;
}

static int hex_decode(const char *hex, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = 0;
	for (const char *s = hex; *s != '\0';) {
		unsigned int byte;
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (n >= cap || sscanf(s, "%2x", &byte) != 1 || s[1] == '\0')
			return -1;
		out[n++] = (unsigned char)byte;
		s += 2;
	}
	*len = n;
	return 0;
}

static int transmit_one(SCARDHANDLE card, DWORD proto, const char *hex)
{
	static unsigned char cmd[65544], resp[65538];
	size_t clen;
	DWORD rlen = sizeof(resp);

	if (hex_decode(hex, cmd, sizeof(cmd), &clen) != 0 || clen < 4) {
		fprintf(stderr, "kh-pcsc-probe: bad APDU hex '%s'\n", hex);
		return 2;
	}
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	LONG rv = SCardTransmit(card, pci, cmd, (DWORD)clen, NULL, resp, &rlen);
	if (rv != SCARD_S_SUCCESS) {
		print_error("SCardTransmit", rv);
		return 1;
	}
	printf("{\"command\":\"");
	print_hex(cmd, clen);
	printf("\",\"response\":\"");
	print_hex(resp, rlen);
	printf("\",\"sw\":\"");
	if (rlen >= 2)
		print_hex(resp + rlen - 2, 2);
	printf("\"}\n");
	return 0;
}

static int cmd_transmit(SCARDCONTEXT ctx, int argc, char **argv)
{
	struct readers r;
	size_t idx;
	SCARDHANDLE card;
	DWORD proto;
	int rc = 0;

	if (argc < 2 || parse_index(argv[0], &idx) != 0)
		return 2;
	LONG rv = list_readers(ctx, &r);
	if (rv != SCARD_S_SUCCESS || idx >= r.n) {
		print_error("SCardListReaders",
		            rv != SCARD_S_SUCCESS ? rv : SCARD_E_UNKNOWN_READER);
		free(r.buf);
		return 1;
	}
	rv = SCardConnect(ctx, r.name[idx], SCARD_SHARE_SHARED,
	                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
	free(r.buf);
	if (rv != SCARD_S_SUCCESS) {
		print_error("SCardConnect", rv);
		return 1;
	}
	for (int i = 1; i < argc && rc == 0; i++)
		rc = transmit_one(card, proto, argv[i]);
	rv = SCardDisconnect(card, SCARD_LEAVE_CARD);
	if (rv != SCARD_S_SUCCESS && rc == 0) {
		print_error("SCardDisconnect", rv);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	SCARDCONTEXT ctx;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		print_error("SCardEstablishContext", rv);
		return 1;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		rc = cmd_list(ctx);
	else if (strcmp(argv[1], "wait") == 0)
		rc = cmd_wait(ctx, argc - 2, argv + 2);
	else if (strcmp(argv[1], "transmit") == 0)
		rc = cmd_transmit(ctx, argc - 2, argv + 2);
	else
		rc = 2;
	if (rc == 2)
		usage(stderr);
	rv = SCardReleaseContext(ctx);
	if (rv != SCARD_S_SUCCESS && rc == 0) {
		print_error("SCardReleaseContext", rv);
		rc = 1;
	}
	return rc;
}
