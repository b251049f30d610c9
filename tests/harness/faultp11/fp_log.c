/* Appends "C_Login CKR_PIN_INCORRECT 0xa0 fault=wrong-pin" style lines; an
 * injected error on a forwarded step adds " target=CKR_OK". */
#include "fp_log.h"

#include "fp_rvname.h"

#include <stdio.h>

void fp_log_call(const char *path, enum fp_func f, CK_RV rv, const char *fault, bool finished,
                 CK_RV target_rv)
{
	char line[200];
	char target[80] = "";
	int n;
	FILE *out;

	if (finished)
		snprintf(target, sizeof(target), " target=%s", fp_rv_name(target_rv));
	n = snprintf(line, sizeof(line), "%s %s 0x%lx%s%s%s\n", fp_func_name(f), fp_rv_name(rv),
	             (unsigned long)rv, fault ? " fault=" : "", fault ? fault : "", target);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	out = fopen(path, "a");
	if (!out) {
		fprintf(stderr, "kyso-faultp11: cannot append to log %s\n", path);
		return;
	}
	/* one fwrite of the whole line keeps lines of concurrent writers apart */
	size_t written = fwrite(line, 1, (size_t)n, out);

	if (fclose(out) != 0 || written != (size_t)n)
		fprintf(stderr, "kyso-faultp11: cannot append to log %s\n", path);
}
