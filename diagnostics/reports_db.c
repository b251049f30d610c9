/* The helpdesk's report store (SQLite): ingest, summary, show, CSV export. */
#include "kyso_diagnostics.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPORT (4u << 20)

struct kyso_reports_db {
	sqlite3 *db;
};

static const char schema_sql[] =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS reports ("
        " id TEXT PRIMARY KEY, created TEXT NOT NULL, received TEXT NOT NULL,"
        " result TEXT, os TEXT, kyso_version TEXT, token_type TEXT, source TEXT,"
        " json TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS problems ("
        " report_id TEXT NOT NULL REFERENCES reports(id), check_id TEXT NOT NULL,"
        " status TEXT NOT NULL, PRIMARY KEY (report_id, check_id));"
        "CREATE INDEX IF NOT EXISTS reports_created ON reports(created);";

kyso_reports_db_t *kyso_reports_db_open(const char *path, kyso_error_t *err)
{
	kyso_reports_db_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	char *msg = NULL;
	if (sqlite3_open(path, &r->db) != SQLITE_OK ||
	    sqlite3_busy_timeout(r->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(r->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot open the report store %s: %s"), path,
		               msg != NULL ? msg : sqlite3_errmsg(r->db));
		sqlite3_free(msg);
		sqlite3_close(r->db);
		free(r);
		return NULL;
	}
	return r;
}

void kyso_reports_db_close(kyso_reports_db_t **db)
{
	if (db == NULL || *db == NULL)
		return;
	if (sqlite3_close((*db)->db) != SQLITE_OK)
		kyso_warn("reports: closing the store failed");
	free(*db);
	*db = NULL;
}

/* report.json out of a zip bundle (malloc'ed, NUL-terminated). */
static char *zip_report(const uint8_t *data, size_t len, kyso_error_t *err)
{
	struct archive *a = archive_read_new();
	char *out = NULL;
	if (a == NULL || archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("not a report bundle: %s"),
		               a != NULL ? archive_error_string(a) : "?");
		archive_read_free(a);
		return NULL;
	}
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), "report.json") != 0)
			continue;
		la_int64_t size = archive_entry_size(e);
		if (size <= 0 || size > (la_int64_t)MAX_REPORT)
			break;
		out = malloc((size_t)size + 1);
		if (out == NULL || archive_read_data(a, out, (size_t)size) != (la_ssize_t)size) {
			free(out);
			out = NULL;
			break;
		}
		out[size] = '\0';
		break;
	}
	if (out == NULL)
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s",
		               _("the bundle holds no readable report.json"));
	archive_read_free(a);
	return out;
}

static bool valid_id(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n < 8 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-'))
			return false;
	return true;
}

json_t *kyso_reports_parse(const uint8_t *data, size_t len, kyso_error_t *err)
{
	char *text = NULL;
	json_error_t je;
	json_t *rep;
	if (len >= 4 && memcmp(data, "PK\003\004", 4) == 0) {
		text = zip_report(data, len, err);
		if (text == NULL)
			return NULL;
		rep = json_loads(text, 0, &je);
		free(text);
	} else {
		if (len > MAX_REPORT) {
			kyso_error_set(err, KYSO_ERR_TOO_LARGE, "%s", _("report too large"));
			return NULL;
		}
		rep = json_loadb((const char *)data, len, 0, &je);
	}
	if (rep == NULL) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("not a JSON report: line %d: %s"),
		               je.line, je.text);
		return NULL;
	}
	const char *kind = json_string_value(json_object_get(rep, "kind"));
	json_int_t schema = json_integer_value(json_object_get(rep, "schema"));
	const char *id = json_string_value(json_object_get(rep, "id"));
	const char *created = json_string_value(json_object_get(rep, "created"));
	if (kind == NULL || strcmp(kind, "kyso-doctor-report") != 0 || schema < 1 ||
	    schema > KYSO_DOCTOR_SCHEMA || !valid_id(id) || created == NULL ||
	    !json_is_array(json_object_get(rep, "checks"))) {
		json_decref(rep);
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, "%s",
		               _("not a kyso doctor report (kind, schema, id, created, checks)"));
		return NULL;
	}
	return rep;
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
	char os[160], received[32];
	snprintf(os, sizeof(os), "%s %s", jstr(rep, "os", "name") ? jstr(rep, "os", "name") : "?",
	         jstr(rep, "os", "release") ? jstr(rep, "os", "release") : "");
	now_iso(received, sizeof(received));
	sqlite3_stmt *st = NULL;
	kyso_err_t rc = KYSO_OK;
	if (text == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto out;
	}
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s", sqlite3_errmsg(db->db));
		goto out;
	}
	if (sqlite3_prepare_v2(db->db,
	                       "INSERT OR IGNORE INTO reports (id, created, received, result, os, "
	                       "kyso_version, token_type, source, json) VALUES (?,?,?,?,?,?,?,?,?)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, jstr(rep, "created", NULL), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, received, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, jstr(rep, "summary", "result"), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, os, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, jstr(rep, "kyso_version", NULL), -1, SQLITE_TRANSIENT);
	const char *type = jstr(rep, "token", "type");
	sqlite3_bind_text(st, 7, type != NULL ? type : "unknown", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	*added = sqlite3_changes(db->db) > 0;
	sqlite3_finalize(st);
	st = NULL;
	if (*added) {
		if (sqlite3_prepare_v2(
		            db->db,
		            "INSERT OR IGNORE INTO problems (report_id, check_id, status) "
		            "VALUES (?,?,?)",
		            -1, &st, NULL) != SQLITE_OK)
			goto sqlerr;
		size_t i;
		const json_t *c;
		json_array_foreach(json_object_get(rep, "checks"), i, c)
		{
			const char *s = jstr(c, "status", NULL), *cid = jstr(c, "id", NULL);
			if (s == NULL || cid == NULL ||
			    (strcmp(s, "fail") != 0 && strcmp(s, "warn") != 0))
				continue;
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, cid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, s, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto sqlerr;
		}
	}
	if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	goto out;
sqlerr:
	rc = kyso_error_set(err, KYSO_ERR_IO, _("report store: %s"), sqlite3_errmsg(db->db));
	if (sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		kyso_debug("reports: rollback failed");
	*added = false;
out:
	sqlite3_finalize(st);
	free(text);
	json_decref(rep);
	return rc;
}

static json_t *count_by(sqlite3 *db, const char *sql, const char *since, kyso_error_t *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		kyso_error_set(err, KYSO_ERR_IO, _("report store: %s"), sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, since, -1, SQLITE_TRANSIENT);
	json_t *o = json_object();
	while (o != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		json_object_set_new(o, k != NULL ? k : "?",
		                    json_integer(sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	return o;
}

json_t *kyso_reports_db_summary(kyso_reports_db_t *db, int days, kyso_error_t *err)
{
	char since[32] = "0000";
	if (days > 0) {
		time_t t = time(NULL) - (time_t)days * 86400;
		struct tm tm;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	json_t *total = count_by(
	        db->db, "SELECT 'total', COUNT(*) FROM reports WHERE created >= ?1", since, err);
	json_t *checks = count_by(db->db,
	                          "SELECT p.check_id, COUNT(*) FROM problems p JOIN reports r ON "
	                          "r.id = p.report_id WHERE r.created >= ?1 AND p.status = 'fail' "
	                          "GROUP BY p.check_id ORDER BY 2 DESC",
	                          since, err);
	json_t *warns = count_by(db->db,
	                         "SELECT p.check_id, COUNT(*) FROM problems p JOIN reports r ON "
	                         "r.id = p.report_id WHERE r.created >= ?1 AND p.status = 'warn' "
	                         "GROUP BY p.check_id ORDER BY 2 DESC",
	                         since, err);
	json_t *types = count_by(db->db,
	                         "SELECT token_type, COUNT(*) FROM reports WHERE created >= ?1 "
	                         "GROUP BY token_type ORDER BY 2 DESC",
	                         since, err);
	json_t *oses = count_by(db->db,
	                        "SELECT os, COUNT(*) FROM reports WHERE created >= ?1 GROUP BY os "
	                        "ORDER BY 2 DESC",
	                        since, err);
	json_t *vers = count_by(db->db,
	                        "SELECT kyso_version, COUNT(*) FROM reports WHERE created >= ?1 "
	                        "GROUP BY kyso_version ORDER BY 2 DESC",
	                        since, err);
	json_t *res = count_by(db->db,
	                       "SELECT result, COUNT(*) FROM reports WHERE created >= ?1 GROUP BY "
	                       "result",
	                       since, err);
	if (total == NULL || checks == NULL || warns == NULL || types == NULL || oses == NULL ||
	    vers == NULL || res == NULL) {
		json_decref(total);
		json_decref(checks);
		json_decref(warns);
		json_decref(types);
		json_decref(oses);
		json_decref(vers);
		json_decref(res);
		return NULL;
	}
	json_t *out = json_pack("{s:i, s:O, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "schema", 1,
	                        "total", json_object_get(total, "total"), "since", since,
	                        "by_result", res, "by_failing_check", checks, "by_warning_check",
	                        warns, "by_token_type", types, "by_os", oses, "by_version", vers);
	json_decref(total);
	return out;
}

json_t *kyso_reports_db_get(kyso_reports_db_t *db, const char *id, kyso_error_t *err)
{
	sqlite3_stmt *st = NULL;
	json_t *rep = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT json FROM reports WHERE id = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		kyso_error_set(err, KYSO_ERR_IO, _("report store: %s"), sqlite3_errmsg(db->db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_error_t je;
		rep = json_loads((const char *)sqlite3_column_text(st, 0), 0, &je);
	}
	sqlite3_finalize(st);
	if (rep == NULL)
		kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("no report with id %s"), id);
	return rep;
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

kyso_err_t kyso_reports_db_export_csv(kyso_reports_db_t *db, FILE *out, kyso_error_t *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
	            db->db,
	            "SELECT r.id, r.created, r.received, r.result, r.os, r.kyso_version, "
	            "r.token_type, (SELECT group_concat(check_id, ' ') FROM problems p "
	            "WHERE p.report_id = r.id AND p.status = 'fail'), (SELECT "
	            "group_concat(check_id, ' ') FROM problems p WHERE p.report_id = "
	            "r.id AND p.status = 'warn') FROM reports r ORDER BY r.created",
	            -1, &st, NULL) != SQLITE_OK)
		return kyso_error_set(err, KYSO_ERR_IO, _("report store: %s"),
		                      sqlite3_errmsg(db->db));
	fprintf(out, "id,created,received,result,os,kyso_version,token_type,failing_checks,"
	             "warning_checks\n");
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < 9; i++)
			csv_field(out, (const char *)sqlite3_column_text(st, i), i == 8);
	sqlite3_finalize(st);
	return KYSO_OK;
}
