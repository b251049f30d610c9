/* Install journal: every change is appended (and the journal written to disk)
 * before it is made, so uninstall and rollback undo exactly those changes.
 *
 * <dir>/journal.json: {"schema": 1, "entries": [{"run": "...", "op": ...}]}
 * <dir>/backup/N: previous content of files kyso replaced. */
#include "kyso_process.h"
#include "setup_int.h"
#include "kyso_platform.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct journal {
	char *dir;
	char *file;
	json_t *doc;
	char run[40];
	size_t run_count;
	bool on_disk;
	json_t *own_dirs; /* directories created for the journal itself */
};

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* A drive ("C:") as the first component of a Windows path: never created. */
static bool is_drive(const char *p)
{
	return p[0] != '\0' && p[1] == ':' && p[2] == '\0';
}

kyso_setup_journal_t *kyso_setup_journal_open(const char *dir, kyso_error_t *err)
{
	kyso_setup_journal_t *j = calloc(1, sizeof(*j));
	if (j == NULL || asprintf(&j->file, "%s/journal.json", dir) < 0) {
		free(j);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	j->dir = strdup(dir);
	j->own_dirs = json_array();
	snprintf(j->run, sizeof(j->run), "%lld-%d", (long long)time(NULL), (int)getpid());
	if (exists(j->file)) {
		j->doc = kyso_json_load_file(j->file, err);
		if (j->doc == NULL || !json_is_array(json_object_get(j->doc, "entries"))) {
			if (j->doc != NULL)
				kyso_error_set(err, KYSO_ERR_BAD_INPUT,
				               _("%s: not a kyso install journal"), j->file);
			kyso_setup_journal_free(&j);
			return NULL;
		}
		j->on_disk = true;
	} else {
		j->doc = json_pack("{s:i, s:[]}", "schema", SETUP_JOURNAL_SCHEMA, "entries");
	}
	return j;
}

void kyso_setup_journal_free(kyso_setup_journal_t **pj)
{
	if (pj == NULL || *pj == NULL)
		return;
	kyso_setup_journal_t *j = *pj;
	free(j->dir);
	free(j->file);
	json_decref(j->doc);
	json_decref(j->own_dirs);
	free(j);
	*pj = NULL;
}

bool kyso_setup_journal_exists(const kyso_setup_journal_t *j)
{
	return j->on_disk;
}
size_t kyso_setup_journal_count(const kyso_setup_journal_t *j)
{
	return json_array_size(json_object_get(j->doc, "entries"));
}
size_t kyso_setup_journal_run_count(const kyso_setup_journal_t *j)
{
	return j->run_count;
}
const json_t *kyso_setup_journal_entries(const kyso_setup_journal_t *j)
{
	return json_object_get(j->doc, "entries");
}

static kyso_err_t save(kyso_setup_journal_t *j, kyso_error_t *err)
{
	char *text = json_dumps(j->doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	if (text == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_file_write_atomic(j->file, text, strlen(text), 0600, err);
	free(text);
	if (rc == KYSO_OK)
		j->on_disk = true;
	return rc;
}

/* Creates the journal directory (mkdir -p), remembering what it created. */
static kyso_err_t make_own_dir(kyso_setup_journal_t *j, kyso_error_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", j->dir);
	for (char *s = path + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			char c = *s;
			*s = '\0';
			if (!exists(path) && !is_drive(path)) {
				if (mkdir(path, 0755) != 0)
					return kyso_error_set(err, KYSO_ERR_IO,
					                      _("Cannot create %s: %s"), path,
					                      strerror(errno));
				json_array_append_new(j->own_dirs, json_string(path));
			}
			*s = c;
		}
		if (end)
			break;
	}
	return KYSO_OK;
}

kyso_err_t kyso_setup_journal_add(kyso_setup_journal_t *j, json_t *entry, kyso_error_t *err)
{
	if (entry == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (kyso_setup_interrupted) {
		json_decref(entry);
		return kyso_error_set(err, KYSO_ERR_PROBLEM, _("Interrupted"));
	}
	/* Test hook: KYSO_SETUP_FAIL_AFTER=N lets N changes through, then fails
	 * the next one as if it could not be made. */
	const char *fail_after = kyso_test_hook("KYSO_SETUP_FAIL_AFTER");
	if (fail_after != NULL && fail_after[0] != '\0' &&
	    j->run_count >= strtoul(fail_after, NULL, 10)) {
		json_decref(entry);
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Forced failure after %zu changes (KYSO_SETUP_FAIL_AFTER)"),
		                      j->run_count);
	}
	if (!j->on_disk) {
		kyso_err_t rc = make_own_dir(j, err);
		if (rc != KYSO_OK) {
			json_decref(entry);
			return rc;
		}
		/* the journal's own directories come first, so they are undone last */
		size_t i;
		json_t *d;
		json_array_foreach(j->own_dirs, i, d)
		{
			json_array_append_new(json_object_get(j->doc, "entries"),
			                      json_pack("{s:s, s:s, s:O, s:b}", "run", j->run, "op",
			                                "mkdir", "path", d, "journal", 1));
		}
	}
	json_object_set_new(entry, "run", json_string(j->run));
	json_array_append_new(json_object_get(j->doc, "entries"), entry);
	j->run_count++;
	return save(j, err);
}

char *kyso_setup_journal_backup_path(kyso_setup_journal_t *j)
{
	char *dir = NULL, *p = NULL;
	if (asprintf(&dir, "%s/backup", j->dir) < 0)
		return NULL;
	if (!exists(dir) && mkdir(dir, 0700) != 0) {
		free(dir);
		return NULL;
	}
	for (unsigned n = 1; n < 100000; n++) {
		free(p);
		if (asprintf(&p, "%s/%u", dir, n) < 0) {
			p = NULL;
			break;
		}
		if (!exists(p))
			break;
	}
	free(dir);
	return p;
}

void kyso_setup_journal_problem(json_t *problems, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kyso_warn("%s", buf);
	if (problems != NULL)
		json_array_append_new(problems, json_string(buf));
}

static const char *sget(const json_t *e, const char *k)
{
	const char *v = json_string_value(json_object_get(e, k));
	return v != NULL ? v : "";
}

/* Undoes one entry; idempotent (the change may not have happened). The
 * journal's own file-system changes are undone here, every other kind by
 * the function its step gave (ops). */
static void undo_one(const json_t *e, const kyso_setup_undo_op_t *ops, json_t *problems)
{
	const char *op = sget(e, "op");
	const char *path = sget(e, "path");
	if (strcmp(op, "mkdir") == 0) {
		if (rmdir(path) != 0 && errno != ENOENT)
			kyso_setup_journal_problem(problems, _("Cannot remove directory %s: %s"),
			                           path, strerror(errno));
	} else if (strcmp(op, "file") == 0) {
		const char *backup = sget(e, "backup");
		if (backup[0] != '\0' && exists(backup)) {
			/* Windows' rename does not replace an existing file */
			if (rename(backup, path) != 0 &&
			    (remove(path) != 0 || rename(backup, path) != 0))
				kyso_setup_journal_problem(problems,
				                           _("Cannot restore %s from %s: %s"), path,
				                           backup, strerror(errno));
		} else if (backup[0] == '\0' && unlink(path) != 0 && errno != ENOENT) {
			kyso_setup_journal_problem(problems, _("Cannot remove %s: %s"), path,
			                           strerror(errno));
		}
	} else if (strcmp(op, "symlink") == 0) {
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && unlink(path) != 0)
			kyso_setup_journal_problem(problems, _("Cannot remove %s: %s"), path,
			                           strerror(errno));
	} else if (strcmp(op, "agent-stop") == 0) {
		/* kyso_setup_journal_undo starts it again at the end, when it ran before */
	} else {
		kyso_setup_undo_fn fn = NULL;
		for (size_t i = 0; ops != NULL && ops[i].op != NULL && fn == NULL; i++)
			if (strcmp(ops[i].op, op) == 0)
				fn = ops[i].undo;
		if (fn != NULL)
			fn(e, problems);
		else
			kyso_setup_journal_problem(
			        problems, _("Unknown journal entry \"%s\" left as it is"), op);
	}
}

kyso_err_t kyso_setup_journal_undo(kyso_setup_journal_t *j, bool this_run_only,
                                   const kyso_setup_undo_op_t *ops, json_t *problems,
                                   kyso_error_t *err)
{
	json_t *entries = json_object_get(j->doc, "entries");
	json_t *keep = json_array();
	json_t *deferred = json_array(); /* the journal's own directories */
	if (keep == NULL || deferred == NULL) {
		json_decref(keep);
		json_decref(deferred);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	/* the oldest agent-start/agent-stop undone tells whether the agent ran
	 * before: a stop means it did, and it is started again at the end */
	const json_t *agent_first = NULL;
	for (size_t i = json_array_size(entries); i-- > 0;) {
		json_t *e = json_array_get(entries, i);
		if (this_run_only && strcmp(sget(e, "run"), j->run) != 0) {
			json_array_insert(keep, 0, e);
			continue;
		}
		if (strncmp(sget(e, "op"), "agent-st", 8) == 0)
			agent_first = e;
		if (json_is_true(json_object_get(e, "journal")))
			json_array_append(deferred, e);
		else
			undo_one(e, ops, problems);
	}
	json_t *restart = agent_first != NULL && strcmp(sget(agent_first, "op"), "agent-stop") == 0
	                          ? json_deep_copy(agent_first)
	                          : NULL;
	kyso_err_t rc = KYSO_OK;
	/* entries of other runs remain: keep the journal (and its directories) */
	bool others = false;
	size_t i;
	json_t *e;
	json_array_foreach(keep, i, e)
	{
		if (!json_is_true(json_object_get(e, "journal")))
			others = true;
	}
	if (others) {
		json_array_foreach(deferred, i, e)
		{
			json_array_insert(keep, 0, e);
		}
		json_object_set(j->doc, "entries", keep);
		rc = save(j, err);
	} else {
		if (unlink(j->file) != 0 && errno != ENOENT)
			kyso_setup_journal_problem(problems, _("Cannot remove %s: %s"), j->file,
			                           strerror(errno));
		char *bdir = NULL;
		if (asprintf(&bdir, "%s/backup", j->dir) >= 0) {
			if (rmdir(bdir) != 0 && errno != ENOENT)
				kyso_setup_journal_problem(problems,
				                           _("Cannot remove directory %s: %s"),
				                           bdir, strerror(errno));
			free(bdir);
		}
		json_array_foreach(deferred, i, e)
		{
			undo_one(e, ops, problems);
		}
		/* also the ones of older runs, newest first */
		for (size_t k = json_array_size(keep); k-- > 0;)
			undo_one(json_array_get(keep, k), ops, problems);
		json_object_set_new(j->doc, "entries", json_array());
		j->on_disk = false;
	}
	for (size_t k = 0; restart != NULL && ops != NULL && ops[k].op != NULL; k++)
		if (strcmp(ops[k].op, "agent-stop") == 0)
			ops[k].undo(restart, problems);
	json_decref(restart);
	j->run_count = 0;
	json_decref(keep);
	json_decref(deferred);
	return rc;
}

/* ---- journaled file-system changes ------------------------------------------ */

kyso_err_t kyso_setup_jfs_mkdirs(kyso_setup_journal_t *j, const char *dir, kyso_error_t *err)
{
	kyso_err_t lrc = kyso_path_check_links(dir, err);
	if (lrc != KYSO_OK)
		return lrc;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			char c = *s;
			*s = '\0';
			if (!exists(path) && !is_drive(path)) {
				kyso_err_t rc = kyso_setup_journal_add(
				        j, json_pack("{s:s, s:s}", "op", "mkdir", "path", path),
				        err);
				if (rc != KYSO_OK)
					return rc;
				if (mkdir(path, 0755) != 0 && errno != EEXIST)
					return kyso_error_set(err, KYSO_ERR_IO,
					                      _("Cannot create %s: %s"), path,
					                      strerror(errno));
			}
			*s = c;
		}
		if (end)
			break;
	}
	return KYSO_OK;
}

static kyso_err_t mkdirs_parent(kyso_setup_journal_t *j, const char *path, kyso_error_t *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return KYSO_OK;
	*slash = '\0';
	return kyso_setup_jfs_mkdirs(j, dir, err);
}

kyso_err_t kyso_setup_jfs_write(kyso_setup_journal_t *j, const char *path, const void *data,
                                size_t len, unsigned mode, kyso_error_t *err)
{
	kyso_err_t rc = mkdirs_parent(j, path, err);
	if (rc != KYSO_OK)
		return rc;
	char *backup = NULL;
	if (exists(path)) {
		backup = kyso_setup_journal_backup_path(j);
		if (backup == NULL)
			return kyso_error_set(err, KYSO_ERR_IO, _("Cannot back up %s"), path);
	}
	rc = kyso_setup_journal_add(j,
	                            json_pack("{s:s, s:s, s:s}", "op", "file", "path", path,
	                                      "backup", backup != NULL ? backup : ""),
	                            err);
	if (rc == KYSO_OK && backup != NULL) {
		/* copy, not move: the original stays until the new file replaces it */
		uint8_t *old = NULL;
		size_t olen = 0;
		rc = kyso_file_read_all(path, 256u << 20, &old, &olen, err);
		struct stat st;
		if (rc == KYSO_OK)
			rc = kyso_file_write_atomic(
			        backup, old, olen,
			        stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0644, err);
		free(old);
	}
	if (rc == KYSO_OK)
		rc = kyso_file_write_atomic(path, data, len, mode, err);
	free(backup);
	return rc;
}

kyso_err_t kyso_setup_jfs_will_create(kyso_setup_journal_t *j, const char *path, kyso_error_t *err)
{
	kyso_err_t rc = mkdirs_parent(j, path, err);
	if (rc != KYSO_OK)
		return rc;
	if (exists(path))
		return kyso_setup_jfs_write(j, path, "", 0, 0644, err); /* backs it up */
	return kyso_setup_journal_add(
	        j, json_pack("{s:s, s:s, s:s}", "op", "file", "path", path, "backup", ""), err);
}

kyso_err_t kyso_setup_jfs_symlink(kyso_setup_journal_t *j, const char *target, const char *path,
                                  kyso_error_t *err)
{
	kyso_err_t rc = mkdirs_parent(j, path, err);
	if (rc != KYSO_OK)
		return rc;
	rc = kyso_setup_journal_add(
	        j, json_pack("{s:s, s:s, s:s}", "op", "symlink", "path", path, "target", target),
	        err);
	if (rc != KYSO_OK)
		return rc;
	if (symlink(target, path) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot create %s: %s"), path,
		                      strerror(errno));
	return KYSO_OK;
}
