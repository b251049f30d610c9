/* libFuzzer target: the token catalog loader (JSON decoding, schema check,
 * error positions, merging) and the lookups run on what it loaded. */
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kyso_error_t err;
	kyso_catalog_t *cat = kyso_catalog_new();
	if (cat == NULL)
		return 0;
	/* twice: the second load merges over the first (override path) */
	for (int round = 0; round < 2; round++)
		if (kyso_catalog_add_json(cat, "fuzz.json", (const char *)data, size, &err) !=
		    KYSO_OK)
			break;
	char *text = malloc(size + 1);
	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		/* the position finder must stay in bounds on any text */
		static const char *const paths[] = {"tokens[0].atr[0].mask", "schema",
		                                    "tokens[3].usb[1].vid", "cas[0].id", "[0]"};
		int lines = 0;
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			lines += kyso_json_locate_line(text, size, paths[i]);
		if (lines < 5) /* every answer is a line number >= 1 */
			abort();
	}
	for (size_t i = 0; i < kyso_catalog_count(cat); i++) {
		const kyso_token_type_t *t = kyso_catalog_at(cat, i);
		bool hit = kyso_token_type_match_atr(t, data,
		                                     size < KYSO_ATR_MAX ? size : KYSO_ATR_MAX);
		hit = kyso_token_type_match_usb(t, 0x096E, 0x0807) || hit;
		if (text != NULL)
			hit = kyso_token_type_match_reader(t, text) || hit;
		if (hit && kyso_token_type_driver(t, "linux") == NULL)
			kyso_debug("fuzz: %s has no linux driver", kyso_token_type_id(t));
	}
	free(text);
	kyso_catalog_free(cat);
	return 0;
}
