/* `kyso setup` step on Windows: the Local Network Access policies of
 * Chrome, Chromium and Edge are registry lists,
 *   HKLM\SOFTWARE\Policies\<browser>\LoopbackNetworkAllowedForUrls\<n> = origin
 * (and the same under LocalNetworkAccessAllowedForUrls). Setup adds each
 * web-system origin that is not in a list yet as the next number, through
 * the journal (uninstall deletes exactly those values, and the keys it
 * created when they are left empty); entries the administrator put there
 * stay. Never "*": only the --origin values (browser_policy.c). */
#include "browser_int.h"
#include "kyso_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* List entries are looked for up to this number. */
#define POLICY_LIST_MAX 256

static const char *const policy_names[] = {BROWSER_POLICY_LOOPBACK, BROWSER_POLICY_LNA};

/* The list's entries; *last: the highest number in use (0 when none). */
static json_t *policy_list(const char *key, unsigned *last)
{
	json_t *list = json_array();
	*last = 0;
	for (unsigned n = 1; n <= POLICY_LIST_MAX; n++) {
		char num[16];
		snprintf(num, sizeof(num), "%u", n);
		char *v = NULL;
		kyso_error_t e;
		kyso_error_clear(&e);
		if (kyso_reg_get_string(KYSO_REG_MACHINE, key, num, &v, &e) == KYSO_OK) {
			json_array_append_new(list, json_string(v));
			*last = n;
		}
		free(v);
	}
	return list;
}

static bool list_has(const json_t *list, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(list, i, v)
	{
		if (json_string_value(v) != NULL && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Are all origins in both lists of this browser? */
static bool policies_in_place(const char *base, const json_t *origins)
{
	for (size_t k = 0; k < 2; k++) {
		char key[512];
		snprintf(key, sizeof(key), "%s\\%s", base, policy_names[k]);
		unsigned last = 0;
		json_t *list = policy_list(key, &last);
		size_t i;
		const json_t *v;
		bool all = true;
		json_array_foreach(origins, i, v)
		{
			all = all && list_has(list, json_string_value(v));
		}
		json_decref(list);
		if (!all)
			return false;
	}
	return true;
}

kyso_err_t kyso_setup_plan_browser(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                   kyso_error_t *err)
{
	json_t *skipped = json_array();
	json_t *origins = kyso_setup_browser_policy_origins(o, p, skipped, err);
	if (origins == NULL) {
		json_decref(skipped);
		return err->code;
	}
	size_t n;
	const browser_policy_place_t *pl = kyso_setup_browser_policy_places(&n);
	for (size_t i = 0; i < n; i++) {
		char target[512];
		snprintf(target, sizeof(target), "HKLM\\%s", pl[i].windows_key);
		kyso_setup_action_t *a;
		if (o->user)
			a = kyso_setup_plan_add(
			        p, ACT_BROWSER_POLICY, AST_SKIPPED, target, NULL, NULL,
			        _("browser policies are machine-wide: run kyso setup "
			          "without --user to pre-approve the web system"));
		else if (json_array_size(origins) == 0)
			a = kyso_setup_plan_add(
			        p, ACT_BROWSER_POLICY, AST_SKIPPED, target, NULL, NULL,
			        _("no web-system origin (--origin): nothing to pre-approve"));
		else
			a = kyso_setup_plan_add(p, ACT_BROWSER_POLICY,
			                        policies_in_place(pl[i].windows_key, origins)
			                                ? AST_IN_PLACE
			                                : AST_TODO,
			                        target, NULL, NULL, NULL);
		if (a != NULL && a->status != AST_SKIPPED)
			kyso_setup_browser_policy_detail(a, pl[i].browser, origins, skipped);
	}
	json_decref(origins);
	json_decref(skipped);
	return KYSO_OK;
}

kyso_err_t kyso_setup_apply_browser(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                    kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                    kyso_error_t *err)
{
	if (a->kind != ACT_BROWSER_POLICY || a->target == NULL ||
	    strncmp(a->target, "HKLM\\", 5) != 0)
		return KYSO_OK;
	const char *base = a->target + 5;
	json_t *origins = kyso_setup_browser_policy_origins(o, p, NULL, err);
	if (origins == NULL)
		return err->code;
	kyso_err_t rc = KYSO_OK;
	for (size_t k = 0; k < 2 && rc == KYSO_OK; k++) {
		char key[512];
		snprintf(key, sizeof(key), "%s\\%s", base, policy_names[k]);
		unsigned last = 0;
		json_t *list = policy_list(key, &last);
		size_t i;
		const json_t *v;
		json_array_foreach(origins, i, v)
		{
			if (rc != KYSO_OK || list_has(list, json_string_value(v)))
				continue;
			if (last >= POLICY_LIST_MAX) {
				rc = kyso_error_set(
				        err, KYSO_ERR_PROBLEM,
				        _("The policy list HKLM\\%s is full (%d entries)"), key,
				        POLICY_LIST_MAX);
				break;
			}
			char num[16];
			snprintf(num, sizeof(num), "%u", ++last);
			rc = kyso_setup_jreg_set(j, true, key, num, json_string_value(v), err);
		}
		json_decref(list);
	}
	json_decref(origins);
	return rc;
}
