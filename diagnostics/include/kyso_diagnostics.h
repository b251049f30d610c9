/* kyso_diagnostics: `kyso doctor` checks and report writers, `kyso reports`.
 *
 * Running the checks as a library:
 *
 *	kyso_doctor_opts_t o;
 *	kyso_doctor_opts_init(&o);
 *	o.offline = true;
 *	json_t *report = kyso_doctor_run(&o, &err);   // schema: docs/doctor.md
 *	kyso_doctor_write_html(report, "report.html", &err);
 *	json_decref(report);
 *
 * The doctor never changes the system (repairs are `kyso setup --repair`);
 * only `sign` does one real test signature on a temporary sample PDF. */
#ifndef KYSO_DIAGNOSTICS_H
#define KYSO_DIAGNOSTICS_H
#include "kyso_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the report JSON schema ("schema" member). */
#define KYSO_DOCTOR_SCHEMA 1

typedef struct {
	const char *catalog;         /* tokens.json instead of the installed one */
	const char *module;          /* PKCS#11 module to use instead of the catalog's */
	const char *token_label;     /* token to look at when a module has several */
	const char *const *ca_files; /* extra trust anchors, NULL-terminated */
	const char *tsa_url; /* TSA (also the clock reference); NULL = config, then default */
	const char *const *agent_urls; /* agent endpoints to try; NULL = the configured ones */
	const char *agent_ca;          /* the agent's local CA; NULL = its state dir's ca.pem */
	const char *agent_origin;      /* Origin for the agent; NULL = first configured */
	const char *pin_env;           /* --sign: PIN from this environment variable */
	bool offline;                  /* no network checks (clock, TSA, revocation) */
	bool sign;                     /* one real test signature */
	bool no_usb;                   /* skip the USB scan */
	int timeout_ms;                /* per network request, 0 = 5000 */
} kyso_doctor_opts_t;

void kyso_doctor_opts_init(kyso_doctor_opts_t *o);

/* Runs every check in order; returns the report (new reference), NULL only on
 * out-of-memory. Personal data seen (names, e-mails, serials) is registered
 * with kyso_redact_personal(). */
json_t *kyso_doctor_run(const kyso_doctor_opts_t *o, kyso_error_t *err);

/* Worst status of the report: "pass", "warn" or "fail". */
const char *kyso_doctor_result(const json_t *report);

/* A copy of the report with every string passed through kyso_redact_line()
 * (personal data hashed unless redaction is off, PINs always masked). */
json_t *kyso_doctor_redacted(const json_t *report);

/* Writers. */
void kyso_doctor_write_text(FILE *out, const json_t *report, bool colour);
kyso_err_t kyso_doctor_write_html(const json_t *report, const char *path, kyso_error_t *err);
char *kyso_doctor_html(const json_t *report); /* malloc'ed page */
/* Zip with report.json, report.html, report.txt, versions.txt and logs.
 * log_text may be NULL. The report must already be redacted as wanted. */
kyso_err_t kyso_doctor_write_bundle(const json_t *report, const char *log_text, const char *path,
                                    kyso_error_t *err);
/* POSTs a bundle to a collector (`kyso reports serve`). HTTPS, or plain HTTP
 * to a loopback address only. token: bearer token; cafile may be NULL. */
kyso_err_t kyso_doctor_send(const char *bundle, const char *url, const char *token,
                            const char *cafile, int timeout_ms, kyso_error_t *err);

/* ---- reports store (SQLite or PostgreSQL) --------------------------------- */

typedef struct kyso_reports_db kyso_reports_db_t;

/* url: a file path, sqlite:PATH or postgresql://... (libpq; the password
 * from PGPASSFILE/~/.pgpass/PGPASSWORD). Runs the pending migrations. */
kyso_reports_db_t *kyso_reports_db_open(const char *url, kyso_error_t *err);
void kyso_reports_db_close(kyso_reports_db_t **db);
const char *kyso_reports_db_kind(const kyso_reports_db_t *db); /* "sqlite", "postgresql" */
/* Applies the pending migrations; the schema version, or -1. */
int kyso_reports_db_migrate(kyso_reports_db_t *db, kyso_error_t *err);
/* Ingests one report (JSON text, or a bundle zip holding report.json) and
 * keeps the uploaded bytes as its bundle, all in one transaction.
 * *added is false when a report with the same id was already there (then
 * nothing is changed). */
kyso_err_t kyso_reports_db_ingest(kyso_reports_db_t *db, const uint8_t *data, size_t len,
                                  const char *source, char id_out[64], bool *added,
                                  kyso_error_t *err);
/* Parses a report document (JSON or zip) without storing it; new reference. */
json_t *kyso_reports_parse(const uint8_t *data, size_t len, kyso_error_t *err);

/* What a summary or a list looks at; NULL/0 fields do not filter. */
typedef struct {
	int days; /* reports of the last `days` UTC days (0 = all) */
	const char *org, *token_type, *os, *version;
	const char *check; /* lists only: reports failing this check */
} kyso_reports_filter_t;

/* {total, since, by_result, by_failing_check, by_warning_check, by_token_type,
 * by_os, by_version, by_org, by_day, trend: {check: {day: n}},
 * new_since_yesterday: {check: n}} (see docs/helpdesk.md). */
json_t *kyso_reports_db_summary(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                                kyso_error_t *err);
/* Newest first, at most `limit`: [{id, created, result, os, kyso_version,
 * token_type, org}]. */
json_t *kyso_reports_db_list(kyso_reports_db_t *db, const kyso_reports_filter_t *f, int limit,
                             kyso_error_t *err);
/* The stored report, or NULL (KYSO_ERR_NOT_FOUND). */
json_t *kyso_reports_db_get(kyso_reports_db_t *db, const char *id, kyso_error_t *err);
/* The bundle as uploaded, appended to out. */
kyso_err_t kyso_reports_db_bundle(kyso_reports_db_t *db, const char *id, kyso_buf_t *out,
                                  kyso_error_t *err);
kyso_err_t kyso_reports_db_export_csv(kyso_reports_db_t *db, FILE *out, kyso_error_t *err);
/* Removes the reports of days older than `days` days; *removed counts them. */
kyso_err_t kyso_reports_db_prune(kyso_reports_db_t *db, int days, long long *removed,
                                 kyso_error_t *err);

/* `kyso reports serve`: the collector (reports_serve.c). */
#define KYSO_REPORTS_MAX_THREADS 64
typedef struct {
	const char *db_url; /* each worker thread opens its own connection */
	const char *store;  /* optional directory: a file copy of each new bundle */
	const char *token;  /* bearer token */
	const char *listen; /* "127.0.0.1:PORT" */
	size_t max_size;
	unsigned threads;      /* worker threads (one store connection each) */
	unsigned max_inflight; /* uploads at once before 429 */
} kyso_reports_serve_opts_t;
/* Runs until SIGINT/SIGTERM; returns the exit code. */
int kyso_reports_serve(const kyso_reports_serve_opts_t *o, const char *cert, const char *key,
                       kyso_error_t *err);

/* Redaction of the doctor's reports (doctor_run.c): off with --no-redact. */
void kyso_doctor_set_redact(bool on);
/* s with the personal values and the user names in paths replaced by
 * pseudonyms (unless redaction is off); malloc'ed (doctor_redact.c) */
char *kyso_doctor_redact_string(const char *s);

/* Uploads and the outbox (report_bundle.c, doctor_outbox.c). */
/* Sends with retries and backoff (1 s, 2 s, 4 s ..., or the collector's
 * Retry-After) while the failure may pass (no answer, 429, 5xx). *later:
 * the last failure was of that kind. */
kyso_err_t kyso_doctor_send_retry(const char *bundle, const char *url, const char *token,
                                  const char *cacert, int attempts, bool *later, kyso_error_t *err);
/* Moves (or copies) bundle into the outbox with the collector's URL and the
 * upload token beside it (mode 0600). */
kyso_err_t kyso_doctor_outbox_keep(const char *bundle, const char *url, const char *token,
                                   bool move, char *out, size_t cap, kyso_error_t *err);
/* `kyso doctor --send-pending`: every bundle of the outbox (to url, or each
 * one's own; the token from token_env, or each one's own); the exit code. */
int kyso_doctor_send_pending(const char *url, const char *token_env, const char *cacert, bool json);

#ifdef __cplusplus
}
#endif
#endif
