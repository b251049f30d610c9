/* OS description (uname) on Linux; the console already speaks UTF-8. */
#include "kyso_platform.h"

#include <string.h>
#include <sys/utsname.h>

void kyso_os_info(kyso_os_info_t *info)
{
	struct utsname un;
	memset(info, 0, sizeof(*info));
	if (uname(&un) != 0)
		return;
	snprintf(info->name, sizeof(info->name), "%s", un.sysname);
	snprintf(info->release, sizeof(info->release), "%s", un.release);
	snprintf(info->machine, sizeof(info->machine), "%s", un.machine);
}

void kyso_console_attach(void)
{
}

void kyso_console_utf8(void)
{
}
