/* libFuzzer target: the signature image loader (PNG via libpng, JPEG SOF
 * parsing) with its size limits. */
#include "appearance.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kyso_log_set_level(KYSO_LOG_ERROR);
	kyso_i18n_init("en");
	snprintf(path, sizeof(path), "/tmp/kyso-fuzz-image.%ld", (long)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	size_t w = fwrite(data, 1, size, f);
	fclose(f);
	if (w != size)
		return 0;
	kyso_image_t img;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_image_load(path, &img, &err) == KYSO_OK) {
		if (img.width == 0 || img.height == 0 || img.width > 4096 || img.height > 4096)
			__builtin_trap();
		kyso_image_free(&img);
	}
	unlink(path);
	return 0;
}
