/* The browsers check's verdict, the same on every OS: the OS files
 * (check_browser_<os>.c) gather what is trusted and pre-approved and pass
 * the sentences that name their own tools. */
#include "doctor_int.h"

#include <stdlib.h>

check_status_t kyso_doctor_browser_verdict(check_t *c, const kyso_doctor_browser_texts_t *t,
                                           const json_t *untrusted, const json_t *missing,
                                           const json_t *origins)
{
	check_status_t st;
	char *u = json_dumps(untrusted, JSON_COMPACT);
	char *m = json_array_size(missing) > 0 ? json_dumps(missing, JSON_COMPACT) : NULL;
	if (json_array_size(untrusted) > 0 && json_array_size(missing) > 0) {
		st = kyso_doctor_ck_set(
		        c, ST_FAIL, NULL,
		        _("The browser does not trust kyso-agent's local CA (%s) and does not "
		          "pre-approve the web system for local network access (%s)."),
		        u != NULL ? u : "", m != NULL ? m : "");
		kyso_doctor_ck_remedy(c, "%s", t->both_remedy);
	} else if (json_array_size(untrusted) > 0) {
		st = kyso_doctor_ck_set(c, ST_FAIL, NULL, "%s", t->untrusted);
		kyso_doctor_ck_remedy(c, "%s", t->untrusted_remedy);
	} else if (json_array_size(missing) > 0) {
		st = kyso_doctor_ck_set(
		        c, ST_FAIL, NULL,
		        _("No browser policy pre-approves the web system for local network "
		          "access: %s. The browser blocks the page or asks every user."),
		        m != NULL ? m : "");
		kyso_doctor_ck_remedy(c, "%s", t->missing_remedy);
	} else if (json_array_size(origins) == 0) {
		st = kyso_doctor_ck_set(
		        c, ST_WARN, NULL, "%s",
		        _("No web system is configured (config.json \"origins\"): the agent "
		          "refuses every page."));
		kyso_doctor_ck_remedy(c, "%s", t->no_origin_remedy);
	} else {
		st = kyso_doctor_ck_set(c, ST_PASS, "", "%s", t->pass);
	}
	free(u);
	free(m);
	return st;
}
