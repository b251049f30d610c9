/* Check: the browsers can reach kyso-agent, on Windows.
 *   - the agent's local CA is a trusted root in the Windows certificate store
 *     (CurrentUser\ROOT or LocalMachine\ROOT), which Chrome, Edge and (with
 *     its default enterprise-roots setting) Firefox use for TLS;
 *   - Chrome, Chromium and Edge (when installed: their App Paths entry) have a
 *     registry policy list that pre-approves each configured web-system origin
 *     for loopback access (LoopbackNetworkAllowedForUrls /
 *     LocalNetworkAccessAllowedForUrls, values "1", "2", ... under
 *     HKLM or HKCU\Software\Policies\<vendor>\<browser>\<policy>).
 * The Linux check (NSS databases, JSON policy files) is check_browser_posix.c. */
#include "doctor_int.h"
#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *exe;    /* App Paths entry */
	const char *policy; /* policy key under HKLM/HKCU */
} chromes[] = {
        {"Google Chrome", "chrome.exe", "Software\\Policies\\Google\\Chrome"},
        {"Chromium", "chromium.exe", "Software\\Policies\\Chromium"},
        {"Microsoft Edge", "msedge.exe", "Software\\Policies\\Microsoft\\Edge"},
};

static bool app_installed(const char *exe)
{
	char key[256];
	snprintf(key, sizeof(key), "Software\\Microsoft\\Windows\\CurrentVersion\\App Paths\\%s",
	         exe);
	const kyso_reg_root_t roots[] = {KYSO_REG_MACHINE, KYSO_REG_USER};
	for (size_t r = 0; r < 2; r++) {
		char *v = NULL;
		kyso_error_t e;
		kyso_error_clear(&e);
		if (kyso_reg_get_string(roots[r], key, NULL, &v, &e) == KYSO_OK) {
			free(v);
			return true;
		}
	}
	return false;
}

/* Does a policy list (values "1".."N") of the browser pre-approve origin? */
static bool policy_allows(const char *policy_key, const char *origin)
{
	static const char *const lists[] = {"LoopbackNetworkAllowedForUrls",
	                                    "LocalNetworkAccessAllowedForUrls"};
	const kyso_reg_root_t roots[] = {KYSO_REG_MACHINE, KYSO_REG_USER};
	for (size_t r = 0; r < 2; r++)
		for (size_t l = 0; l < 2; l++) {
			char key[300];
			snprintf(key, sizeof(key), "%s\\%s", policy_key, lists[l]);
			for (int i = 1; i <= 256; i++) {
				char name[16], norm[512];
				snprintf(name, sizeof(name), "%d", i);
				char *v = NULL;
				kyso_error_t e;
				kyso_error_clear(&e);
				if (kyso_reg_get_string(roots[r], key, name, &v, &e) != KYSO_OK)
					break;
				kyso_doctor_origin_norm(v, norm, sizeof(norm));
				free(v);
				if (strcmp(norm, origin) == 0)
					return true;
			}
		}
	return false;
}

/* The agent's CA: trusted in the user's or the machine's ROOT store? */
static void check_trust(const doctor_t *d, json_t *profiles, json_t *untrusted)
{
	char p[4200];
	if (d->o->agent_ca != NULL)
		snprintf(p, sizeof(p), "%s", d->o->agent_ca);
	else
		snprintf(p, sizeof(p), "%s/agent/ca.pem", kyso_path_state_user());
	uint8_t *ca = NULL;
	size_t len = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	bool have = kyso_file_read_all(p, 1u << 20, &ca, &len, &e) == KYSO_OK;
	static const struct {
		kyso_trust_scope_t scope;
		const char *name;
	} stores[] = {{KYSO_TRUST_USER, "CurrentUser\\ROOT"},
	              {KYSO_TRUST_MACHINE, "LocalMachine\\ROOT"}};
	bool ok = false;
	for (size_t i = 0; i < 2; i++) {
		bool in = have && kyso_trust_has_ca(stores[i].scope, "kyso-local-ca", ca, len);
		ok |= in;
		json_array_append_new(profiles,
		                      json_pack("{s:s, s:s, s:s, s:b}", "browser",
		                                "Chrome/Edge/Firefox", "store", stores[i].name,
		                                "ca", p, "ca_trusted", in));
	}
	if (!ok)
		json_array_append_new(untrusted,
		                      json_string(have ? _("the Windows certificate store") : p));
	free(ca);
}

check_status_t kyso_doctor_check_browser(doctor_t *d, check_t *c)
{
	json_t *profiles = json_array(), *untrusted = json_array();
	json_t *policies = json_array(), *missing = json_array();
	const json_t *origins = d->origins;
	size_t nb = 0;
	for (size_t i = 0; i < sizeof(chromes) / sizeof(chromes[0]); i++) {
		if (!app_installed(chromes[i].exe))
			continue;
		nb++;
		size_t k;
		const json_t *v;
		json_t *lack = json_array();
		json_array_foreach(origins, k, v)
		{
			char o[512];
			if (json_string_value(v) == NULL)
				continue;
			kyso_doctor_origin_norm(json_string_value(v), o, sizeof(o));
			if (!policy_allows(chromes[i].policy, o)) {
				json_array_append_new(lack, json_string(o));
				json_array_append_new(missing,
				                      json_sprintf("%s: %s", chromes[i].name, o));
			}
		}
		json_array_append_new(policies,
		                      json_pack("{s:s, s:s, s:o}", "browser", chromes[i].name,
		                                "registry", chromes[i].policy, "origins_missing",
		                                lack));
	}
	bool firefox = app_installed("firefox.exe");
	kyso_doctor_ck_data(c, "firefox", json_boolean(firefox));
	if (nb > 0 || firefox)
		check_trust(d, profiles, untrusted);
	kyso_doctor_ck_data(c, "profiles", profiles);
	kyso_doctor_ck_data(c, "policies", policies);
	check_status_t st;
	if (nb == 0 && !firefox) {
		st = kyso_doctor_ck_skip(
		        c, _("No browser found (no Chrome, Chromium, Edge or Firefox is "
		             "registered in Windows' App Paths)."));
	} else {
		char pass[256];
		snprintf(pass, sizeof(pass),
		         _("The agent's CA is a trusted root in the Windows certificate store; "
		           "%zu browser(s) pre-approve the web system."),
		         nb);
		char *u = json_dumps(untrusted, JSON_COMPACT);
		const char *first = json_string_value(json_array_get(origins, 0));
		json_t *um =
		        json_sprintf(_("kyso-agent's local CA is not a trusted root in the Windows "
		                       "certificate store (%s). Web pages cannot open the secure "
		                       "connection to the agent."),
		                     u != NULL ? u : "");
		json_t *mr = json_sprintf(
		        _("Run \"kyso.exe setup --repair\" as administrator (it writes the "
		          "policy into the registry). Without administrator rights: open %s, "
		          "click the icon left of the address, Site settings, and set \"Local "
		          "network access\" to Allow."),
		        first != NULL ? first : _("the web system"));
		const kyso_doctor_browser_texts_t t = {
		        .untrusted = json_string_value(um),
		        .missing_remedy = json_string_value(mr),
		        .both_remedy = _("Run \"kyso.exe setup --repair\" as administrator, then "
		                         "close and reopen the browser."),
		        .untrusted_remedy =
		                _("Run \"kyso.exe setup --repair\" (it adds the agent's CA "
		                  "to the Windows certificate store), then close and reopen "
		                  "the browser."),
		        .no_origin_remedy =
		                _("Run \"kyso.exe setup --origin "
		                  "https://ADDRESS-OF-THE-WEB-SYSTEM\" as administrator."),
		        .pass = pass,
		};
		st = kyso_doctor_browser_verdict(c, &t, untrusted, missing, origins);
		json_decref(um);
		json_decref(mr);
		free(u);
	}
	json_decref(untrusted);
	json_decref(missing);
	return st;
}
