/* kyso-agent: the localhost signing service for the web system. Until the
 * agent issue fills it in, it only answers --version and --help. */
#include "kyso_core.h"

#include <string.h>

static void agent_usage(FILE *out)
{
	fprintf(out, _("Usage: kyso-agent [--version] [--help]\n"));
	fprintf(out, "%s\n",
	        _("The web signing service (VNPT-CA Plugin, VGCA Sign Service and kyso API).\n"
	          "This version only answers --version and --help: the service itself is not\n"
	          "built yet."));
}

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
			agent_usage(stdout);
			return KYSO_EXIT_OK;
		}
	}
	agent_usage(stderr);
	return KYSO_EXIT_USAGE;
}
