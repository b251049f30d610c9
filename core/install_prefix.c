/* kyso's install prefix, from where the running program is. */
#include "kyso_platform.h"

#include <string.h>

bool kyso_install_prefix(char *dst, size_t cap)
{
	const char *exe = kyso_path_exe_dir();
	if (exe[0] == '\0')
		return false;
	size_t n = strlen(exe);
	static const char sub[] = "/libexec/kyso";
	/* programs live in <prefix>/bin and <prefix>/libexec/kyso */
	if (n >= sizeof(sub) - 1 && strcmp(exe + n - (sizeof(sub) - 1), sub) == 0)
		snprintf(dst, cap, "%.*s", (int)(n - (sizeof(sub) - 1)), exe);
	else
		snprintf(dst, cap, "%s/..", exe);
	return true;
}
