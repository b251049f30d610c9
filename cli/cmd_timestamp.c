/* `kyso timestamp FILE.pdf -o OUT.pdf --tsa URL`: an archive time stamp. */
#include "kyso_signer.h"
#include "commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "%s\n",
	        _("Usage: kyso timestamp FILE.pdf -o OUT.pdf --tsa URL [--tsa-user USER]\n"
	          "       [--tsa-pass-env VAR] [--tsa-timeout S] [--password PW] [--json]\n"
	          "Adds the validation data of every signature and time stamp (/DSS) and a fresh\n"
	          "document time stamp (PAdES B-LTA). Run it again before the last time stamp's\n"
	          "certificate expires to keep the signatures provable.\n"
	          "Exit codes: 0 done, 2 usage, 5 not a PDF, 6 the time-stamp server failed."));
}

int kyso_cmd_timestamp(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"tsa", required_argument, NULL, 't'},
	        {"tsa-user", required_argument, NULL, 'u'},
	        {"tsa-pass-env", required_argument, NULL, 'P'},
	        {"tsa-timeout", required_argument, NULL, 'T'},
	        {"password", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	kyso_timestamp_opts_t o = {0};
	const char *out = NULL;
	bool json = false;
	kyso_error_t e;
	kyso_error_clear(&e);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = true;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 't':
			o.tsa_url = optarg;
			break;
		case 'u':
			o.tsa_user = optarg;
			break;
		case 'P':
			o.tsa_pass = getenv(optarg);
			if (o.tsa_pass == NULL) {
				kyso_error_set(&e, KYSO_ERR_USAGE,
				               _("--tsa-pass-env: %s is not set."), optarg);
				return kyso_cmd_fail(json, &e);
			}
			kyso_redact_secret(o.tsa_pass);
			break;
		case 'T':
			o.timeout_s = strtol(optarg, NULL, 10);
			break;
		case 'p':
			o.password = optarg;
			kyso_redact_secret(optarg);
			break;
		case 'j':
			break;
		case 'h':
			usage(stdout);
			return KYSO_EXIT_OK;
		default:
			kyso_error_set(&e, KYSO_ERR_USAGE, _("Unknown option or missing value: %s"),
			               argv[optind - 1]);
			if (!json)
				usage(stderr);
			return kyso_cmd_fail(json, &e);
		}
	}
	if (optind + 1 != argc || out == NULL || o.tsa_url == NULL) {
		kyso_error_set(&e, KYSO_ERR_USAGE, "%s",
		               _("Give one PDF file, -o OUT.pdf and --tsa URL."));
		if (!json)
			usage(stderr);
		return kyso_cmd_fail(json, &e);
	}
	if (kyso_pdf_timestamp(argv[optind], out, &o, &e) != KYSO_OK)
		return kyso_cmd_fail(json, &e);
	if (json) {
		json_t *r = json_pack("{s:s, s:s}", "file", argv[optind], "output", out);
		return kyso_json_print(r) == KYSO_OK ? KYSO_EXIT_OK : KYSO_EXIT_PROBLEM;
	}
	printf(_("Document time stamp added: %s\n"), out);
	return KYSO_EXIT_OK;
}
