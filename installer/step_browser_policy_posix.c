/* `kyso setup` step: managed policy files that pre-approve the web-system
 * origins for loopback access (Local Network Access) in Chrome, Chromium
 * and Edge on Linux, so the page reaches kyso-agent without a permission
 * prompt. Written through the journal (uninstall removes them). */
#include "browser_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_text(const char *path, const char *text)
{
	char *cur = kyso_setup_read_text(path);
	bool same = cur != NULL && strcmp(cur, text) == 0;
	free(cur);
	return same;
}

static void plan_policies(const kyso_setup_opts_t *o, kyso_setup_plan_t *p, const json_t *origins,
                          const json_t *skipped)
{
	size_t n;
	const browser_policy_place_t *pl = kyso_setup_browser_policy_places(&n);
	char *text = json_array_size(origins) > 0 ? kyso_setup_browser_policy_text(origins) : NULL;
	for (size_t i = 0; i < n; i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "%s/%s", pl[i].linux_dir, BROWSER_POLICY_FILE);
		char *path = kyso_setup_path(o, rel);
		kyso_setup_action_t *a;
		if (o->user)
			a = kyso_setup_plan_add(
			        p, ACT_BROWSER_POLICY, AST_SKIPPED, path, NULL, NULL,
			        _("browser policies are machine-wide: run kyso setup "
			          "without --user to pre-approve the web system"));
		else if (json_array_size(origins) == 0)
			a = kyso_setup_plan_add(
			        p, ACT_BROWSER_POLICY, AST_SKIPPED, path, NULL, NULL,
			        _("no web-system origin (--origin): nothing to pre-approve"));
		else if (text == NULL)
			a = NULL;
		else
			a = kyso_setup_plan_add(p, ACT_BROWSER_POLICY,
			                        same_text(path, text) ? AST_IN_PLACE : AST_TODO,
			                        path, NULL, NULL, NULL);
		if (a != NULL && a->status != AST_SKIPPED)
			kyso_setup_browser_policy_detail(a, pl[i].browser, origins, skipped);
		free(path);
	}
	free(text);
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
	plan_policies(o, p, origins, skipped);
	json_decref(origins);
	json_decref(skipped);
	return KYSO_OK;
}

kyso_err_t kyso_setup_apply_browser(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                    kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                    kyso_error_t *err)
{
	if (a->kind != ACT_BROWSER_POLICY)
		return KYSO_OK; /* ACT_BROWSER_CA: never planned (agent_ca.c trusts the CA) */
	json_t *origins = kyso_setup_browser_policy_origins(o, p, NULL, err);
	if (origins == NULL)
		return err->code;
	char *text = kyso_setup_browser_policy_text(origins);
	json_decref(origins);
	if (text == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_setup_jfs_write(j, a->target, text, strlen(text), 0644, err);
	free(text);
	return rc;
}
