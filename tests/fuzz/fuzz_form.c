/* libFuzzer: the collector's login form parser (reports_form.c). */
#include "reports_int.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64];
	if (kyso_reports_form_value((const char *)data, size, "token", out, sizeof(out)) &&
	    strlen(out) >= sizeof(out))
		__builtin_trap(); /* the value must fit, NUL-terminated */
	return 0;
}
