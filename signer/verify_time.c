/* Dates: PDF date strings, ASN.1 times, ISO 8601 output. */
#include "verify_int.h"

#include <ctype.h>
#include <string.h>

static int digits(const char **p, int n, int dflt)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return i == 0 ? dflt : -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

bool kyso_pdf_date_parse(const char *s, time_t *out)
{
	if (s == NULL)
		return false;
	if (strncmp(s, "D:", 2) == 0)
		s += 2;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int y = digits(&s, 4, -1);
	int mo = digits(&s, 2, 1), d = digits(&s, 2, 1), h = digits(&s, 2, 0);
	int mi = digits(&s, 2, 0), se = digits(&s, 2, 0);
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 60)
		return false;
	long off = 0;
	if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;
		s++;
		int oh = digits(&s, 2, 0);
		if (*s == '\'')
			s++;
		int om = digits(&s, 2, 0);
		if (oh < 0 || om < 0)
			return false;
		off = sign * (oh * 3600L + om * 60L);
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm(&tm) - off;
	return true;
}

void kyso_time_iso(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "?");
}

bool kyso_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return false;
	*out = timegm(&tm);
	return true;
}
