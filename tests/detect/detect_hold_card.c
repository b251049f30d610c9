/* Test helper: another program holding a card. Connects to reader INDEX
 * with SCARD_SHARE_EXCLUSIVE, prints "held", then waits for SIGTERM.
 * Usage: detect-hold-card INDEX */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <winscard.h>

int main(int argc, char **argv)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto, len = 0;
	if (argc != 2)
		return 2;
	long idx = strtol(argv[1], NULL, 10);
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS ||
	    SCardListReaders(ctx, NULL, NULL, &len) != SCARD_S_SUCCESS)
		return 3;
	char *names = calloc(len + 1, 1);
	if (names == NULL || SCardListReaders(ctx, NULL, names, &len) != SCARD_S_SUCCESS)
		return 3;
	char *p = names;
	for (long i = 0; i < idx && *p != '\0'; i++)
		p += strlen(p) + 1;
	LONG rv = SCardConnect(ctx, p, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                       &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "SCardConnect(%s): %s\n", p, pcsc_stringify_error(rv));
		return 4;
	}
	printf("held\n");
	fflush(stdout);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	free(names);
	return 0;
}
