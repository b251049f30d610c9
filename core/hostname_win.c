/* The computer's name on Windows (GetComputerNameW, UTF-8). */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdio.h>
#include <stdlib.h>

void kyso_host_name(char *buf, size_t cap)
{
	if (cap == 0)
		return;
	buf[0] = '\0';
	wchar_t w[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;
	if (!GetComputerNameW(w, &n))
		return;
	char *u = kyso_win_utf8(w);
	if (u != NULL)
		snprintf(buf, cap, "%s", u);
	free(u);
}
