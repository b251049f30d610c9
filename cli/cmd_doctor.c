/* `kyso doctor`: why signing fails, in plain words, and a report to send. */
#include "kyso_diagnostics.h"
#include "commands.h"
#include "kyso_config.h"
#include "kyso_platform.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LIST 16

typedef struct {
	kyso_doctor_opts_t o;
	bool json, help, no_redact, save, show, send_pending;
	const char *html, *bundle, *send, *token_env, *token, *cacert;
	const char *ca[MAX_LIST + 1];
	const char *agents[MAX_LIST + 1];
	size_t n_ca, n_agents;
} doctor_args_t;

/* <state>/reports: ~/.local/state/kyso/reports, %LOCALAPPDATA%\kyso\reports */
static const char *reports_dir(void)
{
	static char dir[4200];
	snprintf(dir, sizeof(dir), "%s/reports", kyso_path_state_user());
	return dir;
}

/* The reports folder, made when missing (mkdir -p). */
static kyso_err_t make_reports_dir(kyso_error_t *err)
{
	/* every missing folder on the way (mkdir -p; "/" or "\\" separated) */
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", reports_dir());
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/' && *p != '\\')
			continue;
		char sep = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			kyso_debug("doctor: cannot make %s", dir);
		*p = sep;
	}
	struct stat st;
	if (mkdir(dir, 0700) != 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return kyso_error_set(err, KYSO_ERR_IO, _("cannot create the folder %s"), dir);
	return KYSO_OK;
}

/* A new bundle name in the reports folder (made when missing). */
static kyso_err_t reports_bundle_path(const json_t *report, char *out, size_t cap,
                                      kyso_error_t *err)
{
	if (make_reports_dir(err) != KYSO_OK)
		return err->code;
	/* created 2026-12-04T14:05:06Z -> 20261204-140506 */
	const char *cr = json_string_value(json_object_get(report, "created"));
	const char *id = json_string_value(json_object_get(report, "id"));
	char stamp[20] = "";
	size_t n = 0;
	for (const char *p = cr != NULL ? cr : ""; *p != '\0' && *p != 'Z' && n + 1 < sizeof(stamp);
	     p++)
		if (*p >= '0' && *p <= '9')
			stamp[n++] = *p;
		else if (*p == 'T')
			stamp[n++] = '-';
	stamp[n] = '\0';
	snprintf(out, cap, "%s/kyso-doctor-%s-%.8s.zip", reports_dir(), stamp,
	         id != NULL ? id : "report");
	return KYSO_OK;
}

static void usage(FILE *out)
{
	fprintf(out, "%s\n",
	        _("Usage: kyso doctor [--json] [--html FILE] [--bundle FILE.zip] [--send URL] "
	          "[--sign] [--offline] [--no-redact] [options]"));
	fprintf(out, "%s\n\n",
	        _("Checks, in order, everything signing needs and says what to do about each "
	          "problem. Changes nothing on the computer."));
	fprintf(out, "  --json             %s\n", _("one JSON document (schema: docs/doctor.md)"));
	fprintf(out, "  --html FILE        %s\n", _("also write the report as a web page"));
	fprintf(out, "  --bundle FILE.zip  %s\n",
	        _("also write a zip for the helpdesk (report, logs, "
	          "versions)"));
	fprintf(out, "  --save             %s\n",
	        _("also write the zip into kyso's reports folder (see below)"));
	fprintf(out, "  --send URL         %s\n", _("upload the zip to the helpdesk collector"));
	fprintf(out, "  --show             %s\n",
	        _("open the web page in the browser and wait for a key; offer to send the "
	          "report when a collector is configured (report_url in config.json)"));
	fprintf(out, "  --send-pending     %s\n",
	        _("only send the reports waiting in the outbox (no checks)"));
	fprintf(out, "  --token-env VAR    %s\n",
	        _("collector token from this variable (default KYSO_REPORT_TOKEN)"));
	fprintf(out, "  --cacert FILE      %s\n", _("CA certificate of the collector (HTTPS)"));
	fprintf(out, "  --sign             %s\n",
	        _("make one real test signature (asks the PIN once)"));
	fprintf(out, "  --pin-env VAR      %s\n", _("--sign: take the PIN from this variable"));
	fprintf(out, "  --offline          %s\n", _("no network checks (clock, TSA, revocation)"));
	fprintf(out, "  --no-redact        %s\n",
	        _("keep names, e-mails, ID and serial numbers in the reports"));
	fprintf(out, "  --catalog FILE     %s\n",
	        _("use FILE instead of the installed tokens.json"));
	fprintf(out, "  --module FILE      %s\n",
	        _("PKCS#11 module to check instead of the catalog's"));
	fprintf(out, "  --token LABEL      %s\n", _("which token to look at"));
	fprintf(out, "  --ca FILE          %s\n", _("extra trusted root certificate(s)"));
	fprintf(out, "  --tsa URL          %s\n",
	        _("time-stamp server (also the clock reference)"));
	fprintf(out, "  --agent-url URL    %s\n",
	        _("check only this agent address: https://H:P/ (kyso API), wss://H:P/plugin "
	          "(VNPT-CA Plugin), wss://H:P/Op (VGCA)"));
	fprintf(out, "  --agent-ca FILE    %s\n",
	        _("the agent's local CA (default: its state directory's ca.pem)"));
	fprintf(out, "  --agent-origin URL %s\n",
	        _("web origin to present to the agent (default: the first configured one)"));
	fprintf(out, "  --no-usb           %s\n", _("do not look at USB devices"));
	fprintf(out, "  --timeout SECS     %s\n", _("per network request (default 5)"));
	fprintf(out, "\n%s\n",
	        _("Exit codes: 0 no problem (warnings allowed), 1 a check failed, 2 usage, "
	          "6 the report could not be sent."));
	fprintf(out, _("Reports folder: %s (a zip that --send could not upload stays there).\n"),
	        reports_dir());
}

static bool take(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc) {
		*val = argv[++*i];
		return true;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return true;
	}
	return false;
}

static kyso_err_t parse_args(int argc, char **argv, doctor_args_t *a, kyso_error_t *err)
{
	memset(a, 0, sizeof(*a));
	kyso_doctor_opts_init(&a->o);
	a->token_env = "KYSO_REPORT_TOKEN";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *v = NULL;
		if (strcmp(s, "--json") == 0)
			a->json = true;
		else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
			a->help = true;
		else if (strcmp(s, "--sign") == 0)
			a->o.sign = true;
		else if (strcmp(s, "--offline") == 0)
			a->o.offline = true;
		else if (strcmp(s, "--no-redact") == 0)
			a->no_redact = true;
		else if (strcmp(s, "--save") == 0)
			a->save = true;
		else if (strcmp(s, "--show") == 0)
			a->show = true;
		else if (strcmp(s, "--send-pending") == 0)
			a->send_pending = true;
		else if (strcmp(s, "--no-usb") == 0)
			a->o.no_usb = true;
		else if (take(argc, argv, &i, "--html", &a->html) ||
		         take(argc, argv, &i, "--bundle", &a->bundle) ||
		         take(argc, argv, &i, "--send", &a->send) ||
		         take(argc, argv, &i, "--token-env", &a->token_env) ||
		         take(argc, argv, &i, "--cacert", &a->cacert) ||
		         take(argc, argv, &i, "--pin-env", &a->o.pin_env) ||
		         take(argc, argv, &i, "--catalog", &a->o.catalog) ||
		         take(argc, argv, &i, "--module", &a->o.module) ||
		         take(argc, argv, &i, "--token", &a->o.token_label) ||
		         take(argc, argv, &i, "--tsa", &a->o.tsa_url) ||
		         take(argc, argv, &i, "--agent-ca", &a->o.agent_ca) ||
		         take(argc, argv, &i, "--agent-origin", &a->o.agent_origin))
			continue;
		else if (take(argc, argv, &i, "--ca", &v)) {
			if (a->n_ca >= MAX_LIST)
				return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
				                      _("too many --ca"));
			a->ca[a->n_ca++] = v;
		} else if (take(argc, argv, &i, "--agent-url", &v)) {
			if (a->n_agents >= MAX_LIST)
				return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
				                      _("too many --agent-url"));
			a->agents[a->n_agents++] = v;
		} else if (take(argc, argv, &i, "--timeout", &v)) {
			char *end;
			long t = strtol(v, &end, 10);
			if (*end != '\0' || t < 1 || t > 120)
				return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
				                      _("--timeout takes 1-120 seconds"));
			a->o.timeout_ms = (int)t * 1000;
		} else
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("kyso doctor: unknown option \"%s\" (see --help)"),
			                      s);
	}
	const char *env_ca = getenv("KYSO_DOCTOR_CA");
	if (env_ca != NULL && *env_ca != '\0' && a->n_ca < MAX_LIST)
		a->ca[a->n_ca++] = env_ca;
	a->o.ca_files = a->n_ca > 0 ? a->ca : NULL;
	a->o.agent_urls = a->n_agents > 0 ? a->agents : NULL;
	return KYSO_OK;
}

/* Log lines of this run: kept for the bundle, warnings still shown. */
typedef struct {
	kyso_buf_t text;
	kyso_log_level_t shown;
} log_capture_t;

static void on_log(const char *line, void *ctx)
{
	log_capture_t *lc = ctx;
	if (kyso_buf_printf(&lc->text, "%s\n", line) != KYSO_OK)
		return;
	bool loud = strstr(line, ": error: ") != NULL ||
	            (lc->shown >= KYSO_LOG_WARN && strstr(line, ": warning: ") != NULL) ||
	            lc->shown >= KYSO_LOG_INFO;
	if (loud)
		fprintf(stderr, "%s\n", line);
}

static kyso_err_t finish_outputs(const doctor_args_t *a, const json_t *report, log_capture_t *lc,
                                 kyso_error_t *err)
{
	json_t *red = kyso_doctor_redacted(report);
	if (red == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = KYSO_OK;
	if (a->html != NULL)
		rc = kyso_doctor_write_html(red, a->html, err);
	/* without --bundle, --save and --send write the zip into the reports
	 * folder; --send removes it again once the collector has it */
	char auto_bundle[4400];
	const char *bundle = a->bundle;
	bool temporary = false;
	if (rc == KYSO_OK && bundle == NULL && (a->save || a->send != NULL)) {
		rc = reports_bundle_path(report, auto_bundle, sizeof(auto_bundle), err);
		bundle = auto_bundle;
		temporary = !a->save;
	}
	if (rc == KYSO_OK && bundle != NULL) {
		if (kyso_buf_append(&lc->text, "", 1) != KYSO_OK)
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		char *log = rc == KYSO_OK ? kyso_doctor_redact_string((const char *)lc->text.data)
		                          : NULL;
		if (rc == KYSO_OK)
			rc = kyso_doctor_write_bundle(red, log, bundle, err);
		free(log);
		if (rc == KYSO_OK && a->save && !a->json)
			printf(_("Report saved as %s.\n"), bundle);
	}
	if (rc == KYSO_OK && a->send != NULL) {
		const char *tok = a->token != NULL ? a->token : getenv(a->token_env);
		if (tok == NULL || *tok == '\0')
			rc = kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--send: the collector token is not set (variable %s)"),
			        a->token_env);
		bool later = false;
		if (rc == KYSO_OK)
			rc = kyso_doctor_send_retry(bundle, a->send, tok, a->cacert, 4, &later,
			                            err);
		if (rc == KYSO_OK && !a->json)
			printf(_("Report %s sent to %s.\n"),
			       json_string_value(json_object_get(report, "id")), a->send);
		char kept[4400];
		kyso_error_t e2;
		kyso_error_clear(&e2);
		if (rc != KYSO_OK && later &&
		    kyso_doctor_outbox_keep(bundle, a->send, tok, temporary, kept, sizeof(kept),
		                            &e2) == KYSO_OK) {
			fprintf(stderr,
			        _("The report waits in the outbox as %s: kyso doctor "
			          "--send-pending "
			          "(kyso-agent runs it once a day) sends it when the collector "
			          "answers.\n"),
			        kept);
			temporary = false;
		} else if (rc != KYSO_OK && temporary) {
			fprintf(stderr, _("The report was kept as %s: send it to the helpdesk.\n"),
			        bundle);
			temporary = false;
		}
	}
	if (temporary && remove(bundle) != 0)
		kyso_debug("doctor: cannot remove %s", bundle);
	if (rc == KYSO_OK && a->json && kyso_json_print(json_incref(red)) != KYSO_OK)
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s", _("cannot write the JSON output"));
	json_decref(red);
	return rc;
}

/* --show (the Start-menu shortcut): the page in the browser, a line that
 * stays until a key is pressed and, with a collector in config.json
 * (report_url, report_token), the offer to send the report. */
static kyso_err_t show_result(doctor_args_t *a, const json_t *report, log_capture_t *lc,
                              kyso_error_t *err)
{
	char full[4200];
	const char *page = realpath(a->html, full) != NULL ? full : a->html;
	kyso_error_t oerr;
	kyso_error_clear(&oerr);
	if (kyso_open_document(page, &oerr) == KYSO_OK)
		printf(_("The report is open in your web browser: %s\n"), page);
	else
		printf(_("Open this file in your web browser: %s (%s)\n"), page, oerr.msg);
	kyso_config_t *cfg = kyso_config_load();
	const char *url = cfg != NULL ? cfg->report_url : NULL;
	kyso_err_t rc = KYSO_OK;
	if (url != NULL && *url != '\0') {
		/* TRANSLATORS: the key that answers yes to the question below */
		const char *yes = _("y");
		printf(_("Send to the helpdesk? Press %s to send the report, any other key to "
		         "close.\n"),
		       yes);
		fflush(stdout);
		int k = kyso_wait_key();
		if (k == 'y' || k == (unsigned char)yes[0]) {
			a->send = url;
			a->token = cfg->report_token;
			a->html = NULL;
			rc = finish_outputs(a, report, lc, err);
			if (rc == KYSO_OK)
				printf("%s\n", _("The helpdesk has received the report."));
			else
				printf(_("The report did not arrive: %s\n"), err->msg);
		}
	}
	printf("%s\n", _("Press any key to close this window."));
	fflush(stdout);
	(void)kyso_wait_key();
	kyso_config_free(&cfg);
	return rc;
}

int kyso_cmd_doctor(int argc, char **argv)
{
	doctor_args_t a;
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
	if (a.send_pending) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return KYSO_EXIT_ENV;
		int rc = kyso_doctor_send_pending(a.send, a.token_env, a.cacert, a.json);
		curl_global_cleanup();
		return rc;
	}
	char page[4300];
	if (a.show && a.html == NULL) {
		if (make_reports_dir(&err) != KYSO_OK)
			return kyso_cmd_fail(a.json, &err);
		snprintf(page, sizeof(page), "%s/kyso-kiem-tra-ky-so.html", reports_dir());
		a.html = page;
	}
	kyso_doctor_set_redact(!a.no_redact);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		kyso_error_set(&err, KYSO_ERR_INTERNAL, "curl_global_init failed");
		return kyso_cmd_fail(a.json, &err);
	}
	log_capture_t lc;
	kyso_buf_init(&lc.text);
	lc.shown = kyso_log_get_level();
	kyso_log_set_sink(on_log, &lc);
	if (lc.shown < KYSO_LOG_INFO)
		kyso_log_set_level(KYSO_LOG_INFO);
	json_t *report = kyso_doctor_run(&a.o, &err);
	kyso_log_set_level(lc.shown);
	int exit_code;
	if (report == NULL) {
		kyso_log_set_sink(NULL, NULL);
		exit_code = kyso_cmd_fail(a.json, &err);
	} else {
		if (!a.json)
			kyso_doctor_write_text(stdout, report,
			                       isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
		exit_code = strcmp(kyso_doctor_result(report), "fail") == 0 ? KYSO_EXIT_PROBLEM
		                                                            : KYSO_EXIT_OK;
		kyso_err_t rc = finish_outputs(&a, report, &lc, &err);
		if (rc == KYSO_OK && a.show && !a.json)
			rc = show_result(&a, report, &lc, &err);
		kyso_log_set_sink(NULL, NULL);
		if (rc != KYSO_OK) {
			fflush(stdout);
			exit_code = kyso_cmd_fail(a.json, &err);
		}
	}
	json_decref(report);
	kyso_buf_free(&lc.text);
	curl_global_cleanup();
	return exit_code;
}
