/* The dashboard's login form body (application/x-www-form-urlencoded). */
#include "reports_int.h"

#include <string.h>

bool kyso_reports_form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
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
				char esc[3] = {0};
				uint8_t byte;
				if (*q == '%' && fe - q > 2)
					memcpy(esc, q + 1, 2);
				if (*q == '+')
					out[n++] = ' ';
				else if (esc[0] != '\0' && esc[0] != ' ' &&
				         kyso_hex_decode(esc, &byte, 1) == 1) {
					out[n++] = (char)byte;
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
