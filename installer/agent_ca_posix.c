/* The agent's local CA on Linux: its state directory (XDG), files handed
 * to the sudo caller, the system trust store (update-ca-certificates). The
 * platform-independent part is agent_ca.c. */
#include "setup_int.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *agent_state_dir(const setup_opts_t *o)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = setup_home(o);
	char *s = NULL;
	/* the sudo caller's agent uses its own ~/.local/state, not root's XDG */
	bool sudo = o->root[0] == '\0' && getenv("SUDO_USER") != NULL;
	if (xdg != NULL && xdg[0] == '/' && !sudo) {
		if (asprintf(&s, "%s/kyso/agent", xdg) < 0)
			return NULL;
	} else if (asprintf(&s, "%s/.local/state/kyso/agent", home) < 0) {
		return NULL;
	}
	return s;
}

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
	if (uid == NULL || gid == NULL)
		return 0;
	if (lchown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)) != 0)
		kyso_warn("chown %s: %s", path, strerror(errno));
	return 0;
}

void chown_to_caller(const setup_opts_t *o, const char *path)
{
	const char *user = getenv("SUDO_USER");
	if (o->root[0] != '\0' || geteuid() != 0 || getenv("SUDO_UID") == NULL ||
	    getenv("SUDO_GID") == NULL || user == NULL || strcmp(user, "root") == 0)
		return;
	if (nftw(path, chown_one, 16, FTW_PHYS) != 0)
		kyso_warn("chown %s: %s", path, strerror(errno));
}

void chown_path_to_caller(const setup_opts_t *o, const char *path)
{
	if (o->root[0] != '\0' || geteuid() != 0 || getenv("SUDO_UID") == NULL ||
	    getenv("SUDO_GID") == NULL)
		return;
	const char *home = setup_home(o);
	size_t hl = strlen(home);
	if (strncmp(path, home, hl) != 0 || path[hl] != '/')
		return;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + hl + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			char c = *s;
			*s = '\0';
			struct stat st;
			if (lstat(p, &st) == 0 && st.st_uid == 0 && S_ISDIR(st.st_mode))
				chown_one(p, &st, 0, NULL);
			*s = c;
		}
		if (end)
			break;
	}
}

kyso_err_t ca_update(const char *root, kyso_error_t *err)
{
	const char *fake = getenv("KYSO_APT");
	int status = -1;
	kyso_err_t rc;
	if (fake != NULL && fake[0] != '\0') {
		const char *argv[] = {fake, "update-ca-certificates", root[0] ? root : "/", NULL};
		rc = kyso_spawn(argv, NULL, 1u << 16, 10 * 60 * 1000, &status, err);
	} else if (root[0] != '\0') {
		return KYSO_OK; /* a staging root without a stand-in: nothing to run */
	} else {
		const char *argv[] = {"update-ca-certificates", NULL};
		rc = kyso_spawn(argv, NULL, 1u << 16, 10 * 60 * 1000, &status, err);
		if (rc == KYSO_ERR_NOT_FOUND)
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
			                      _("update-ca-certificates is not installed (Debian "
			                        "package ca-certificates)"));
	}
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("update-ca-certificates failed (exit status %d)"), status);
	return rc;
}

kyso_err_t ca_system_install(const setup_opts_t *o, journal_t *j, const char *file, const char *pem,
                             kyso_error_t *err)
{
	/* the update is journaled before the file: undo removes the file first,
	 * then runs the update again */
	kyso_err_t rc = journal_add(
	        j, json_pack("{s:s, s:s}", "op", "ca-update", "root", o->root[0] ? o->root : ""),
	        err);
	if (rc == KYSO_OK)
		rc = jfs_write(j, file, pem, strlen(pem), 0644, err);
	if (rc == KYSO_OK)
		rc = ca_update(o->root, err);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
	return rc != 0 && errno != ENOENT ? -1 : 0;
}

kyso_err_t remove_tree(const char *path, kyso_error_t *err)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return KYSO_OK;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot remove %s: %s"), path,
		                      strerror(errno));
	return KYSO_OK;
}
