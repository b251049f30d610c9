/* Private declarations of the browser step of `kyso setup`: Local Network
 * Access policies that pre-approve the web-system origins (docs/browsers.md).
 * The agent's local CA and its trust are agent_ca.c's. */
#ifndef KYSO_BROWSER_INT_H
#define KYSO_BROWSER_INT_H

#include "setup_int.h"

/* Policy names written, newest first (Chrome/Edge >= 146, then >= 139). */
#define BROWSER_POLICY_LOOPBACK "LoopbackNetworkAllowedForUrls"
#define BROWSER_POLICY_LNA      "LocalNetworkAccessAllowedForUrls"
/* File name in each managed-policy directory. */
#define BROWSER_POLICY_FILE "kyso-local-network.json"

typedef struct {
	const char *browser;     /* "chrome", "chromium", "edge" */
	const char *linux_dir;   /* managed policy directory (JSON files) */
	const char *windows_key; /* HKLM key holding the policy lists */
} browser_policy_place_t;

/* Where Chromium-based browsers read machine policies. */
const browser_policy_place_t *kyso_setup_browser_policy_places(size_t *n);

/* Checks a web origin (scheme://host[:port], http or https, no path, no
 * wildcard) and writes its normal form (lower case, default port dropped)
 * to norm. */
bool kyso_setup_browser_origin_normalize(const char *origin, char *norm, size_t cap);

/* The origins to pre-approve: the ones already in config.json plus
 * --origin, normalised, no duplicates. A bad --origin (wildcard, path) is
 * a usage error; a bad origin found in config.json is left out and named in
 * *skipped (array of strings, may be NULL). */
json_t *kyso_setup_browser_policy_origins(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                          json_t *skipped, kyso_error_t *err);

/* Sets a policy plan item's detail: the browser, the origins and any left out. */
void kyso_setup_browser_policy_detail(kyso_setup_action_t *a, const char *browser,
                                      const json_t *origins, const json_t *skipped);

/* The managed-policy JSON for the origins (malloc'ed). */
char *kyso_setup_browser_policy_text(const json_t *origins);

/* Plan items (one policy file per browser); called by kyso_setup_plan_build after the
 * agent. */
kyso_err_t kyso_setup_plan_browser(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                   kyso_error_t *err);
/* Runs one browser plan item. */
kyso_err_t kyso_setup_apply_browser(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                    kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                    kyso_error_t *err);
#endif
