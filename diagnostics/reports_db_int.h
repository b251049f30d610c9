/* Internal: the report store above its backend (reports_db.c, reports_summary.c). */
#ifndef KYSO_REPORTS_DB_INT_H
#define KYSO_REPORTS_DB_INT_H
#include "store_int.h"

struct kyso_reports_db {
	store_t *st;
};

kyso_err_t kyso_reports_db_exec(kyso_reports_db_t *db, const char *sql, int n, const store_val_t *p,
                                store_row_fn fn, void *ctx, kyso_error_t *err);
/* The UTC day (YYYY-MM-DD) days_back days ago. */
void kyso_reports_db_day(int days_back, char out[16]);
#endif
