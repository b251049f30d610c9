/* A vendor's EXE driver installer removed again by its own uninstaller.
 * Before the installer runs, setup lists the programs Windows knows (the
 * Uninstall keys "Apps" shows); afterwards the new entries are journaled
 * with the silent command that removes each ("vendor-uninstall"), and
 * kyso setup --uninstall (or a rollback) runs those commands. Only entries
 * that appeared while the vendor's installer ran are ever touched. The
 * registry calls are core's: on Linux the lists are simply empty. */
#include "setup_int.h"
#include "kyso_process.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	kyso_reg_root_t root;
	const char *name;
	const char *key;
} PLACES[] = {
        {KYSO_REG_MACHINE, "HKLM", "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall"},
        {KYSO_REG_MACHINE, "HKLM",
         "SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"},
        {KYSO_REG_USER, "HKCU", "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall"},
};
#define NPLACES (sizeof(PLACES) / sizeof(PLACES[0]))

/* How long an uninstaller may take to remove its entry after it returned
 * (an NSIS uninstaller copies itself to %TEMP% and exits at once). */
#define GONE_WAIT_MS (120 * 1000)

static char *full_name(size_t place, const char *sub)
{
	size_t n = strlen(PLACES[place].name) + strlen(PLACES[place].key) + strlen(sub) + 3;
	char *s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "%s\\%s\\%s", PLACES[place].name, PLACES[place].key, sub);
	return s;
}

static bool listed(const json_t *list, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(list, i, v)
	{
		const char *t = json_string_value(v);
		if (t != NULL && strcmp(t, s) == 0)
			return true;
	}
	return false;
}

/* Calls fn for every entry of every place; stops at the first false. */
static void each_entry(bool (*fn)(size_t place, const char *sub, void *ctx), void *ctx)
{
	for (size_t p = 0; p < NPLACES; p++) {
		json_t *subs = NULL;
		kyso_error_t err;
		kyso_error_clear(&err);
		if (kyso_reg_subkeys(PLACES[p].root, PLACES[p].key, &subs, &err) != KYSO_OK) {
			if (err.code != KYSO_ERR_UNSUPPORTED)
				kyso_warn("%s", kyso_error_message(&err));
			continue;
		}
		size_t i;
		const json_t *v;
		bool go = true;
		json_array_foreach(subs, i, v)
		{
			if (!(go = fn(p, json_string_value(v), ctx)))
				break;
		}
		json_decref(subs);
		if (!go)
			return;
	}
}

static bool add_name(size_t place, const char *sub, void *ctx)
{
	char *s = full_name(place, sub);
	if (s == NULL)
		return false;
	json_array_append_new(ctx, json_string(s));
	free(s);
	return true;
}

json_t *kyso_setup_uninstall_entries_list(void)
{
	json_t *list = json_array();
	if (list != NULL)
		each_entry(add_name, list);
	return list;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return false;
	return true;
}

/* "MsiExec.exe /I{GUID}" (the form many EXE-wrapped MSIs register) made a
 * silent removal: "MsiExec.exe /X{GUID} /qn". */
char *kyso_setup_uninstall_msiexec_silent(const char *cmd)
{
	size_t n = strlen(cmd);
	char *s = malloc(n + 5);
	if (s == NULL)
		return NULL;
	memcpy(s, cmd, n + 1);
	for (char *c = s; *c != '\0'; c++)
		if (c[0] == '/' && (c[1] == 'I' || c[1] == 'i') &&
		    (c[2] == '{' || c[2] == ' ' || c[2] == '"' || c[2] == '\0'))
			c[1] = 'X';
	if (strstr(s, "/q") == NULL && strstr(s, "/Q") == NULL)
		memcpy(s + n, " /qn", 5);
	return s;
}

static char *with_args(const char *cmd, const json_t *args)
{
	kyso_buf_t b = {0};
	kyso_err_t rc = kyso_buf_append(&b, cmd, strlen(cmd));
	size_t i;
	const json_t *v;
	json_array_foreach(args, i, v)
	{
		const char *a = json_string_value(v);
		if (rc == KYSO_OK && a != NULL)
			rc = kyso_buf_printf(&b, " %s", a);
	}
	return kyso_buf_take_string(&b, rc);
}

/* The silent uninstall command of one entry (allocated), or NULL. */
static char *silent_command(kyso_reg_root_t root, const char *key, const json_t *args)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char *quiet = NULL, *plain = NULL, *cmd = NULL;
	if (kyso_reg_get_string(root, key, "QuietUninstallString", &quiet, &err) == KYSO_OK &&
	    quiet[0] != '\0')
		return quiet;
	free(quiet);
	if (kyso_reg_get_string(root, key, "UninstallString", &plain, &err) != KYSO_OK) {
		free(plain);
		return NULL;
	}
	const char *p = plain + (plain[0] == '"');
	if (starts_with_ci(p, "msiexec"))
		cmd = kyso_setup_uninstall_msiexec_silent(plain);
	else if (json_array_size(args) > 0)
		cmd = with_args(plain, args);
	free(plain);
	return cmd;
}

typedef struct {
	const json_t *before;
	const json_t *args;
	json_t *added;
} added_ctx_t;

static bool add_if_new(size_t place, const char *sub, void *ctx)
{
	added_ctx_t *c = ctx;
	char *full = full_name(place, sub);
	if (full == NULL)
		return false;
	bool fresh = !listed(c->before, full);
	free(full);
	if (!fresh)
		return true;
	size_t n = strlen(PLACES[place].key) + strlen(sub) + 2;
	char *key = malloc(n);
	if (key == NULL)
		return false;
	snprintf(key, n, "%s\\%s", PLACES[place].key, sub);
	char *name = NULL;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_reg_get_string(PLACES[place].root, key, "DisplayName", &name, &err) != KYSO_OK) {
		free(name);
		name = NULL;
	}
	char *cmd = silent_command(PLACES[place].root, key, c->args);
	json_array_append_new(c->added,
	                      json_pack("{s:s, s:s, s:s, s:s?}", "root", PLACES[place].name, "key",
	                                key, "name", name != NULL ? name : sub, "command", cmd));
	free(cmd);
	free(name);
	free(key);
	return true;
}

json_t *kyso_setup_uninstall_entries_added(const json_t *before, const json_t *uninstall_args)
{
	added_ctx_t c = {before, uninstall_args, json_array()};
	if (c.added != NULL)
		each_entry(add_if_new, &c);
	return c.added;
}

/* Words of a Windows command line: blanks separate, double quotes group.
 * *first_quoted tells whether the program (first word) was quoted. */
static json_t *split_words(const char *cl, bool *first_quoted)
{
	json_t *w = json_array();
	kyso_buf_t b = {0};
	bool quoted = false, any = false;
	*first_quoted = false;
	for (const char *c = cl; w != NULL; c++) {
		if (*c == '\0' || (!quoted && (*c == ' ' || *c == '\t'))) {
			if (any) {
				char *word = kyso_buf_take_string(&b, KYSO_OK);
				json_array_append_new(w, json_string(word != NULL ? word : ""));
				free(word);
				any = false;
			}
			if (*c == '\0')
				break;
			continue;
		}
		if (*c == '"') {
			quoted = !quoted;
			if (json_array_size(w) == 0)
				*first_quoted = true;
		} else if (kyso_buf_append(&b, c, 1) != KYSO_OK) {
			break;
		}
		any = true;
	}
	kyso_buf_free(&b);
	return w;
}

/* C:\Program Files\V\uninst.exe /S split at its blanks: the words up to
 * the first one ending in ".exe" joined again into the program path. */
static void join_unquoted_program(json_t *w)
{
	size_t exe = 0, n = json_array_size(w);
	for (; exe < n; exe++) {
		const char *s = json_string_value(json_array_get(w, exe));
		size_t len = strlen(s);
		if (len >= 4 && starts_with_ci(s + len - 4, ".exe"))
			break;
	}
	if (exe == 0 || exe == n)
		return;
	kyso_buf_t p = {0};
	kyso_err_t rc = KYSO_OK;
	for (size_t i = 0; i <= exe && rc == KYSO_OK; i++)
		rc = kyso_buf_printf(&p, "%s%s", i > 0 ? " " : "",
		                     json_string_value(json_array_get(w, i)));
	char *path = kyso_buf_take_string(&p, rc);
	if (path == NULL)
		return;
	for (size_t i = 0; i < exe; i++)
		json_array_remove(w, 0);
	json_array_set_new(w, 0, json_string(path));
	free(path);
}

json_t *kyso_setup_uninstall_command_words(const char *cl)
{
	bool first_quoted;
	json_t *w = split_words(cl, &first_quoted);
	if (w != NULL && !first_quoted)
		join_unquoted_program(w);
	return w;
}

static bool wait_gone(kyso_reg_root_t root, const char *key)
{
	for (int waited = 0; kyso_reg_key_exists(root, key); waited += 250) {
		if (waited >= GONE_WAIT_MS)
			return false;
		usleep(250 * 1000);
	}
	return true;
}

static void uninstall_one(const json_t *u, json_t *problems)
{
	const char *rname = json_string_value(json_object_get(u, "root"));
	const char *key = json_string_value(json_object_get(u, "key"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *cmd = json_string_value(json_object_get(u, "command"));
	if (rname == NULL || key == NULL)
		return;
	if (name == NULL)
		name = key;
	kyso_reg_root_t root = strcmp(rname, "HKCU") == 0 ? KYSO_REG_USER : KYSO_REG_MACHINE;
	if (!kyso_reg_key_exists(root, key)) {
		kyso_info(_("%s is no longer installed"), name);
		return;
	}
	if (cmd == NULL) {
		kyso_warn(_("The vendor driver \"%s\" stays on this computer: it has no silent "
		            "uninstaller kyso knows; remove it in Settings > Apps when it is no "
		            "longer needed"),
		          name);
		return;
	}
	json_t *words = kyso_setup_uninstall_command_words(cmd);
	size_t n = json_array_size(words);
	const char **argv = calloc(n + 1, sizeof(*argv));
	int status = -1;
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_err_t rc = KYSO_OK;
	if (argv == NULL)
		rc = kyso_error_set(&err, KYSO_ERR_NOMEM, NULL);
	else if (n == 0)
		rc = kyso_error_set(&err, KYSO_ERR_BAD_INPUT, _("empty command"));
	for (size_t i = 0; argv != NULL && i < n; i++)
		argv[i] = json_string_value(json_array_get(words, i));
	kyso_info(_("Removing the vendor driver \"%s\": %s"), name, cmd);
	if (rc == KYSO_OK)
		rc = kyso_spawn(argv, NULL, 1u << 16, 30 * 60 * 1000, &status, &err);
	free(argv);
	json_decref(words);
	if (rc != KYSO_OK)
		kyso_setup_journal_problem(problems,
		                           _("Cannot remove the vendor driver \"%s\" (%s): %s"),
		                           name, cmd, kyso_error_message(&err));
	else if (status != 0 && status != 3010 && status != 1605)
		kyso_setup_journal_problem(
		        problems,
		        _("The uninstaller of the vendor driver \"%s\" failed (%s: exit "
		          "status %d)"),
		        name, cmd, status);
	else if (!wait_gone(root, key))
		kyso_setup_journal_problem(
		        problems,
		        _("The uninstaller of the vendor driver \"%s\" ran, but Windows "
		          "still lists it: remove it in Settings > Apps"),
		        name);
}

void kyso_setup_vendor_uninstall_undo(const json_t *entry, json_t *problems)
{
	size_t i;
	const json_t *u;
	json_array_foreach(json_object_get(entry, "entries"), i, u)
	{
		uninstall_one(u, problems);
	}
}
