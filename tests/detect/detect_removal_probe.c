/* Test helper: one kyso_detect_scan whose reader list is read, then CMD runs
 * (it pulls the card out), then the reader states are read. Prints the JSON
 * result. Usage: detect-removal-probe CATALOG CMD */
#include <stdlib.h>

#include "kyso_detect.h"

static void run_hook(void *ctx)
{
	int rc = system((const char *)ctx);
	if (rc != 0)
		fprintf(stderr, "detect-removal-probe: hook command failed (%d)\n", rc);
}

int main(int argc, char **argv)
{
	kyso_error_t err;
	if (argc != 3) {
		fprintf(stderr, "usage: detect-removal-probe CATALOG CMD\n");
		return 2;
	}
	kyso_catalog_t *cat = kyso_catalog_new();
	if (cat == NULL || kyso_catalog_add_file(cat, argv[1], &err) != KYSO_OK) {
		fprintf(stderr, "%s\n", kyso_error_message(&err));
		kyso_catalog_free(cat);
		return 5;
	}
	kyso_detect_opts_t o = {
	        .catalog = cat, .skip_usb = true, .after_list_hook = run_hook, .hook_ctx = argv[2]};
	kyso_detect_result_t *r = kyso_detect_scan(&o, &err);
	int rc = r != NULL && kyso_json_print(kyso_detect_result_to_json(r)) == KYSO_OK ? 0 : 1;
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
	return rc;
}
