/* kyso: one binary, subcommands. Global options (--lang, --verbose) may
 * appear anywhere before "--" and are removed before the subcommand runs. */
#include "kyso_process.h"
#include "kyso_core.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

/* With KYSO_SPLIT_COMMANDS (Linux), each subcommand but `version` is its own
 * program in <prefix>/libexec/kyso, exec'd by `kyso`, so a command loads only
 * the shared libraries it needs. Otherwise (Windows, one static .exe) the
 * functions are called directly. */
#ifdef KYSO_SPLIT_COMMANDS
#define KYSO_CMD(fn) NULL
#else
#define KYSO_CMD(fn) fn
#endif

struct subcommand {
	const char *name;
	kyso_cmd_fn fn;      /* NULL: run libexec/kyso/kyso-<name> */
	const char *summary; /* msgid */
};

static const struct subcommand subcommands[] = {
        {"detect", KYSO_CMD(kyso_cmd_detect),
         N_("identify the connected token (PC/SC reader, ATR, USB ID)")},
        {"setup", KYSO_CMD(kyso_cmd_setup),
         N_("install and register the token driver and the signing agent")},
        {"sign", KYSO_CMD(kyso_cmd_sign), N_("sign a PDF with the token")},
        {"verify", KYSO_CMD(kyso_cmd_verify), N_("check the signatures of a PDF")},
        {"timestamp", KYSO_CMD(kyso_cmd_timestamp),
         N_("add an archive time stamp with validation data (PAdES B-LTA)")},
        {"doctor", KYSO_CMD(kyso_cmd_doctor), N_("find out why signing fails, write a report")},
        {"reports", KYSO_CMD(kyso_cmd_reports), N_("helpdesk: collect and group doctor reports")},
        {"version", KYSO_CMD(kyso_cmd_version), N_("print version information")},
};

static void usage(FILE *out)
{
	fprintf(out, _("Usage: kyso [--lang vi|en] [--verbose] <command> [options]\n"));
	fprintf(out, "\n%s\n", _("Commands:"));
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-9s %s\n", subcommands[i].name, _(subcommands[i].summary));
	fprintf(out, "\n%s\n", _("Every command takes --help and --json."));
	fprintf(out, "%s\n",
	        _("Exit codes: 0 ok, 1 problem found, 2 usage error, 3 environment error,\n"
	          "4 token error, 5 input error, 6 network error."));
}

#ifdef KYSO_SPLIT_COMMANDS
/* Replaces this process with libexec/kyso/kyso-<name>; returns only on error.
 * The dispatcher links neither the logger nor the JSON writer (no libcrypto,
 * no jansson: `kyso sign` starts as fast as `kyso-sign`); the log level
 * travels in KYSO_LOG. */
static int exec_subcommand(const char *name, char **argv, const char *log_level)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/../libexec/kyso/kyso-%s", kyso_path_exe_dir(), name);
	if (log_level != NULL && setenv("KYSO_LOG", log_level, 1) != 0)
		fputs("kyso: warning: cannot pass the log level on\n", stderr);
	fflush(NULL);
	execv(path, argv);
	kyso_error_t err;
	kyso_error_set(&err, KYSO_ERR_CHILD_PROCESS,
	               _("Cannot run %s: %s. The kyso installation is incomplete; reinstall kyso."),
	               path, strerror(errno));
	fprintf(stderr, "kyso: %s\n", kyso_error_message(&err));
	return (int)kyso_err_exit(err.code);
}
#endif

/* Pulls --lang/--verbose/--debug out of argv; returns the new argc.
 * *log_level becomes "info" or "debug" when asked for. */
static int take_global_options(int argc, char **argv, const char **lang, const char **log_level,
                               bool *bad)
{
	int out = 1;
	*bad = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--lang") == 0) {
			if (i + 1 >= argc) {
				*bad = true;
				break;
			}
			*lang = argv[++i];
		} else if (strncmp(argv[i], "--lang=", 7) == 0) {
			*lang = argv[i] + 7;
		} else if (strcmp(argv[i], "--verbose") == 0) {
			if (*log_level == NULL)
				*log_level = "info";
		} else if (strcmp(argv[i], "--debug") == 0) {
			*log_level = "debug";
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

static int run_subcommand(const struct subcommand *c, int argc, char **argv, const char *log_level)
{
#ifdef KYSO_SPLIT_COMMANDS
	(void)argc;
	return exec_subcommand(c->name, argv, log_level);
#else
	kyso_log_init();
	if (log_level != NULL)
		kyso_log_set_level(strcmp(log_level, "debug") == 0 ? KYSO_LOG_DEBUG
		                                                   : KYSO_LOG_INFO);
	return c->fn(argc, argv);
#endif
}

int main(int argc, char **argv)
{
	kyso_process_harden(); /* setup runs as root: no core dumps, no DLL from the current folder
	                        */
	const char *lang = NULL;
	const char *log_level = NULL;
	bool bad = false;
	argc = take_global_options(argc, argv, &lang, &log_level, &bad);
	kyso_i18n_init(lang);
	if (bad || (lang != NULL && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0)) {
		fprintf(stderr, _("kyso: --lang takes \"vi\" or \"en\"\n"));
		return KYSO_EXIT_USAGE;
	}
	if (argc < 2) {
		usage(stderr);
		return KYSO_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return KYSO_EXIT_OK;
	}
	static char version_cmd[] = "version";
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = version_cmd;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return run_subcommand(&subcommands[i], argc - 1, argv + 1, log_level);
	fprintf(stderr, _("kyso: unknown command \"%s\"\n"), argv[1]);
	usage(stderr);
	return KYSO_EXIT_USAGE;
}
