/* The helpdesk's report store: opening (path, sqlite:PATH, postgresql://),
 * versioned migrations, idempotent ingest, show, bundle, CSV export, prune.
 * The SQL is written once for both backends (store_int.h). */
#include "reports_db_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Migrations, in order; "@BLOB@" is the backend's blob type. Never edit one
 * that has shipped: add the next. */
static const char *const migrations[] = {
        /* 1: the store of kyso <= 0.x (kept as it was: old files start here) */
        "CREATE TABLE IF NOT EXISTS reports ("
        " id TEXT PRIMARY KEY, created TEXT NOT NULL, received TEXT NOT NULL,"
        " result TEXT, os TEXT, kyso_version TEXT, token_type TEXT, source TEXT,"
        " json TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS problems ("
        " report_id TEXT NOT NULL REFERENCES reports(id), check_id TEXT NOT NULL,"
        " status TEXT NOT NULL, PRIMARY KEY (report_id, check_id));"
        "CREATE INDEX IF NOT EXISTS reports_created ON reports(created);",
        /* 2: organisation/unit, day, the bundle itself (once, in the store) */
        "ALTER TABLE reports ADD COLUMN org TEXT;"
        "ALTER TABLE reports ADD COLUMN day TEXT;"
        "UPDATE reports SET day = substr(created, 1, 10);"
        "ALTER TABLE problems ADD COLUMN day TEXT;"
        "UPDATE problems SET day = (SELECT r.day FROM reports r WHERE r.id = "
        "problems.report_id);"
        "CREATE TABLE bundles (report_id TEXT PRIMARY KEY REFERENCES reports(id),"
        " data @BLOB@ NOT NULL);"
        "CREATE INDEX reports_day ON reports(day);"
        "CREATE INDEX problems_day ON problems(day, status, check_id);",
        /* 3: the summary's grouped scan reads this index only, in its order */
        ("CREATE INDEX reports_groups ON reports(result, os, kyso_version, token_type, org, day);"
         "CREATE INDEX reports_days ON reports(day, org, token_type, os, kyso_version);"),
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static bool take_int(void *ctx, int n, const store_val_t *c)
{
	if (n > 0 && c[0].data != NULL)
		*(long long *)ctx = strtoll(c[0].data, NULL, 10);
	return false;
}

kyso_err_t kyso_reports_db_exec(kyso_reports_db_t *db, const char *sql, int n, const store_val_t *p,
                                store_row_fn fn, void *ctx, kyso_error_t *err)
{
	return db->st->ops->exec(db->st, sql, n, p, fn, ctx, err);
}

static void rollback(kyso_reports_db_t *db)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_reports_db_exec(db, "ROLLBACK", 0, NULL, NULL, NULL, &e) != KYSO_OK)
		kyso_debug("reports: rollback: %s", kyso_error_message(&e));
}

int kyso_reports_db_migrate(kyso_reports_db_t *db, kyso_error_t *err)
{
	const store_ops_t *o = db->st->ops;
	long long have = 0;
	if (kyso_reports_db_exec(db, o->begin_sql, 0, NULL, NULL, NULL, err) != KYSO_OK)
		return -1;
	if ((o->lock_sql[0] != '\0' &&
	     kyso_reports_db_exec(db, o->lock_sql, 0, NULL, NULL, NULL, err) != KYSO_OK) ||
	    kyso_reports_db_exec(
	            db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", 0,
	            NULL, NULL, NULL, err) != KYSO_OK ||
	    kyso_reports_db_exec(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", 0,
	                         NULL, take_int, &have, err) != KYSO_OK)
		goto fail;
	for (int v = (int)have + 1; v <= N_MIGRATIONS; v++) {
		char sql[4096], num[16];
		const char *m = migrations[v - 1], *at = strstr(m, "@BLOB@");
		if (at != NULL)
			snprintf(sql, sizeof(sql), "%.*s%s%s", (int)(at - m), m, o->blob_type,
			         at + 6);
		else
			snprintf(sql, sizeof(sql), "%s", m);
		snprintf(num, sizeof(num), "%d", v);
		store_val_t p = {num, 0, false};
		if (kyso_reports_db_exec(db, sql, 0, NULL, NULL, NULL, err) != KYSO_OK ||
		    kyso_reports_db_exec(
		            db, "INSERT INTO schema_version (version) VALUES (CAST($1 AS INTEGER))",
		            1, &p, NULL, NULL, err) != KYSO_OK)
			goto fail;
		kyso_info("reports: store migrated to version %d", v);
	}
	if (kyso_reports_db_exec(db, "COMMIT", 0, NULL, NULL, NULL, err) != KYSO_OK)
		goto fail;
	return N_MIGRATIONS;
fail:
	rollback(db);
	return -1;
}

kyso_reports_db_t *kyso_reports_db_open(const char *url, kyso_error_t *err)
{
	kyso_reports_db_t *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
		db->st = kyso_reports_store_pg_open(url, err);
	else
		db->st = kyso_reports_store_sqlite_open(
		        strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url, err);
	if (db->st == NULL || kyso_reports_db_migrate(db, err) < 0) {
		kyso_reports_db_close(&db);
		return NULL;
	}
	return db;
}

void kyso_reports_db_close(kyso_reports_db_t **db)
{
	if (db == NULL || *db == NULL)
		return;
	if ((*db)->st != NULL)
		(*db)->st->ops->close((*db)->st);
	free(*db);
	*db = NULL;
}

const char *kyso_reports_db_kind(const kyso_reports_db_t *db)
{
	return db->st->ops->name;
}

static const char *jstr(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static void now_iso(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "1970-01-01T00:00:00Z");
}

static bool got_row(void *ctx, int n, const store_val_t *c)
{
	(void)n; /* any row means the insert happened */
	(void)c;
	*(bool *)ctx = true;
	return false;
}

static kyso_err_t insert_problems(kyso_reports_db_t *db, const json_t *rep, const char *id,
                                  const char *day, kyso_error_t *err)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(rep, "checks"), i, c)
	{
		const char *s = jstr(c, "status", NULL), *cid = jstr(c, "id", NULL);
		if (s == NULL || cid == NULL || (strcmp(s, "fail") != 0 && strcmp(s, "warn") != 0))
			continue;
		store_val_t p[] = {{id, 0, false}, {cid, 0, false}, {s, 0, false}, {day, 0, false}};
		if (kyso_reports_db_exec(
		            db,
		            "INSERT INTO problems (report_id, check_id, status, day) VALUES "
		            "($1, $2, $3, $4) ON CONFLICT DO NOTHING",
		            4, p, NULL, NULL, err) != KYSO_OK)
			return err->code;
	}
	return KYSO_OK;
}

kyso_err_t kyso_reports_db_ingest(kyso_reports_db_t *db, const uint8_t *data, size_t len,
                                  const char *source, char id_out[64], bool *added,
                                  kyso_error_t *err)
{
	*added = false;
	json_t *rep = kyso_reports_parse(data, len, err);
	if (rep == NULL)
		return err->code;
	const char *id = jstr(rep, "id", NULL);
	snprintf(id_out, 64, "%s", id);
	char *text = json_dumps(rep, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char os[160], received[32], day[11];
	snprintf(os, sizeof(os), "%s %s", jstr(rep, "os", "name") ? jstr(rep, "os", "name") : "?",
	         jstr(rep, "os", "release") ? jstr(rep, "os", "release") : "");
	now_iso(received, sizeof(received));
	snprintf(day, sizeof(day), "%.10s", jstr(rep, "created", NULL));
	const char *type = jstr(rep, "token", "type");
	const char *org = jstr(rep, "org", NULL);
	kyso_err_t rc = KYSO_OK;
	if (text == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto out;
	}
	store_val_t p[] = {
	        {id, 0, false},
	        {jstr(rep, "created", NULL), 0, false},
	        {received, 0, false},
	        {jstr(rep, "summary", "result"), 0, false},
	        {os, 0, false},
	        {jstr(rep, "kyso_version", NULL), 0, false},
	        {type != NULL ? type : "unknown", 0, false},
	        {source, 0, false},
	        {text, 0, false},
	        {org != NULL && *org != '\0' ? org : NULL, 0, false},
	        {day, 0, false},
	};
	store_val_t b[] = {{id, 0, false}, {data, len, true}};
	if (kyso_reports_db_exec(db, db->st->ops->begin_sql, 0, NULL, NULL, NULL, err) != KYSO_OK) {
		rc = err->code;
		goto out;
	}
	/* one statement decides, also between collectors sharing a database:
	 * the report is new exactly when this returns its id */
	if (kyso_reports_db_exec(
	            db,
	            "INSERT INTO reports (id, created, received, result, os, kyso_version, "
	            "token_type, source, json, org, day) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	            "$8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id",
	            11, p, got_row, added, err) != KYSO_OK ||
	    (*added &&
	     (insert_problems(db, rep, id, day, err) != KYSO_OK ||
	      kyso_reports_db_exec(db, "INSERT INTO bundles (report_id, data) VALUES ($1, $2)", 2,
	                           b, NULL, NULL, err) != KYSO_OK)) ||
	    kyso_reports_db_exec(db, "COMMIT", 0, NULL, NULL, NULL, err) != KYSO_OK) {
		rc = err->code;
		rollback(db);
		*added = false;
	}
out:
	free(text);
	json_decref(rep);
	return rc;
}

static bool take_blob(void *ctx, int n, const store_val_t *c)
{
	kyso_buf_t *b = ctx;
	if (n > 0 && c[0].data != NULL &&
	    kyso_buf_append(b, c[0].data, c[0].blob ? c[0].len : strlen(c[0].data)) != KYSO_OK)
		kyso_warn("reports: out of memory");
	return false;
}

json_t *kyso_reports_db_get(kyso_reports_db_t *db, const char *id, kyso_error_t *err)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	store_val_t p = {id, 0, false};
	json_t *rep = NULL;
	if (kyso_reports_db_exec(db, "SELECT json FROM reports WHERE id = $1", 1, &p, take_blob, &b,
	                         err) != KYSO_OK)
		goto out;
	if (b.len > 0) {
		json_error_t je;
		rep = json_loadb((const char *)b.data, b.len, 0, &je);
	}
	if (rep == NULL)
		kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("no report with id %s"), id);
out:
	kyso_buf_free(&b);
	return rep;
}

kyso_err_t kyso_reports_db_bundle(kyso_reports_db_t *db, const char *id, kyso_buf_t *out,
                                  kyso_error_t *err)
{
	store_val_t p = {id, 0, false};
	if (kyso_reports_db_exec(db, "SELECT data FROM bundles WHERE report_id = $1", 1, &p,
	                         take_blob, out, err) != KYSO_OK)
		return err->code;
	if (out->len == 0)
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("no report with id %s"), id);
	return KYSO_OK;
}

static void csv_field(FILE *out, const char *s, bool last)
{
	fputc('"', out);
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
	fputc(last ? '\n' : ',', out);
}

/* Rows of the report x problem join, one CSV line per report. */
typedef struct {
	FILE *out;
	char id[64];
	char *cols[8];
	kyso_buf_t fail, warn;
} csv_t;

static void csv_flush(csv_t *c)
{
	if (c->id[0] == '\0')
		return;
	csv_field(c->out, c->id, false);
	for (int i = 0; i < 6; i++)
		csv_field(c->out, c->cols[i], false);
	kyso_buf_append(&c->fail, "", 1);
	kyso_buf_append(&c->warn, "", 1);
	csv_field(c->out, (const char *)c->fail.data, false);
	csv_field(c->out, (const char *)c->warn.data, false);
	csv_field(c->out, c->cols[6], true);
	for (int i = 0; i < 7; i++) {
		free(c->cols[i]);
		c->cols[i] = NULL;
	}
	c->fail.len = c->warn.len = 0;
	c->id[0] = '\0';
}

static bool csv_row(void *ctx, int n, const store_val_t *v)
{
	csv_t *c = ctx;
	if (n < 10)
		return false;
	if (strcmp(c->id, v[0].data) != 0) {
		csv_flush(c);
		snprintf(c->id, sizeof(c->id), "%s", (const char *)v[0].data);
		for (int i = 0; i < 7; i++)
			c->cols[i] = v[i + 1].data != NULL ? strdup(v[i + 1].data) : NULL;
	}
	if (v[8].data != NULL && v[9].data != NULL) {
		kyso_buf_t *b = strcmp(v[9].data, "fail") == 0 ? &c->fail : &c->warn;
		kyso_buf_printf(b, "%s%s", b->len > 0 ? " " : "", (const char *)v[8].data);
	}
	return true;
}

kyso_err_t kyso_reports_db_export_csv(kyso_reports_db_t *db, FILE *out, kyso_error_t *err)
{
	csv_t c;
	memset(&c, 0, sizeof(c));
	c.out = out;
	kyso_buf_init(&c.fail);
	kyso_buf_init(&c.warn);
	fprintf(out, "id,created,received,result,os,kyso_version,token_type,failing_checks,"
	             "warning_checks,org\n");
	kyso_err_t rc = kyso_reports_db_exec(
	        db,
	        "SELECT r.id, r.created, r.received, r.result, r.os, "
	        "r.kyso_version, r.token_type, r.org, p.check_id, p.status FROM "
	        "reports r LEFT JOIN problems p ON p.report_id = r.id ORDER BY "
	        "r.created, r.id, p.check_id",
	        0, NULL, csv_row, &c, err);
	csv_flush(&c);
	for (int i = 0; i < 7; i++)
		free(c.cols[i]);
	kyso_buf_free(&c.fail);
	kyso_buf_free(&c.warn);
	return rc;
}

kyso_err_t kyso_reports_db_prune(kyso_reports_db_t *db, int days, long long *removed,
                                 kyso_error_t *err)
{
	char day[16];
	kyso_reports_db_day(days, day);
	store_val_t p = {day, 0, false};
	*removed = 0;
	if (kyso_reports_db_exec(db, db->st->ops->begin_sql, 0, NULL, NULL, NULL, err) != KYSO_OK)
		return err->code;
	if (kyso_reports_db_exec(db, "SELECT COUNT(*) FROM reports WHERE day < $1", 1, &p, take_int,
	                         removed, err) != KYSO_OK ||
	    kyso_reports_db_exec(
	            db,
	            "DELETE FROM problems WHERE report_id IN (SELECT id FROM reports WHERE day < "
	            "$1)",
	            1, &p, NULL, NULL, err) != KYSO_OK ||
	    kyso_reports_db_exec(
	            db,
	            "DELETE FROM bundles WHERE report_id IN (SELECT id FROM reports WHERE day < "
	            "$1)",
	            1, &p, NULL, NULL, err) != KYSO_OK ||
	    kyso_reports_db_exec(db, "DELETE FROM reports WHERE day < $1", 1, &p, NULL, NULL,
	                         err) != KYSO_OK ||
	    kyso_reports_db_exec(db, "COMMIT", 0, NULL, NULL, NULL, err) != KYSO_OK) {
		rollback(db);
		*removed = 0;
		return err->code;
	}
	return KYSO_OK;
}

void kyso_reports_db_day(int days_back, char out[16])
{
	time_t t = time(NULL) - (time_t)days_back * 86400;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "1970-01-01");
}
