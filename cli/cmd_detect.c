/* `kyso detect`: which token is connected, with evidence. */
#include "kyso_detect.h"
#include "commands.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	bool json, watch, help, no_usb, no_pcsc;
	const char *catalog;
	int wait_s;
} detect_args_t;

static volatile sig_atomic_t stop_watch;

static void on_signal(int sig)
{
	(void)sig; /* the handler only records that one arrived */
	stop_watch = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "%s\n",
	        _("Usage: kyso detect [--json] [--watch] [--catalog FILE] [--wait SECS] "
	          "[--no-usb] [--no-pcsc]"));
	fprintf(out, "%s\n\n",
	        _("Tells which signing token is connected, from the PC/SC reader, "
	          "the chip's ATR and the USB ID. Never touches the token."));
	fprintf(out, "  --json          %s\n", _("one JSON document (schema: docs/detect.md)"));
	fprintf(out, "  --watch         %s\n",
	        _("print tokens plugged in and pulled out until Ctrl+C"));
	fprintf(out, "  --catalog FILE  %s\n", _("use FILE instead of the installed tokens.json"));
	fprintf(out, "  --wait SECS     %s\n", _("wait up to SECS seconds for a token"));
	fprintf(out, "  --no-usb        %s\n", _("do not look at USB devices"));
	fprintf(out, "  --no-pcsc       %s\n", _("do not ask the PC/SC service"));
	fprintf(out, "\n%s\n",
	        _("Exit codes: 0 token identified, 1 only unknown tokens, 2 usage, "
	          "3 no PC/SC service or no token, 5 bad catalog."));
}

static kyso_err_t parse_args(int argc, char **argv, detect_args_t *a, kyso_error_t *err)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (strcmp(s, "--watch") == 0) {
			a->watch = true;
		} else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			a->help = true;
		} else if (strcmp(s, "--no-usb") == 0) {
			a->no_usb = true;
		} else if (strcmp(s, "--no-pcsc") == 0) {
			a->no_pcsc = true;
		} else if (strcmp(s, "--catalog") == 0 && i + 1 < argc) {
			a->catalog = argv[++i];
		} else if (strncmp(s, "--catalog=", 10) == 0) {
			a->catalog = s + 10;
		} else if (strcmp(s, "--wait") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 0 || v > 3600)
				return kyso_error_set(
				        err, KYSO_ERR_USAGE,
				        _("--wait takes a number of seconds (0-3600)"));
			a->wait_s = (int)v;
		} else {
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("kyso detect: unknown option \"%s\" (see --help)"),
			                      s);
		}
	}
	return KYSO_OK;
}

static void stamp(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	if (localtime_r(&now, &tm) == NULL || strftime(buf, cap, "%H:%M:%S", &tm) == 0)
		snprintf(buf, cap, "--:--:--");
}

static void on_event(kyso_event_kind_t kind, const kyso_token_t *t, void *ctx)
{
	const detect_args_t *a = ctx;
	static const char *const ids[] = {"inserted", "removed", "pcsc-lost", "pcsc-restored"};
	char ts[16];
	stamp(ts, sizeof(ts));
	if (a->json) {
		json_t *ev = json_pack("{s:s, s:s}", "event", ids[kind], "time", ts);
		if (ev != NULL && t != NULL &&
		    json_object_set_new(ev, "token", kyso_token_to_json(t)) != 0) {
			json_decref(ev);
			ev = NULL;
		}
		char *line = ev != NULL ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (line != NULL)
			printf("%s\n", line);
		else
			kyso_warn("detect: cannot encode event");
		free(line);
		json_decref(ev);
	} else if (kind == KYSO_EVENT_PCSC_LOST) {
		printf("[%s] %s\n", ts, _("The PC/SC service stopped."));
	} else if (kind == KYSO_EVENT_PCSC_RESTORED) {
		printf("[%s] %s\n", ts, _("The PC/SC service is back."));
	} else {
		printf("[%s] %s\n", ts,
		       kind == KYSO_EVENT_INSERTED ? _("Plugged in:") : _("Pulled out:"));
		kyso_detect_print_token(stdout, 1, t);
	}
	fflush(stdout);
}

static int run_watch(const kyso_detect_opts_t *opts, detect_args_t *a)
{
	/* plain signal(): portable; the handler only sets a flag */
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
		kyso_warn("detect: cannot install signal handlers");
	if (!a->json) {
		printf("%s\n", _("Watching for tokens; press Ctrl+C to stop."));
		fflush(stdout);
	}
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_err_t rc = kyso_detect_watch(opts, 300, on_event, a, &stop_watch, &err);
	if (rc != KYSO_OK)
		return kyso_cmd_fail(false, &err);
	return KYSO_EXIT_OK;
}

int kyso_cmd_detect(int argc, char **argv)
{
	detect_args_t a;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (parse_args(argc, argv, &a, &err) != KYSO_OK) {
		usage(stderr);
		return kyso_cmd_fail(a.json, &err);
	}
	if (a.help) {
		usage(stdout);
		return KYSO_EXIT_OK;
	}
	kyso_catalog_t *cat = kyso_catalog_load(a.catalog, &err);
	if (cat == NULL)
		return kyso_cmd_fail(a.json, &err);
	kyso_detect_opts_t opts = {
	        .catalog = cat,
	        .skip_pcsc = a.no_pcsc,
	        .skip_usb = a.no_usb,
	        .timeout_ms = a.wait_s * 1000,
	};
	if (a.watch) {
		int rc = run_watch(&opts, &a);
		kyso_catalog_free(cat);
		return rc;
	}
	kyso_detect_result_t *r = kyso_detect_scan(&opts, &err);
	if (r == NULL) {
		kyso_catalog_free(cat);
		return kyso_cmd_fail(a.json, &err);
	}
	kyso_err_t st = kyso_detect_result_status(r, &err);
	int exit_code = (int)kyso_err_exit(st);
	if (a.json) {
		if (kyso_json_print(kyso_detect_result_to_json(r)) != KYSO_OK) {
			kyso_error_set(&err, KYSO_ERR_IO, "%s", _("cannot write the JSON output"));
			exit_code = kyso_cmd_fail(false, &err);
		}
	} else {
		kyso_detect_print_result(stdout, r);
		if (st == KYSO_ERR_NO_PCSC_SERVICE || st == KYSO_ERR_NO_TOKEN)
			exit_code = kyso_cmd_fail(false, &err);
	}
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
	return exit_code;
}
