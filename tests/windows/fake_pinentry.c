/* A scripted pinentry for the wine test of kyso-agent.exe (test_wine_agent.sh),
 * the Windows twin of the fake pinentry of tests/agent/common.sh: speaks
 * assuan on stdin/stdout (libassuan starts it with CreateProcess and pipes),
 * appends every line it is told to $KYSO_FAKE_PE_LOG, answers GETPIN with
 * $KYSO_FAKE_PE_PIN and CONFIRM with OK; while the file $KYSO_FAKE_PE_CANCEL
 * exists it cancels instead. Windows-only test program. */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(const char *s)
{
	fputs(s, stdout);
	fflush(stdout);
}

static int cancelled(void)
{
	const char *f = getenv("KYSO_FAKE_PE_CANCEL");
	if (f == NULL || *f == '\0')
		return 0;
	FILE *x = fopen(f, "rb");
	if (x == NULL)
		return 0;
	fclose(x);
	return 1;
}

int main(void)
{
	/* assuan lines end in LF alone */
	_setmode(_fileno(stdin), _O_BINARY);
	_setmode(_fileno(stdout), _O_BINARY);
	const char *logname = getenv("KYSO_FAKE_PE_LOG");
	const char *pin = getenv("KYSO_FAKE_PE_PIN");
	FILE *log = logname != NULL && *logname ? fopen(logname, "ab") : NULL;
	reply("OK Pleased to meet you\n");
	char line[4096];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (log != NULL) {
			fprintf(log, "%s\n", line);
			fflush(log);
		}
		if (strcmp(line, "GETPIN") == 0 || strcmp(line, "CONFIRM") == 0) {
			if (cancelled()) {
				reply("ERR 83886179 Operation cancelled <Pinentry>\n");
			} else if (line[0] == 'G') {
				printf("D %s\nOK\n", pin != NULL ? pin : "");
				fflush(stdout);
			} else {
				reply("OK\n");
			}
		} else if (strcmp(line, "BYE") == 0) {
			reply("OK closing connection\n");
			break;
		} else {
			reply("OK\n");
		}
	}
	if (log != NULL)
		fclose(log);
	return 0;
}
