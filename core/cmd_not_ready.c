/* Placeholder behaviour for subcommands not built yet: honest and explicit. */
#include "kyso_core.h"

#include <string.h>

int kyso_cmd_not_ready(const char *name, const char *summary, int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf(_("Usage: kyso %s [options]\n"), name);
			printf("%s\n", summary);
			printf("%s\n",
			       _("This command is not available in this version of kyso yet."));
			return KYSO_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = true;
	}
	kyso_error_t err;
	kyso_error_set(&err, KYSO_ERR_UNSUPPORTED,
	               _("\"kyso %s\" is not available in this version of kyso yet"), name);
	return kyso_cmd_fail(json, &err);
}
