/* The undo of every kind of change `kyso setup` journals, by the step that
 * makes it (kyso_setup_undo_ops): the journal replays entries through this table
 * and so knows none of the steps. */
#include "setup_int.h"

static const char *sget(const json_t *e, const char *k)
{
	const char *v = json_string_value(json_object_get(e, k));
	return v != NULL ? v : "";
}

static void report(kyso_err_t rc, const kyso_error_t *err, json_t *problems)
{
	if (rc != KYSO_OK)
		kyso_setup_journal_problem(problems, "%s", kyso_error_message(err));
}

static void undo_package(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	report(kyso_setup_pkg_remove(sget(e, "name"), &err), &err, problems);
}

static void undo_nss_module(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	report(kyso_setup_nss_module_delete(sget(e, "db"), sget(e, "name"), &err), &err, problems);
}

static void undo_tree(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	report(kyso_setup_remove_tree(sget(e, "path"), &err), &err, problems);
}

static void undo_ca_update(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	report(kyso_setup_ca_update(sget(e, "root"), &err), &err, problems);
}

static void undo_nss_cert(const json_t *e, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	report(kyso_setup_nss_cert_undo(sget(e, "db"), sget(e, "name"), sget(e, "previous"),
	                                sget(e, "previous_trust"), &err),
	       &err, problems);
}

/* registry values and keys, trust-store entries, autostart, vendor
 * installers (journal_os.c) */
static void undo_os(const json_t *e, json_t *problems)
{
	kyso_setup_journal_undo_os(e, sget(e, "op"), problems);
}

const kyso_setup_undo_op_t *kyso_setup_undo_ops(void)
{
	static const kyso_setup_undo_op_t ops[] = {
	        {"package", undo_package},
	        {"nss-module", undo_nss_module},
	        {"tree", undo_tree},
	        {"ca-update", undo_ca_update},
	        {"nss-cert", undo_nss_cert},
	        {"agent-start", kyso_setup_agent_undo_start},
	        {"agent-stop", kyso_setup_agent_undo_stop},
	        {"trust-ca", undo_os},
	        {"trust-ca-removed", undo_os},
	        {"reg-value", undo_os},
	        {"reg-key", undo_os},
	        {"autostart", undo_os},
	        {"vendor-installer", undo_os},
	        {"vendor-uninstall", kyso_setup_vendor_uninstall_undo},
	        {NULL, NULL},
	};
	return ops;
}
