/* kyso-agent for a Windows build without signer/ (see CMakeLists.txt here):
 * answers --version and --help and says plainly that the service is not in
 * this Windows build yet (exit 1), like the not-ported kyso commands. */
#include "kyso_core.h"

#include <string.h>

int main(int argc, char **argv)
{
	kyso_log_init();
	const char *lang = NULL;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--lang") == 0)
			lang = argv[i + 1];
	kyso_i18n_init(lang);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("kyso-agent %s\n", KYSO_VERSION);
			return KYSO_EXIT_OK;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf(_("Usage: kyso-agent [--version] [--help]\n"));
			printf("%s\n",
			       _("This command is not available in this version of kyso yet."));
			return KYSO_EXIT_OK;
		}
	}
	kyso_error_t err;
	kyso_error_set(&err, KYSO_ERR_UNSUPPORTED,
	               _("\"kyso %s\" is not available in this version of kyso yet"), "agent");
	return kyso_cmd_fail(false, &err);
}
