/* Internal: the report store's backend interface. One file per backend
 * (store_sqlite.c, store_pg.c); the SQL above it (reports_db.c) is written
 * once: `$1`-style parameters, INSERT ... ON CONFLICT DO NOTHING RETURNING. */
#ifndef KYSO_STORE_INT_H
#define KYSO_STORE_INT_H
#include "kyso_diagnostics.h"

/* A parameter or a result column: data NULL is SQL NULL. Text is
 * NUL-terminated; a blob is len bytes. */
typedef struct {
	const void *data;
	size_t len;
	bool blob;
} store_val_t;

/* Called per result row; returning false stops the query early. */
typedef bool (*store_row_fn)(void *ctx, int ncols, const store_val_t *cols);

typedef struct store store_t;
typedef struct {
	const char *name;      /* "sqlite", "postgresql" */
	const char *blob_type; /* BLOB, BYTEA */
	const char *begin_sql; /* a write transaction that serialises writers enough */
	const char *lock_sql;  /* taken first in a migration transaction ("" none) */
	kyso_err_t (*exec)(store_t *s, const char *sql, int n, const store_val_t *params,
	                   store_row_fn fn, void *ctx, kyso_error_t *err);
	void (*close)(store_t *s);
} store_ops_t;

struct store {
	const store_ops_t *ops;
};

store_t *kyso_reports_store_sqlite_open(const char *path, kyso_error_t *err);
/* conninfo: a postgresql:// URI; libpq takes the password from PGPASSFILE,
 * ~/.pgpass or PGPASSWORD. Fails with KYSO_ERR_UNSUPPORTED when kyso was
 * built without libpq (store_pg_none.c). */
store_t *kyso_reports_store_pg_open(const char *conninfo, kyso_error_t *err);
#endif
