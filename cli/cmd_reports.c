/* `kyso reports`: the helpdesk gathers doctor reports and sees patterns. */
#include "kyso_diagnostics.h"
#include "commands.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	bool json, help;
	const char *db, *listen, *store, *token_env, *cert, *key, *older_than;
	const char *unit, *token_type, *os, *version;
	int days;
	unsigned threads, max_inflight;
	size_t max_size;
	bool csv;
	int first; /* index of the first operand */
} reports_args_t;

static void usage(FILE *out)
{
	fprintf(out, "%s\n",
	        _("Usage: kyso reports [--db URL] ingest FILE|DIR...\n"
	          "       kyso reports [--db URL] summary [--days N] [--unit U] [--token-type T] "
	          "[--os OS] [--version V] [--json]\n"
	          "       kyso reports [--db URL] show ID\n"
	          "       kyso reports [--db URL] export --csv\n"
	          "       kyso reports [--db URL] migrate\n"
	          "       kyso reports [--db URL] prune --older-than DAYSd\n"
	          "       kyso reports [--db URL] serve --listen 127.0.0.1:PORT "
	          "[--store DIR] [--token-env VAR] [--max-size BYTES] [--threads N] "
	          "[--max-inflight N] [--cert PEM --key PEM]"));
	fprintf(out, "\n");
	fprintf(out,
	        _("Gathers kyso doctor reports (JSON or bundles) in a store and counts them by "
	          "failing check, token type, OS, kyso version, unit and day. --db is a SQLite "
	          "file (PATH or sqlite:PATH, default %s/reports.db) or postgresql://... (the "
	          "password from PGPASSFILE or PGPASSWORD, never in the URL); the collector's "
	          "token comes from KYSO_REPORT_TOKEN unless --token-env names another "
	          "variable; its dashboard is at /. See docs/helpdesk.md.\n"),
	        kyso_path_state_user());
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

static kyso_err_t parse_args(int argc, char **argv, reports_args_t *a, char **ops, int *n_ops,
                             kyso_error_t *err)
{
	memset(a, 0, sizeof(*a));
	a->token_env = "KYSO_REPORT_TOKEN";
	a->max_size = 20u << 20;
	a->threads = 4;
	a->max_inflight = 256;
	*n_ops = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *v = NULL;
		if (strcmp(s, "--json") == 0)
			a->json = true;
		else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
			a->help = true;
		else if (strcmp(s, "--csv") == 0)
			a->csv = true;
		else if (take(argc, argv, &i, "--db", &a->db) ||
		         take(argc, argv, &i, "--listen", &a->listen) ||
		         take(argc, argv, &i, "--store", &a->store) ||
		         take(argc, argv, &i, "--token-env", &a->token_env) ||
		         take(argc, argv, &i, "--cert", &a->cert) ||
		         take(argc, argv, &i, "--key", &a->key) ||
		         take(argc, argv, &i, "--unit", &a->unit) ||
		         take(argc, argv, &i, "--token-type", &a->token_type) ||
		         take(argc, argv, &i, "--os", &a->os) ||
		         take(argc, argv, &i, "--version", &a->version) ||
		         take(argc, argv, &i, "--older-than", &a->older_than))
			continue;
		else if (take(argc, argv, &i, "--threads", &v) ||
		         take(argc, argv, &i, "--max-inflight", &v)) {
			char *end;
			long n = strtol(v, &end, 10);
			bool thr = strncmp(s, "--threads", 9) == 0;
			if (*end != '\0' || n < 1 || n > (thr ? KYSO_REPORTS_MAX_THREADS : 100000))
				return kyso_error_set(err, KYSO_ERR_USAGE,
				                      _("%s takes a number from 1 to %d"),
				                      thr ? "--threads" : "--max-inflight",
				                      thr ? KYSO_REPORTS_MAX_THREADS : 100000);
			*(thr ? &a->threads : &a->max_inflight) = (unsigned)n;
		} else if (take(argc, argv, &i, "--days", &v)) {
			char *end;
			long d = strtol(v, &end, 10);
			if (*end != '\0' || d < 0 || d > 36500)
				return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
				                      _("--days takes a number of days"));
			a->days = (int)d;
		} else if (take(argc, argv, &i, "--max-size", &v)) {
			char *end;
			long long m = strtoll(v, &end, 10);
			if (*end != '\0' || m < 1024 || m > (1LL << 30))
				return kyso_error_set(
				        err, KYSO_ERR_USAGE, "%s",
				        _("--max-size takes 1024 to 1073741824 bytes"));
			a->max_size = (size_t)m;
		} else if (s[0] == '-' && s[1] == '-')
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("kyso reports: unknown option \"%s\" (see --help)"),
			                      s);
		else
			ops[(*n_ops)++] = argv[i];
	}
	return KYSO_OK;
}

static const char *default_db(void)
{
	static char path[4200];
	const char *dir = kyso_path_state_user();
	if (mkdir(dir, 0700) != 0)
		kyso_debug("reports: %s exists or cannot be made", dir);
	snprintf(path, sizeof(path), "%s/reports.db", dir);
	return path;
}

typedef struct {
	size_t added, known, bad;
	bool json;
} ingest_count_t;

static void ingest_file(kyso_reports_db_t *db, const char *path, ingest_count_t *n)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	uint8_t *data = NULL;
	size_t len = 0;
	char id[64] = "";
	bool added = false;
	if (kyso_file_read_all(path, 64u << 20, &data, &len, &err) != KYSO_OK ||
	    kyso_reports_db_ingest(db, data, len, path, id, &added, &err) != KYSO_OK) {
		n->bad++;
		fprintf(stderr, "%s: %s\n", path, kyso_error_message(&err));
	} else if (added) {
		n->added++;
	} else {
		n->known++;
	}
	free(data);
}

static void ingest_path(kyso_reports_db_t *db, const char *path, ingest_count_t *n, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		n->bad++;
		fprintf(stderr, _("%s: no such file\n"), path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		ingest_file(db, path, n);
		return;
	}
	if (depth > 8)
		return;
	struct dirent **list = NULL;
	int k = scandir(path, &list, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		const char *nm = list[i]->d_name;
		size_t l = strlen(nm);
		char child[4200];
		snprintf(child, sizeof(child), "%s/%s", path, nm);
		if (nm[0] != '.' &&
		    ((l > 5 && strcmp(nm + l - 5, ".json") == 0) ||
		     (l > 4 && strcmp(nm + l - 4, ".zip") == 0) || list[i]->d_type == DT_DIR))
			ingest_path(db, child, n, depth + 1);
		free(list[i]);
	}
	free(list);
}

static void print_counts(const char *title, const json_t *o)
{
	printf("%s\n", title);
	if (json_object_size(o) == 0)
		printf("  -\n");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		printf("  %6lld  %s\n", (long long)json_integer_value(v), k);
	}
}

static int cmd_summary(kyso_reports_db_t *db, const reports_args_t *a)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_reports_filter_t f = {.days = a->days,
	                           .org = a->unit,
	                           .token_type = a->token_type,
	                           .os = a->os,
	                           .version = a->version};
	json_t *s = kyso_reports_db_summary(db, &f, &err);
	if (s == NULL)
		return kyso_cmd_fail(a->json, &err);
	if (a->json)
		return kyso_json_print(s) == KYSO_OK ? KYSO_EXIT_OK : KYSO_EXIT_PROBLEM;
	if (a->days > 0)
		printf(_("%lld report(s) in the last %d day(s)\n\n"),
		       (long long)json_integer_value(json_object_get(s, "total")), a->days);
	else
		printf(_("%lld report(s)\n\n"),
		       (long long)json_integer_value(json_object_get(s, "total")));
	print_counts(_("Failing checks:"), json_object_get(s, "by_failing_check"));
	print_counts(_("Warnings:"), json_object_get(s, "by_warning_check"));
	print_counts(_("Token types:"), json_object_get(s, "by_token_type"));
	print_counts(_("Operating systems:"), json_object_get(s, "by_os"));
	print_counts(_("kyso versions:"), json_object_get(s, "by_version"));
	print_counts(_("Units:"), json_object_get(s, "by_org"));
	print_counts(_("Reports per day:"), json_object_get(s, "by_day"));
	print_counts(_("Failing checks reported today:"),
	             json_object_get(s, "new_since_yesterday"));
	json_decref(s);
	return KYSO_EXIT_OK;
}

static int cmd_prune(kyso_reports_db_t *db, const reports_args_t *a)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char *end = NULL;
	long d = a->older_than != NULL ? strtol(a->older_than, &end, 10) : -1;
	if (end == NULL || end == a->older_than || (*end != '\0' && strcmp(end, "d") != 0) ||
	    d < 1 || d > 36500) {
		kyso_error_set(&err, KYSO_ERR_USAGE, "%s",
		               _("prune needs --older-than DAYS, e.g. --older-than 365d"));
		return kyso_cmd_fail(a->json, &err);
	}
	long long n = 0;
	if (kyso_reports_db_prune(db, (int)d, &n, &err) != KYSO_OK)
		return kyso_cmd_fail(a->json, &err);
	if (a->json)
		kyso_json_print(json_pack("{s:I}", "removed", (json_int_t)n));
	else
		printf(_("%lld report(s) older than %ld day(s) removed\n"), n, d);
	return KYSO_EXIT_OK;
}

static int cmd_serve(const reports_args_t *a, const char *db_url)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_reports_serve_opts_t s;
	memset(&s, 0, sizeof(s));
	s.db_url = db_url;
	s.listen = a->listen;
	s.max_size = a->max_size;
	s.threads = a->threads;
	s.max_inflight = a->max_inflight;
	s.token = getenv(a->token_env);
	s.store = a->store;
	if (s.token == NULL || strlen(s.token) < 16) {
		kyso_error_set(&err, KYSO_ERR_USAGE,
		               _("serve needs a token of at least 16 characters in %s"),
		               a->token_env);
		return kyso_cmd_fail(false, &err);
	}
	return kyso_reports_serve(&s, a->cert, a->key, &err);
}

int kyso_cmd_reports(int argc, char **argv)
{
	reports_args_t a;
	kyso_error_t err;
	kyso_error_clear(&err);
	char **ops = calloc((size_t)argc + 1, sizeof(char *));
	int n_ops = 0;
	if (ops == NULL) {
		kyso_error_set(&err, KYSO_ERR_NOMEM, NULL);
		return kyso_cmd_fail(false, &err);
	}
	if (parse_args(argc, argv, &a, ops, &n_ops, &err) != KYSO_OK) {
		free(ops);
		usage(stderr);
		return kyso_cmd_fail(a.json, &err);
	}
	if (a.help || n_ops == 0) {
		free(ops);
		usage(a.help ? stdout : stderr);
		return a.help ? KYSO_EXIT_OK : KYSO_EXIT_USAGE;
	}
	const char *db_path = a.db != NULL ? a.db : default_db();
	kyso_reports_db_t *db = kyso_reports_db_open(db_path, &err);
	if (db == NULL) {
		free(ops);
		return kyso_cmd_fail(a.json, &err);
	}
	int rc = KYSO_EXIT_OK;
	const char *op = ops[0];
	if (strcmp(op, "ingest") == 0 && n_ops >= 2) {
		ingest_count_t n = {0, 0, 0, a.json};
		for (int i = 1; i < n_ops; i++)
			ingest_path(db, ops[i], &n, 0);
		if (a.json)
			kyso_json_print(json_pack("{s:I, s:I, s:I}", "added", (json_int_t)n.added,
			                          "already_known", (json_int_t)n.known, "rejected",
			                          (json_int_t)n.bad));
		else
			printf(_("%zu added, %zu already known, %zu rejected\n"), n.added, n.known,
			       n.bad);
		rc = n.bad > 0 ? KYSO_EXIT_INPUT : KYSO_EXIT_OK;
	} else if (strcmp(op, "summary") == 0) {
		rc = cmd_summary(db, &a);
	} else if (strcmp(op, "show") == 0 && n_ops == 2) {
		json_t *r = kyso_reports_db_get(db, ops[1], &err);
		if (r == NULL)
			rc = kyso_cmd_fail(a.json, &err);
		else if (a.json)
			kyso_json_print(r);
		else {
			kyso_doctor_write_text(stdout, r, false);
			json_decref(r);
		}
	} else if (strcmp(op, "export") == 0 && a.csv) {
		if (kyso_reports_db_export_csv(db, stdout, &err) != KYSO_OK)
			rc = kyso_cmd_fail(false, &err);
	} else if (strcmp(op, "migrate") == 0 && n_ops == 1) {
		int v = kyso_reports_db_migrate(db, &err);
		if (v < 0)
			rc = kyso_cmd_fail(a.json, &err);
		else if (a.json)
			kyso_json_print(json_pack("{s:s, s:i}", "store", kyso_reports_db_kind(db),
			                          "schema_version", v));
		else
			printf(_("The %s store is at schema version %d.\n"),
			       kyso_reports_db_kind(db), v);
	} else if (strcmp(op, "prune") == 0 && n_ops == 1) {
		rc = cmd_prune(db, &a);
	} else if (strcmp(op, "serve") == 0) {
		/* the workers open their own connections; this one checked and migrated */
		kyso_reports_db_close(&db);
		rc = cmd_serve(&a, db_path);
	} else {
		usage(stderr);
		kyso_error_set(&err, KYSO_ERR_USAGE, _("kyso reports: what to do? (%s)"), op);
		rc = kyso_cmd_fail(a.json, &err);
	}
	kyso_reports_db_close(&db);
	free(ops);
	return rc;
}
