/* Entry point of one subcommand program (libexec/kyso/kyso-<name>), built
 * once per subcommand with KYSO_CMD_NAME and KYSO_CMD_FN.
 * `kyso` execs it after handling the global options: the language arrives in
 * LANGUAGE, the log level in KYSO_LOG. Each program links only the libraries
 * its command needs, so `kyso detect` does not load libcurl, SQLite, ... */
#include "kyso_core.h"

#include "commands.h"

int main(int argc, char **argv)
{
	kyso_log_init();
	kyso_i18n_init(NULL);
	argv[0] = (char *)KYSO_CMD_NAME;
	return KYSO_CMD_FN(argc, argv);
}
