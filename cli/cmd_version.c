/* `kyso version`: versions of kyso and of the libraries it runs with. */
#include "kyso_core.h"

#include <getopt.h>
#include <string.h>
#include <sys/utsname.h>

#include <openssl/crypto.h>

#include "commands.h"

static void version_usage(FILE *out)
{
	fprintf(out, _("Usage: kyso version [--json]\n"));
	fprintf(out, "%s\n",
	        _("Prints the kyso version, the operating system and library versions."));
}

int kyso_cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			version_usage(stdout);
			return KYSO_EXIT_OK;
		default:
			version_usage(stderr);
			return KYSO_EXIT_USAGE;
		}
	}
	struct utsname un;
	if (uname(&un) != 0)
		memset(&un, 0, sizeof(un));
	const char *ossl = OpenSSL_version(OPENSSL_VERSION);
	if (json) {
		json_t *doc =
		        json_pack("{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:s}", "kyso",
		                  KYSO_VERSION, "os", "name", un.sysname, "release", un.release,
		                  "machine", un.machine, "libraries", "openssl", ossl, "jansson",
		                  JANSSON_VERSION, "language", kyso_i18n_lang());
		kyso_err_t rc = kyso_json_print(doc);
		return rc == KYSO_OK ? KYSO_EXIT_OK : (int)kyso_err_exit(rc);
	}
	printf("kyso %s\n", KYSO_VERSION);
	printf("%s: %s %s (%s)\n", _("Operating system"), un.sysname, un.release, un.machine);
	printf("OpenSSL: %s\n", ossl);
	printf("jansson: %s\n", JANSSON_VERSION);
	return KYSO_EXIT_OK;
}
