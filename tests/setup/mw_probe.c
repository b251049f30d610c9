/* Test tool: kyso-mw-probe MODULE — runs the middleware PKCS#11 probe and
 * prints its JSON, or {"load": status, "error": message} with exit 1. */
#include "kyso_middleware.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: kyso-mw-probe MODULE\n");
		return 2;
	}
	kyso_log_init();
	kyso_i18n_init("en");
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_p11_probe_t *p = NULL;
	kyso_p11_load_status_t st = KYSO_P11_LOAD_OK;
	if (kyso_p11_probe_open(argv[1], &p, &st, &err) != KYSO_OK) {
		kyso_json_print(json_pack("{s:s, s:s}", "load", kyso_p11_load_status_id(st),
		                          "error", kyso_error_message(&err)));
		return 1;
	}
	json_t *doc = kyso_p11_probe_to_json(p);
	json_object_set_new(doc, "token_count",
	                    json_integer((json_int_t)kyso_p11_probe_token_count(p)));
	for (size_t i = 0; i < kyso_p11_probe_slot_count(p); i++) {
		const kyso_p11_slot_t *s = kyso_p11_probe_slot_at(p, i);
		const kyso_p11_cert_t *c = kyso_p11_slot_signing_cert(s);
		if (c != NULL)
			json_object_set_new(json_array_get(json_object_get(doc, "slots"), i),
			                    "signing_cert", json_string(kyso_p11_cert_id_hex(c)));
	}
	int rc = 0;
	if (kyso_p11_probe_finalize(p, &err) != KYSO_OK) {
		fprintf(stderr, "%s\n", kyso_error_message(&err));
		rc = 1;
	}
	kyso_p11_probe_free(&p);
	kyso_json_print(doc);
	return rc;
}
