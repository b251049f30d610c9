/* The report store on PostgreSQL (libpq): several collectors may share one
 * database; the connection string never holds the password (libpq reads
 * PGPASSFILE, ~/.pgpass or PGPASSWORD). */
#include "store_int.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define BYTEA_OID 17

typedef struct {
	store_t base;
	PGconn *conn;
} pg_t;

static kyso_err_t pg_fail(PGconn *c, PGresult *r, kyso_error_t *err)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c);
	char line[512];
	snprintf(line, sizeof(line), "%s", msg != NULL ? msg : "?");
	line[strcspn(line, "\n")] = '\0';
	kyso_err_t code =
	        state != NULL && strcmp(state, "23505") == 0 ? KYSO_ERR_EXISTS : KYSO_ERR_IO;
	return kyso_error_set(err, code, _("report store: %s"), line);
}

static bool pg_rows(PGresult *r, store_row_fn fn, void *ctx)
{
	int nc = PQnfields(r), nr = PQntuples(r);
	if (nc > 32)
		nc = 32;
	bool more = true;
	for (int row = 0; row < nr && more; row++) {
		store_val_t cols[32];
		unsigned char *un[32] = {0};
		for (int i = 0; i < nc; i++) {
			cols[i].blob = PQftype(r, i) == BYTEA_OID;
			cols[i].len = (size_t)PQgetlength(r, row, i);
			cols[i].data = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
			if (cols[i].blob && cols[i].data != NULL) {
				size_t len = 0;
				un[i] = PQunescapeBytea((const unsigned char *)cols[i].data, &len);
				cols[i].data = un[i];
				cols[i].len = len;
			}
		}
		more = fn(ctx, nc, cols);
		for (int i = 0; i < nc; i++)
			PQfreemem(un[i]);
	}
	return more;
}

static kyso_err_t pg_exec(store_t *s, const char *sql, int n, const store_val_t *params,
                          store_row_fn fn, void *ctx, kyso_error_t *err)
{
	PGconn *c = ((pg_t *)s)->conn;
	const char *vals[32];
	int lens[32], fmts[32];
	if (n > 32)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "too many parameters");
	for (int i = 0; i < n; i++) {
		vals[i] = params[i].data;
		lens[i] = (int)params[i].len;
		fmts[i] = params[i].blob ? 1 : 0;
	}
	PGresult *r = n > 0 || fn != NULL ? PQexecParams(c, sql, n, NULL, vals, lens, fmts, 0)
	                                  : PQexec(c, sql); /* several statements */
	ExecStatusType st = PQresultStatus(r);
	kyso_err_t rc = KYSO_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(c, r, err);
	else if (fn != NULL && st == PGRES_TUPLES_OK)
		pg_rows(r, fn, ctx);
	PQclear(r);
	return rc;
}

static void pg_close(store_t *s)
{
	pg_t *p = (pg_t *)s;
	PQfinish(p->conn);
	free(p);
}

static const store_ops_t pg_ops = {
        .name = "postgresql",
        .blob_type = "BYTEA",
        .begin_sql = "BEGIN",
        /* one migrating collector at a time (any constant key of ours) */
        .lock_sql = "SELECT pg_advisory_xact_lock(4242052401)",
        .exec = pg_exec,
        .close = pg_close,
};

store_t *kyso_reports_store_pg_open(const char *conninfo, kyso_error_t *err)
{
	pg_t *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	p->base.ops = &pg_ops;
	p->conn = PQconnectdb(conninfo);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		char line[512];
		snprintf(line, sizeof(line), "%s", PQerrorMessage(p->conn));
		line[strcspn(line, "\n")] = '\0';
		kyso_error_set(err, KYSO_ERR_NETWORK, _("cannot connect to the report store: %s"),
		               line);
		PQfinish(p->conn);
		free(p);
		return NULL;
	}
	PGresult *r = PQexec(p->conn, "SET client_min_messages = warning");
	PQclear(r);
	return &p->base;
}
