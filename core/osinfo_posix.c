/* OS description (uname) on Linux; the console already speaks UTF-8. */
#include "kyso_platform.h"

#include <string.h>
#include <sys/utsname.h>

/* uname's fields are longer than ours: cut them on purpose. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void kyso_os_info(kyso_os_info_t *info)
{
	struct utsname un;
	memset(info, 0, sizeof(*info));
	if (uname(&un) != 0)
		return;
	copy_cut(info->name, sizeof(info->name), un.sysname);
	copy_cut(info->release, sizeof(info->release), un.release);
	copy_cut(info->machine, sizeof(info->machine), un.machine);
}

void kyso_console_attach(void)
{
}

void kyso_console_utf8(void)
{
}
