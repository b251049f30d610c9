/* The computer's name on POSIX (gethostname). */
#include "kyso_platform.h"

#include <unistd.h>

void kyso_host_name(char *buf, size_t cap)
{
	if (cap == 0)
		return;
	if (gethostname(buf, cap - 1) != 0)
		buf[0] = '\0';
	buf[cap - 1] = '\0';
}
