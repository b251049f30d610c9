/* The report store on SQLite: one file, WAL, writers serialised by
 * BEGIN IMMEDIATE and a busy timeout. */
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	store_t base;
	sqlite3 *db;
} sq_t;

static kyso_err_t sq_fail(sqlite3 *db, kyso_error_t *err)
{
	int code = sqlite3_errcode(db);
	return kyso_error_set(err, code == SQLITE_CONSTRAINT ? KYSO_ERR_EXISTS : KYSO_ERR_IO,
	                      _("report store: %s"), sqlite3_errmsg(db));
}

static bool sq_bind(sqlite3_stmt *st, int n, const store_val_t *p)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "$%d", i + 1);
		int k = sqlite3_bind_parameter_index(st, name);
		if (k == 0)
			continue; /* this statement does not use it */
		int rc;
		if (p[i].data == NULL)
			rc = sqlite3_bind_null(st, k);
		else if (p[i].blob)
			rc = sqlite3_bind_blob64(st, k, p[i].data, p[i].len, SQLITE_STATIC);
		else
			rc = sqlite3_bind_text(st, k, p[i].data, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return false;
	}
	return true;
}

static kyso_err_t sq_exec(store_t *s, const char *sql, int n, const store_val_t *params,
                          store_row_fn fn, void *ctx, kyso_error_t *err)
{
	sqlite3 *db = ((sq_t *)s)->db;
	const char *tail = sql;
	while (tail != NULL && *tail != '\0') {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK)
			return sq_fail(db, err);
		if (st == NULL)
			break; /* only white space or comments left */
		if (!sq_bind(st, n, params)) {
			sqlite3_finalize(st);
			return sq_fail(db, err);
		}
		int rc;
		bool more = true;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && more) {
			int nc = sqlite3_column_count(st);
			store_val_t cols[32];
			if (nc > 32)
				nc = 32;
			for (int i = 0; i < nc; i++) {
				int t = sqlite3_column_type(st, i);
				cols[i].blob = t == SQLITE_BLOB;
				cols[i].data = t == SQLITE_NULL ? NULL
				               : t == SQLITE_BLOB
				                       ? sqlite3_column_blob(st, i)
				                       : (const void *)sqlite3_column_text(st, i);
				cols[i].len = (size_t)sqlite3_column_bytes(st, i);
			}
			if (fn != NULL)
				more = fn(ctx, nc, cols);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			kyso_err_t e = sq_fail(db, err);
			sqlite3_finalize(st);
			return e;
		}
		sqlite3_finalize(st);
	}
	return KYSO_OK;
}

static void sq_close(store_t *s)
{
	sq_t *q = (sq_t *)s;
	if (sqlite3_close(q->db) != SQLITE_OK)
		kyso_warn("reports: closing the store failed");
	free(q);
}

static const store_ops_t sq_ops = {
        .name = "sqlite",
        .blob_type = "BLOB",
        .begin_sql = "BEGIN IMMEDIATE",
        .lock_sql = "",
        .exec = sq_exec,
        .close = sq_close,
};

store_t *kyso_reports_store_sqlite_open(const char *path, kyso_error_t *err)
{
	sq_t *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	q->base.ops = &sq_ops;
	char *msg = NULL;
	if (sqlite3_open(path, &q->db) != SQLITE_OK ||
	    sqlite3_busy_timeout(q->db, 30000) != SQLITE_OK ||
	    sqlite3_exec(q->db,
	                 "PRAGMA journal_mode=WAL; "
	                 "PRAGMA foreign_keys=ON;",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot open the report store %s: %s"), path,
		               msg != NULL ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		sqlite3_close(q->db);
		free(q);
		return NULL;
	}
	return &q->base;
}
