/* kyso_utc_offset: local time read back as if it were UTC, minus the real
 * UTC time (the same on every OS; timegm comes from core/compat on Windows). */
#include "kyso_platform.h"

long kyso_utc_offset(time_t t)
{
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	tm.tm_isdst = 0;
	time_t as_utc = timegm(&tm);
	return as_utc == (time_t)-1 ? 0 : (long)(as_utc - t);
}
