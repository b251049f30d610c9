/* The dashboard's login form body (application/x-www-form-urlencoded). */
#include "reports_int.h"

#include <string.h>

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool reports_form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *end = body + len;
	if (cap == 0)
		return false;
	for (const char *f = body; f < end;) {
		const char *amp = memchr(f, '&', (size_t)(end - f));
		const char *fe = amp != NULL ? amp : end;
		if ((size_t)(fe - f) > nl && memcmp(f, name, nl) == 0 && f[nl] == '=') {
			size_t n = 0;
			for (const char *q = f + nl + 1; q < fe; q++) {
				if (n + 1 >= cap)
					return false; /* too long: not a value of ours */
				int hi, lo;
				if (*q == '+')
					out[n++] = ' ';
				else if (*q == '%' && fe - q > 2 && (hi = hex(q[1])) >= 0 &&
				         (lo = hex(q[2])) >= 0) {
					out[n++] = (char)(hi << 4 | lo);
					q += 2;
				} else
					out[n++] = *q;
			}
			out[n] = '\0';
			return true;
		}
		f = fe + 1;
	}
	return false;
}
