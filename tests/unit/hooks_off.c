/* A build without KYSO_TEST_HOOKS (packagers, Release): run as root, the
 * test-hook variables a user could pass through sudo are ignored; as an
 * ordinary user they still work (nothing to gain). core/harden_posix.c is
 * compiled here with KYSO_TEST_HOOKS=0. */
#include "kyso_process.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	static const char *const hooks[] = {"KYSO_APT", "KYSO_DATADIR", "KYSO_ROOT",
	                                    "KYSO_SETUP_FAIL_AFTER"};
	int bad = 0;
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		setenv(hooks[i], "/tmp/attacker", 1);
		const char *v = kyso_test_hook(hooks[i]);
		bool ok =
		        geteuid() == 0 ? v == NULL : (v != NULL && strcmp(v, "/tmp/attacker") == 0);
		printf("%s - %s %s\n", ok ? "ok" : "FAIL", hooks[i],
		       geteuid() == 0 ? "ignored as root" : "honoured as a user");
		bad += ok ? 0 : 1;
	}
	return bad == 0 ? 0 : 1;
}
