/* libFuzzer target: what `kyso reports` accepts from the network or disk
 * (a doctor report as JSON or a zip bundle holding report.json): parsing,
 * ingest into an in-memory store (twice: idempotent), the summary, and the
 * text and HTML writers on whatever was accepted. */
#include <stdio.h>
#include <stdlib.h>

#include "kyso_diagnostics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	json_t *rep = kyso_reports_parse(data, size, &err);
	if (rep != NULL) {
		FILE *null = fopen("/dev/null", "w");
		if (null != NULL) {
			kyso_doctor_write_text(null, rep, true);
			fclose(null);
		}
		free(kyso_doctor_html(rep));
		json_decref(rep);
	}
	kyso_reports_db_t *db = kyso_reports_db_open(":memory:", &err);
	if (db == NULL)
		return 0;
	char id[64];
	bool added = false;
	for (int round = 0; round < 2; round++)
		if (kyso_reports_db_ingest(db, data, size, "fuzz", id, &added, &err) != KYSO_OK)
			break;
	kyso_reports_filter_t f = {0};
	json_decref(kyso_reports_db_summary(db, &f, &err));
	kyso_reports_db_close(&db);
	return 0;
}
