/* `kyso setup`: detect the token, plan, apply with a journal (rollback on
 * failure), self-test signature, agent registration, install report.
 * `--dry-run` prints the plan, `--uninstall` undoes the journal. */
#include "kyso_process.h"
#include "kyso_setup.h"
#include "commands.h"

#include "kyso_deploy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "%s\n",
	        _("Usage: kyso setup [--dry-run] [--json] [--unattended] [--bundle DIR] "
	          "[--origin URL]... [--fetch-origin URL]... [--pin-env VAR] [--token ID] [--user] "
	          "[--root DIR]\n"
	          "       kyso setup --uninstall [--user] [--root DIR]\n"
	          "       kyso setup --repair [options]"));
	fprintf(out, "\n%s\n",
	        _("Installs and registers the driver of the connected token, signs a "
	          "sample PDF as proof and registers the signing agent."));
	fprintf(out, "\n%s\n", _("Options:"));
	fprintf(out, "  --dry-run          %s\n", _("print the plan and change nothing"));
	fprintf(out, "  --json             %s\n", _("one JSON document on stdout (docs/setup.md)"));
	fprintf(out, "  --unattended       %s\n",
	        _("never ask anything (PIN only from --pin-env)"));
	fprintf(out, "  --bundle DIR       %s\n",
	        _("vendor driver files, checked against the "
	          "catalog's SHA-256"));
	fprintf(out, "  --origin URL       %s\n",
	        _("web system allowed to use the agent (repeatable)"));
	fprintf(out, "  --fetch-origin URL %s\n",
	        _("server the agent may download from/upload to for the VGCA protocol "
	          "(FileUploadHandler on another host; repeatable)"));
	fprintf(out, "  --pin-env VAR      %s\n", _("self-test PIN from environment variable VAR"));
	fprintf(out, "  --org NAME         %s\n",
	        _("organisation or unit of this computer (in the doctor's reports)"));
	fprintf(out, "  --redact-key KEY   %s\n",
	        _("the organisation's key for the pseudonyms of personal data in the doctor's "
	          "reports (at least 16 characters; the same on every computer of the "
	          "organisation)"));
	fprintf(out, "  --token ID         %s\n", _("which token: reader name or catalog id"));
	fprintf(out, "  --token-label L    %s\n", _("PKCS#11 token label for the self-test"));
	fprintf(out, "  --catalog FILE     %s\n",
	        _("use FILE instead of the installed tokens.json"));
	fprintf(out, "  --ca FILE          %s\n",
	        _("extra trust anchor for verifying the self-test"));
	fprintf(out, "  --report-dir DIR   %s\n",
	        _("where install-report.json and the signed sample go"));
	fprintf(out, "  --no-selftest      %s\n", _("do not sign the sample PDF"));
	fprintf(out, "  --no-agent         %s\n", _("do not register the signing agent"));
	fprintf(out, "  --vendor-plugin    %s\n",
	        _("install the vendor's web plugin from the bundle instead of "
	          "kyso-agent's matching protocol"));
	fprintf(out, "  --user             %s\n",
	        _("register for this user only (p11-kit, config, agent)"));
	fprintf(out, "  --root DIR         %s\n",
	        _("staging root: every system path is under DIR "
	          "(also KYSO_ROOT)"));
	fprintf(out, "  --uninstall        %s\n", _("undo exactly what setup did (journal)"));
	fprintf(out, "  --repair           %s\n",
	        _("re-apply what is missing, sign again, new report"));
	fprintf(out, "\n%s\n",
	        _("Exit codes: 0 ok, 1 problem (missing vendor file, self-test not "
	          "verified), 2 usage, 3 no token or PC/SC service, 4 token error "
	          "(PIN), 5 bad bundle file."));
}

static int usage_error(bool json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(bool json, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kyso_error_t err;
	kyso_error_set(&err, KYSO_ERR_USAGE, "%s", buf);
	return kyso_cmd_fail(json, &err);
}

/* Returns -1 when parsing went fine, else an exit code. */
static int parse(int argc, char **argv, kyso_setup_opts_t *o)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		const char **dst = NULL;
		if (strcmp(s, "--json") == 0)
			o->json = true;
		else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
			o->help = true;
		else if (strcmp(s, "--dry-run") == 0)
			o->dry_run = true;
		else if (strcmp(s, "--unattended") == 0)
			o->unattended = true;
		else if (strcmp(s, "--uninstall") == 0)
			o->uninstall = true;
		else if (strcmp(s, "--repair") == 0)
			o->repair = true;
		else if (strcmp(s, "--user") == 0)
			o->user = true;
		else if (strcmp(s, "--no-selftest") == 0)
			o->no_selftest = true;
		else if (strcmp(s, "--no-agent") == 0)
			o->no_agent = true;
		else if (strcmp(s, "--vendor-plugin") == 0)
			o->vendor_plugin = true;
		else if (strcmp(s, "--bundle") == 0)
			dst = &o->bundle;
		else if (strcmp(s, "--catalog") == 0)
			dst = &o->catalog;
		else if (strcmp(s, "--token") == 0)
			dst = &o->token;
		else if (strcmp(s, "--token-label") == 0)
			dst = &o->token_label;
		else if (strcmp(s, "--pin-env") == 0)
			dst = &o->pin_env;
		else if (strcmp(s, "--report-dir") == 0)
			dst = &o->report_dir;
		else if (strcmp(s, "--ca") == 0)
			dst = &o->ca_file;
		else if (strcmp(s, "--root") == 0)
			dst = &o->root;
		else if (strcmp(s, "--org") == 0)
			dst = &o->org;
		else if (strcmp(s, "--redact-key") == 0)
			dst = &o->redact_key;
		else if (strcmp(s, "--origin") == 0 || strcmp(s, "--fetch-origin") == 0) {
			if (next == NULL)
				return usage_error(o->json, _("%s needs a value"), s);
			if (strncmp(next, "https://", 8) != 0 && strncmp(next, "http://", 7) != 0)
				return usage_error(o->json,
				                   _("%s takes a web origin such as "
				                     "https://vanban.example.gov.vn, not \"%s\""),
				                   s, next);
			json_array_append_new(s[2] == 'o' ? o->origins : o->fetch_origins,
			                      json_string(next));
			i++;
			continue;
		} else
			return usage_error(o->json,
			                   _("kyso setup: unknown option \"%s\" (see --help)"), s);
		if (dst != NULL) {
			if (next == NULL)
				return usage_error(o->json, _("%s needs a value"), s);
			*dst = next;
			i++;
		}
	}
	if (o->redact_key != NULL)
		kyso_redact_secret(o->redact_key); /* never in a log line */
	if (o->redact_key != NULL && strlen(o->redact_key) < KYSO_SETUP_REDACT_KEY_MIN)
		return usage_error(o->json, _("--redact-key: the key needs at least %d characters"),
		                   KYSO_SETUP_REDACT_KEY_MIN);
	if (o->uninstall && (o->dry_run || o->repair))
		return usage_error(o->json, _("%s cannot be combined with --dry-run or --repair"),
		                   "--uninstall");
	return -1;
}

static void on_signal(int sig)
{
	(void)sig;
	kyso_setup_interrupted = 1;
}

static kyso_err_t setup_root(kyso_setup_opts_t *o, char *buf, size_t cap, kyso_error_t *err)
{
	if (o->root == NULL) {
		const char *env = kyso_test_hook("KYSO_ROOT");
		o->root = env != NULL ? env : "";
	}
	if (o->root[0] == '\0' || strcmp(o->root, "/") == 0) {
		o->root = "";
		return KYSO_OK;
	}
	if (realpath(o->root, buf) == NULL)
		return kyso_error_set(err, KYSO_ERR_USAGE, _("--root %s: %s"), o->root,
		                      strerror(errno));
	(void)cap;
	o->root = buf;
	/* the catalog overrides and kyso's config live under the root too */
	char sys[PATH_MAX];
	if (!kyso_str_printf(sys, sizeof(sys), "%s/etc/kyso", buf))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("Path too long: %s"), buf);
	setenv("KYSO_SYSCONFDIR", sys, 1);
	return KYSO_OK;
}

static int uninstall(const kyso_setup_opts_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_setup_plan_t p;
	memset(&p, 0, sizeof(p));
	char *dir = kyso_setup_journal_dir(o);
	kyso_setup_journal_t *j = dir != NULL ? kyso_setup_journal_open(dir, &err) : NULL;
	if (j == NULL) {
		free(dir);
		return kyso_cmd_fail(o->json, &err);
	}
	size_t n = kyso_setup_journal_count(j);
	json_t *problems = json_array();
	kyso_err_t rc = KYSO_OK;
	if (kyso_setup_journal_exists(j))
		rc = kyso_setup_journal_undo(j, false, kyso_setup_undo_ops(), problems, &err);
	kyso_setup_journal_free(&j);
	int code = rc != KYSO_OK
	                   ? (int)kyso_err_exit(rc)
	                   : (json_array_size(problems) > 0 ? KYSO_EXIT_PROBLEM : KYSO_EXIT_OK);
	if (o->json) {
		kyso_json_print(json_pack("{s:i, s:s, s:s, s:I, s:O, s:i}", "schema",
		                          SETUP_REPORT_SCHEMA, "kind", "kyso-uninstall", "journal",
		                          dir, "undone", (json_int_t)n, "problems", problems,
		                          "exit", code));
	} else if (n == 0) {
		printf(_("Nothing to uninstall: no install journal in %s.\n"), dir);
	} else {
		printf(_("Undid %zu journaled changes from %s.\n"), n, dir);
		size_t i;
		json_t *v;
		json_array_foreach(problems, i, v)
		{
			printf(_("  Problem: %s\n"), json_string_value(v));
		}
	}
	json_decref(problems);
	free(dir);
	return code;
}

/* Asks which of several known tokens (interactive only). */
static const kyso_token_t *ask_token(const kyso_setup_opts_t *o, const kyso_detect_result_t *det,
                                     kyso_error_t *err)
{
	size_t n = kyso_detect_token_count(det);
	if (o->unattended || o->json || !isatty(STDIN_FILENO)) {
		char list[1024] = "";
		for (size_t i = 0; i < n; i++) {
			const kyso_token_t *t = kyso_detect_token_at(det, i);
			if (kyso_token_type(t) == NULL)
				continue;
			size_t l = strlen(list);
			const kyso_reader_t *rd = kyso_token_reader(t);
			snprintf(list + l, sizeof(list) - l, "%s%s in \"%s\"", l ? ", " : "",
			         kyso_token_type_id(kyso_token_type(t)),
			         rd != NULL ? kyso_reader_name(rd) : kyso_token_key(t));
		}
		kyso_error_set(err, KYSO_ERR_USAGE,
		               _("Several tokens are connected: %s. Say which with --token ID, "
		                 "or leave only one plugged in."),
		               list);
		return NULL;
	}
	printf("%s\n", _("Several tokens are connected:"));
	for (size_t i = 0; i < n; i++) {
		const kyso_token_t *t = kyso_detect_token_at(det, i);
		if (kyso_token_type(t) != NULL)
			printf("  %zu) %s — %s\n", i + 1, kyso_token_type_name(kyso_token_type(t)),
			       kyso_token_key(t));
	}
	printf("%s ", _("Which one (number)?"));
	fflush(stdout);
	char line[32];
	if (fgets(line, sizeof(line), stdin) != NULL) {
		unsigned long k = strtoul(line, NULL, 10);
		if (k >= 1 && k <= n && kyso_token_type(kyso_detect_token_at(det, k - 1)) != NULL)
			return kyso_detect_token_at(det, k - 1);
	}
	kyso_error_set(err, KYSO_ERR_USAGE, "%s", _("No token chosen."));
	return NULL;
}

/* The token to set up: --token (detected key or catalog id), else the one
 * known token present. */
static kyso_err_t choose_token(const kyso_setup_opts_t *o, const kyso_catalog_t *cat,
                               const kyso_detect_result_t *det, const kyso_token_type_t **type,
                               const kyso_token_t **token, kyso_error_t *err)
{
	*type = NULL;
	*token = NULL;
	size_t n = kyso_detect_token_count(det);
	if (o->token != NULL) {
		for (size_t i = 0; i < n; i++) {
			const kyso_token_t *t = kyso_detect_token_at(det, i);
			const kyso_token_type_t *tt = kyso_token_type(t);
			const kyso_reader_t *rd = kyso_token_reader(t);
			if (tt != NULL &&
			    (strcmp(kyso_token_key(t), o->token) == 0 ||
			     strcmp(kyso_token_type_id(tt), o->token) == 0 ||
			     (rd != NULL && strcmp(kyso_reader_name(rd), o->token) == 0))) {
				*token = t;
				*type = tt;
				return KYSO_OK;
			}
		}
		*type = kyso_catalog_find(cat, o->token);
		if (*type == NULL)
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--token %s: no connected token has this reader name "
			          "or type, and the catalog has no such id"),
			        o->token);
		return KYSO_OK;
	}
	size_t known = kyso_detect_known_count(det);
	if (known == 0) {
		kyso_err_t rc = kyso_detect_result_status(det, err);
		if (rc == KYSO_OK)
			rc = kyso_error_set(err, KYSO_ERR_NO_TOKEN, "%s", _("No token found"));
		if (rc == KYSO_ERR_PROBLEM) {
			/* only unknown tokens: show what the helpdesk needs */
			for (size_t i = 0; i < n; i++) {
				const char *hint =
				        kyso_token_catalog_hint(kyso_detect_token_at(det, i));
				if (hint != NULL)
					fprintf(stderr,
					        _("Unknown token; catalog entry to add: %s\n"),
					        hint);
			}
		}
		return rc;
	}
	if (known == 1) {
		for (size_t i = 0; i < n; i++) {
			const kyso_token_t *t = kyso_detect_token_at(det, i);
			if (kyso_token_type(t) != NULL) {
				*token = t;
				*type = kyso_token_type(t);
			}
		}
		return KYSO_OK;
	}
	*token = ask_token(o, det, err);
	if (*token == NULL)
		return err->code;
	*type = kyso_token_type(*token);
	return KYSO_OK;
}

static bool plan_problem(const kyso_setup_plan_t *p)
{
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].status == AST_MISSING || p->acts[i].status == AST_BAD_HASH ||
		    p->acts[i].problem)
			return true;
	return false;
}

/* The agent does not answer: a clear warning with the remedy. */
static void agent_warning(const json_t *agent)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(agent, "protocols"), i, v)
	{
		if (json_is_false(json_object_get(v, "answers")))
			fprintf(stderr, _("Warning: kyso-agent does not answer at %s: %s\n"),
			        json_string_value(json_object_get(v, "url")),
			        json_string_value(json_object_get(v, "detail")));
	}
	const char *remedy = json_string_value(json_object_get(agent, "remedy"));
	if (remedy != NULL)
		fprintf(stderr, "  %s\n", remedy);
}

static kyso_setup_action_t *find_act(kyso_setup_plan_t *p, kyso_setup_act_kind_t k)
{
	for (size_t i = 0; i < p->nacts; i++)
		if (p->acts[i].kind == k)
			return &p->acts[i];
	return NULL;
}

static int dry_run(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                   const kyso_detect_result_t *det)
{
	int code = plan_problem(p) ? KYSO_EXIT_PROBLEM : KYSO_EXIT_OK;
	if (o->json) {
		json_t *plan = kyso_setup_plan_to_json(p);
		kyso_json_print(json_pack(
		        "{s:i, s:s, s:b, s:s, s:s?, s:o, s:o, s:i}", "schema", SETUP_REPORT_SCHEMA,
		        "kind", "kyso-setup-plan", "dry_run", 1, "scope",
		        o->user ? "user" : "system", "root", o->root[0] ? o->root : NULL,
		        "detected", kyso_detect_result_to_json(det), "plan", plan, "exit", code));
	} else {
		printf("%s\n", _("Plan (dry run, nothing is changed):"));
		kyso_setup_plan_print(p, stdout);
	}
	return code;
}

/* A failed run: undo this run's changes, say so; returns the exit code. */
static int fail_rolled_back(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                            const kyso_detect_result_t *det, kyso_setup_apply_result_t *r,
                            kyso_setup_journal_t *j, const kyso_error_t *err)
{
	if (r->problems == NULL)
		r->problems = json_array();
	if (kyso_setup_journal_run_count(j) > 0) {
		kyso_error_t uerr;
		kyso_error_clear(&uerr);
		if (kyso_setup_journal_undo(j, true, kyso_setup_undo_ops(), r->problems, &uerr) !=
		    KYSO_OK)
			json_array_append_new(r->problems, json_string(kyso_error_message(&uerr)));
		for (size_t i = 0; i < p->nacts; i++)
			if (p->acts[i].status == AST_DONE)
				p->acts[i].status = AST_TODO;
	}
	int code = (int)kyso_err_exit(err->code);
	if (o->json) {
		json_t *rep = kyso_setup_report_build(o, p, det, r, "rolled-back", err);
		if (rep != NULL)
			json_object_set_new(rep, "exit", json_integer(code));
		kyso_json_print(rep);
	} else {
		fprintf(stderr, _("kyso setup failed: %s\n"), kyso_error_message(err));
		fprintf(stderr, "%s\n",
		        _("Every change this run made has been undone (rollback)."));
		size_t i;
		json_t *v;
		json_array_foreach(r->problems, i, v)
		{
			fprintf(stderr, _("  Problem: %s\n"), json_string_value(v));
		}
	}
	return code;
}

/* Setup failures (as opposed to token problems found by the self-test). */
static bool fatal_error(kyso_err_t rc)
{
	return kyso_setup_interrupted || rc == KYSO_ERR_IO || rc == KYSO_ERR_NOMEM ||
	       rc == KYSO_ERR_INTERNAL;
}

/* Runs the self-test and writes the report; returns the exit code. */
static int finish(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, kyso_setup_journal_t *j,
                  const kyso_detect_result_t *det, kyso_setup_apply_result_t *r)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	int code = plan_problem(p) ? KYSO_EXIT_PROBLEM : KYSO_EXIT_OK;
	kyso_setup_action_t *st = find_act(p, ACT_SELFTEST);
	if (st != NULL && st->status == AST_TODO) {
		if (r->token_label == NULL) {
			st->status = AST_SKIPPED;
			kyso_setup_act_set_detail(st, "%s", _("no token in the module's slots"));
			r->selftest =
			        json_pack("{s:s, s:s}", "status", "skipped", "why", st->detail);
			code = KYSO_EXIT_ENV;
		} else {
			kyso_err_t rc = kyso_setup_selftest_run(o, p, j, r->token_label,
			                                        &r->selftest, &err);
			if (rc != KYSO_OK && fatal_error(rc))
				return fail_rolled_back(o, p, det, r, j, &err);
			st->status = rc == KYSO_OK ? AST_DONE : AST_FAILED;
			if (rc != KYSO_OK) {
				kyso_setup_act_set_detail(st, "%s", kyso_error_message(&err));
				r->token_err = rc;
				code = (int)kyso_err_exit(rc);
			}
		}
	} else if (st != NULL) {
		r->selftest = json_pack("{s:s, s:s?}", "status", "skipped", "why", st->detail);
	}
	if (!o->no_agent && r->agent != NULL && !r->agent_ok && code == KYSO_EXIT_OK)
		code = KYSO_EXIT_PROBLEM;
	kyso_setup_action_t *ra = find_act(p, ACT_REPORT);
	json_t *rep = kyso_setup_report_build(o, p, det, r, code == 0 ? "ok" : "problem",
	                                      r->token_err != KYSO_OK ? &err : NULL);
	if (rep == NULL)
		return KYSO_EXIT_ENV;
	json_object_set_new(rep, "exit", json_integer(code));
	char *text = json_dumps(rep, JSON_INDENT(2));
	kyso_error_t werr;
	kyso_error_clear(&werr);
	if (text == NULL || ra == NULL ||
	    kyso_setup_jfs_write(j, ra->target, text, strlen(text), 0644, &werr) != KYSO_OK) {
		free(text);
		json_decref(rep);
		if (werr.code == KYSO_OK)
			kyso_error_set(&werr, KYSO_ERR_NOMEM, NULL);
		return fail_rolled_back(o, p, det, r, j, &werr);
	} else {
		ra->status = AST_DONE;
	}
	free(text);
	if (o->json) {
		kyso_json_print(rep);
	} else {
		kyso_setup_report_print_summary(rep, stdout);
		printf(_("\nInstall report: %s\n"), ra != NULL ? ra->target : "?");
		if (r->token_err != KYSO_OK)
			fprintf(stderr, "kyso setup: %s\n", kyso_error_message(&err));
		if (r->agent != NULL && !r->agent_ok)
			agent_warning(r->agent);
		json_decref(rep);
	}
	return code;
}

static int run_setup(kyso_setup_opts_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_catalog_t *cat = kyso_catalog_load(o->catalog, &err);
	if (cat == NULL)
		return kyso_cmd_fail(o->json, &err);
	kyso_detect_opts_t dopts = {.catalog = cat};
	kyso_detect_result_t *det = kyso_detect_scan(&dopts, &err);
	if (det == NULL) {
		kyso_catalog_free(cat);
		return kyso_cmd_fail(o->json, &err);
	}
	const kyso_token_type_t *type = NULL;
	const kyso_token_t *token = NULL;
	int code;
	kyso_setup_plan_t p;
	memset(&p, 0, sizeof(p));
	kyso_setup_apply_result_t r;
	memset(&r, 0, sizeof(r));
	kyso_setup_journal_t *j = NULL;
	if (choose_token(o, cat, det, &type, &token, &err) != KYSO_OK ||
	    kyso_setup_plan_build(o, type, token, &p, &err) != KYSO_OK) {
		code = kyso_cmd_fail(o->json, &err);
		goto out;
	}
	if (o->dry_run) {
		code = dry_run(o, &p, det);
		goto out;
	}
	j = kyso_setup_journal_open(p.journal_dir, &err);
	if (j == NULL) {
		code = kyso_cmd_fail(o->json, &err);
		goto out;
	}
	if (!kyso_setup_plan_has_work(&p) && !o->repair && kyso_setup_journal_exists(j)) {
		code = plan_problem(&p) ? KYSO_EXIT_PROBLEM : KYSO_EXIT_OK;
		if (o->json) {
			kyso_json_print(json_pack("{s:i, s:s, s:s, s:o, s:i}", "schema",
			                          SETUP_REPORT_SCHEMA, "kind", "kyso-setup-plan",
			                          "result", "nothing-to-do", "plan",
			                          kyso_setup_plan_to_json(&p), "exit", code));
		} else {
			printf("%s\n",
			       _("Everything is already in place; nothing was changed "
			         "(--repair signs the sample again and writes a new report)."));
			kyso_setup_plan_print(&p, stdout);
		}
		goto out;
	}
	if (!o->json) {
		printf("%s\n", _("Plan:"));
		kyso_setup_plan_print(&p, stdout);
	}
	if (kyso_setup_plan_apply(o, &p, j, &r, &err) != KYSO_OK) {
		code = fail_rolled_back(o, &p, det, &r, j, &err);
		goto out;
	}
	code = finish(o, &p, j, det, &r);
out:
	kyso_setup_journal_free(&j);
	kyso_setup_apply_result_free(&r);
	kyso_setup_plan_free(&p);
	kyso_detect_result_free(det);
	kyso_catalog_free(cat);
	return code;
}

int kyso_cmd_setup(int argc, char **argv)
{
	kyso_setup_opts_t o;
	memset(&o, 0, sizeof(o));
	o.origins = json_array();
	o.fetch_origins = json_array();
	char rootbuf[PATH_MAX];
	int code = parse(argc, argv, &o);
	if (code >= 0)
		goto out;
	if (o.help) {
		usage(stdout);
		code = KYSO_EXIT_OK;
		goto out;
	}
	kyso_error_t err;
	kyso_error_clear(&err);
	if (setup_root(&o, rootbuf, sizeof(rootbuf), &err) != KYSO_OK) {
		code = kyso_cmd_fail(o.json, &err);
		goto out;
	}
	/* the agency's deploy.json: origins when none are given here */
	kyso_deploy_t *dep = NULL;
	if (kyso_deploy_load(NULL, &dep, &err) != KYSO_OK) {
		code = kyso_cmd_fail(o.json, &err);
		goto out;
	}
	bool from_deploy = dep != NULL && dep->origins != NULL && json_array_size(o.origins) == 0;
	for (size_t i = 0; from_deploy && dep->origins[i] != NULL; i++)
		json_array_append_new(o.origins, json_string(dep->origins[i]));
	kyso_deploy_free(&dep);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		kyso_warn("sigaction: %s", strerror(errno));
	code = o.uninstall ? uninstall(&o) : run_setup(&o);
	if (kyso_setup_interrupted && !o.json)
		fprintf(stderr, "%s\n", _("kyso setup was interrupted."));
out:
	json_decref(o.origins);
	json_decref(o.fetch_origins);
	return code;
}
