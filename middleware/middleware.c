/* kyso_middleware: filled in by the setup and driver issues. */
#include "kyso_middleware.h"

/* Version of the middleware library (keeps the library non-empty). */
const char *kyso_middleware_version(void);
const char *kyso_middleware_version(void)
{
	return KYSO_VERSION;
}
