/* PIN-try counter storage: a small decimal file or a process-wide value. */
#include "fp_state.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_uint fp_mem_fails;

static const char *fp_state_path(void)
{
	const char *p = getenv("KYSO_FAULT_STATE");

	return p && *p ? p : NULL;
}

unsigned fp_state_pin_fails(void)
{
	const char *path = fp_state_path();
	unsigned n = 0;
	FILE *f;

	if (!path)
		return atomic_load(&fp_mem_fails);
	f = fopen(path, "r");
	if (!f)
		return 0; /* no file yet: no failed tries */
	if (fscanf(f, "%u", &n) != 1)
		n = 0;
	if (fclose(f) != 0)
		n = 0;
	return n;
}

void fp_state_set_pin_fails(unsigned fails)
{
	const char *path = fp_state_path();
	FILE *f;

	if (!path) {
		atomic_store(&fp_mem_fails, fails);
		return;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kyso-faultp11: cannot write state file %s\n", path);
		return;
	}
	if (fprintf(f, "%u\n", fails) < 0 || fclose(f) != 0)
		fprintf(stderr, "kyso-faultp11: cannot write state file %s\n", path);
}
