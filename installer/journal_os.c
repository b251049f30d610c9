/* Journaled changes outside the file system, through core's platform layer
 * (kyso_platform.h, kyso_process.h): a CA in the OS trust store, registry
 * values (browser policies), the autostart entry, vendor installers. Each
 * is journaled before it is made; kyso_setup_journal_undo_os() undoes one entry. Only
 * the Windows plan (plan_win.c) makes these changes; the code itself is
 * the same everywhere. */
#include "setup_int.h"
#include "kyso_process.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"

static const char *sget(const json_t *e, const char *k)
{
	const char *v = json_string_value(json_object_get(e, k));
	return v != NULL ? v : "";
}

/* A CA added to (add) or removed from the OS trust store, journaled first. */
static kyso_err_t trust_change(kyso_setup_journal_t *j, bool machine, const char *name,
                               const char *pem, bool add, kyso_error_t *err)
{
	kyso_trust_scope_t scope = machine ? KYSO_TRUST_MACHINE : KYSO_TRUST_USER;
	kyso_err_t rc = kyso_setup_journal_add(
	        j,
	        json_pack("{s:s, s:s, s:s, s:s}", "op", add ? "trust-ca" : "trust-ca-removed",
	                  "scope", machine ? "machine" : "user", "name", name, "pem", pem),
	        err);
	if (rc != KYSO_OK)
		return rc;
	return add ? kyso_trust_add_ca(scope, name, (const uint8_t *)pem, strlen(pem), err)
	           : kyso_trust_remove_ca(scope, name, (const uint8_t *)pem, strlen(pem), err);
}

kyso_err_t kyso_setup_jtrust_add(kyso_setup_journal_t *j, bool machine, const char *name,
                                 const char *pem, kyso_error_t *err)
{
	return trust_change(j, machine, name, pem, true, err);
}

kyso_err_t kyso_setup_trust_remove(kyso_setup_journal_t *j, bool machine, const char *name,
                                   const char *pem, kyso_error_t *err)
{
	return trust_change(j, machine, name, pem, false, err);
}

/* Journals the keys from the first missing one down to key ("reg-key",
 * outermost first, so that undo deletes the innermost first). */
static kyso_err_t journal_new_keys(kyso_setup_journal_t *j, bool machine, const char *key,
                                   kyso_error_t *err)
{
	if (kyso_reg_key_exists(machine ? KYSO_REG_MACHINE : KYSO_REG_USER, key))
		return KYSO_OK;
	char part[1024];
	snprintf(part, sizeof(part), "%s", key);
	/* the outermost missing key */
	size_t cut = strlen(part);
	for (;;) {
		char *bs = NULL;
		for (char *c = part; c < part + cut; c++)
			if (*c == '\\')
				bs = c;
		if (bs == NULL)
			break;
		char save = *bs;
		*bs = '\0';
		bool have = kyso_reg_key_exists(machine ? KYSO_REG_MACHINE : KYSO_REG_USER, part);
		*bs = save;
		if (have)
			break;
		cut = (size_t)(bs - part);
	}
	/* part[0..cut) is missing; so is every key below it down to key */
	for (size_t i = cut; i <= strlen(key); i++) {
		if (key[i] != '\\' && key[i] != '\0')
			continue;
		char sub[1024];
		snprintf(sub, sizeof(sub), "%.*s", (int)i, key);
		kyso_err_t rc =
		        kyso_setup_journal_add(j,
		                               json_pack("{s:s, s:s, s:s}", "op", "reg-key", "root",
		                                         machine ? "HKLM" : "HKCU", "key", sub),
		                               err);
		if (rc != KYSO_OK)
			return rc;
	}
	return KYSO_OK;
}

kyso_err_t kyso_setup_jreg_set(kyso_setup_journal_t *j, bool machine, const char *key,
                               const char *value, const char *data, kyso_error_t *err)
{
	kyso_reg_root_t root = machine ? KYSO_REG_MACHINE : KYSO_REG_USER;
	char *prev = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_reg_get_string(root, key, value, &prev, &e) != KYSO_OK)
		prev = NULL;
	kyso_err_t rc = journal_new_keys(j, machine, key, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s, s:s, s:s?}", "op",
		                                      "reg-value", "root",
		                                      machine ? "HKLM" : "HKCU", "key", key,
		                                      "value", value, "previous", prev),
		                            err);
	free(prev);
	if (rc == KYSO_OK)
		rc = kyso_reg_set_string(root, key, value, data, err);
	return rc;
}

kyso_err_t kyso_setup_jautostart_set(kyso_setup_journal_t *j, const char *name,
                                     const char *const argv[], kyso_error_t *err)
{
	char *prev = kyso_autostart_get(name);
	kyso_err_t rc = kyso_setup_journal_add(
	        j, json_pack("{s:s, s:s, s:s?}", "op", "autostart", "name", name, "previous", prev),
	        err);
	free(prev);
	if (rc == KYSO_OK)
		rc = kyso_autostart_set(name, argv, err);
	return rc;
}

static void undo_vendor_installer(const json_t *e, json_t *problems)
{
	const char *kind = sget(e, "kind");
	const char *file = sget(e, "file");
	if (strcmp(kind, "msi") == 0 && access(file, R_OK) == 0) {
		const char *argv[] = {"msiexec", "/x", file, "/qn", NULL};
		int status = -1;
		kyso_error_t err;
		kyso_error_clear(&err);
		if (kyso_spawn(argv, NULL, 1u << 16, 30 * 60 * 1000, &status, &err) != KYSO_OK ||
		    (status != 0 && status != 1605 /* not installed */))
			kyso_setup_journal_problem(
			        problems, _("msiexec /x %s failed (exit status %d)"), file, status);
		return;
	}
	/* an EXE installer is removed by the uninstallers it registered, run
	 * from the "vendor-uninstall" entry journaled after it */
	kyso_debug("vendor installer %s: its uninstallers were journaled apart", file);
}

bool kyso_setup_journal_undo_os(const json_t *e, const char *op, json_t *problems)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	bool machine = strcmp(sget(e, "root"), "HKLM") == 0;
	kyso_reg_root_t root = machine ? KYSO_REG_MACHINE : KYSO_REG_USER;
	if (strcmp(op, "trust-ca") == 0 || strcmp(op, "trust-ca-removed") == 0) {
		const char *pem = sget(e, "pem");
		kyso_trust_scope_t scope = strcmp(sget(e, "scope"), "machine") == 0
		                                   ? KYSO_TRUST_MACHINE
		                                   : KYSO_TRUST_USER;
		/* undo of an addition removes, undo of a removal puts it back */
		kyso_err_t rc =
		        strcmp(op, "trust-ca") == 0
		                ? kyso_trust_remove_ca(scope, sget(e, "name"), (const uint8_t *)pem,
		                                       strlen(pem), &err)
		                : kyso_trust_add_ca(scope, sget(e, "name"), (const uint8_t *)pem,
		                                    strlen(pem), &err);
		if (rc != KYSO_OK)
			kyso_setup_journal_problem(problems, "%s", kyso_error_message(&err));
	} else if (strcmp(op, "reg-value") == 0) {
		const char *prev = json_string_value(json_object_get(e, "previous"));
		kyso_err_t rc = prev != NULL ? kyso_reg_set_string(root, sget(e, "key"),
		                                                   sget(e, "value"), prev, &err)
		                             : kyso_reg_delete_value(root, sget(e, "key"),
		                                                     sget(e, "value"), &err);
		if (rc != KYSO_OK)
			kyso_setup_journal_problem(problems, "%s", kyso_error_message(&err));
	} else if (strcmp(op, "reg-key") == 0) {
		if (kyso_reg_delete_key_if_empty(root, sget(e, "key"), &err) != KYSO_OK)
			kyso_setup_journal_problem(problems, "%s", kyso_error_message(&err));
	} else if (strcmp(op, "autostart") == 0) {
		const char *prev = json_string_value(json_object_get(e, "previous"));
		kyso_err_t rc = prev != NULL ? kyso_reg_set_string(KYSO_REG_USER, RUN_KEY,
		                                                   sget(e, "name"), prev, &err)
		                             : kyso_autostart_remove(sget(e, "name"), &err);
		if (rc != KYSO_OK)
			kyso_setup_journal_problem(problems, "%s", kyso_error_message(&err));
	} else if (strcmp(op, "vendor-installer") == 0) {
		undo_vendor_installer(e, problems);
	} else {
		return false;
	}
	return true;
}
