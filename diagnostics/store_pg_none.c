/* The report store without libpq (a build with KYSO_LIBPQ=OFF, e.g. the
 * Windows build): only SQLite. */
#include "store_int.h"

store_t *kyso_reports_store_pg_open(const char *conninfo, kyso_error_t *err)
{
	(void)conninfo; /* nothing to connect with */
	kyso_error_set(err, KYSO_ERR_UNSUPPORTED, "%s",
	               _("this kyso was built without PostgreSQL support (use a SQLite store)"));
	return NULL;
}
