/* Internal: `kyso reports serve` and its dashboard. */
#ifndef KYSO_REPORTS_INT_H
#define KYSO_REPORTS_INT_H
#include "kyso_diagnostics.h"

/* The dashboard's pages (reports_dash.c), malloc'ed HTML, NULL on a store error. */
char *kyso_reports_dash_home(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                             kyso_error_t *err);
char *kyso_reports_dash_cause(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                              kyso_error_t *err);
char *kyso_reports_dash_login(bool failed);

/* The value of field `name` of a urlencoded form body, decoded into out
 * (NUL-terminated); false when absent or longer than cap - 1 (reports_form.c). */
bool kyso_reports_form_value(const char *body, size_t len, const char *name, char *out, size_t cap);
#endif
