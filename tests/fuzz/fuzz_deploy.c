/* libFuzzer target: the deploy.json reader (JSON decoding, every field check). */
#include "kyso_deploy.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kyso_error_t err;
	kyso_deploy_t *d = NULL;
	if (kyso_deploy_parse((const char *)data, size, "fuzz.json", &d, &err) == KYSO_OK)
		kyso_deploy_free(&d);
	return 0;
}
