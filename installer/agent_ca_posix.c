/* The agent's local CA on Linux: its state directory (XDG), files handed
 * to the sudo caller, the system trust store (update-ca-certificates). The
 * platform-independent part is agent_ca.c. */
#include "kyso_process.h"
#include "setup_int.h"
#include "kyso_platform.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *kyso_setup_agent_state_dir(const kyso_setup_opts_t *o)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = kyso_setup_home(o);
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

/* The sudo caller's uid/gid, or false when setup does not run through sudo
 * on the real system. */
static bool caller_ids(const kyso_setup_opts_t *o, unsigned *uid, unsigned *gid)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	if (o->root[0] != '\0' || geteuid() != 0 || u == NULL || g == NULL)
		return false;
	*uid = (unsigned)strtoul(u, NULL, 10);
	*gid = (unsigned)strtoul(g, NULL, 10);
	return *uid != 0;
}

/* Ownership is handed only below the caller's own home, and only through
 * descriptors opened without following a link the caller planted. */
static bool below_home(const kyso_setup_opts_t *o, const char *path, size_t *hl)
{
	const char *home = kyso_setup_home(o);
	*hl = strlen(home);
	return *hl > 1 && strncmp(path, home, *hl) == 0 && path[*hl] == '/';
}

void kyso_setup_chown_to_caller(const kyso_setup_opts_t *o, const char *path)
{
	unsigned uid, gid;
	size_t hl;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (caller_ids(o, &uid, &gid) && below_home(o, path, &hl) &&
	    kyso_tree_chown(path, uid, gid, &e) != KYSO_OK)
		kyso_warn("%s", kyso_error_message(&e));
}

void kyso_setup_chown_path_to_caller(const kyso_setup_opts_t *o, const char *path)
{
	unsigned uid, gid;
	size_t hl;
	if (!caller_ids(o, &uid, &gid) || !below_home(o, path, &hl))
		return;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + hl + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			char c = *s;
			*s = '\0';
			kyso_error_t e;
			kyso_error_clear(&e);
			int fd = kyso_dir_open_nofollow(p, &e);
			struct stat st;
			if (fd < 0) {
				kyso_warn("%s", kyso_error_message(&e));
				return;
			}
			if (fstat(fd, &st) == 0 && st.st_uid == 0 && fchown(fd, uid, gid) != 0)
				kyso_warn("chown %s: %s", p, strerror(errno));
			close(fd);
			*s = c;
		}
		if (end)
			break;
	}
}

kyso_err_t kyso_setup_ca_update(const char *root, kyso_error_t *err)
{
	const char *fake = kyso_test_hook("KYSO_APT");
	int status = -1;
	kyso_err_t rc;
	if (fake != NULL && fake[0] != '\0') {
		const char *argv[] = {fake, "update-ca-certificates", root[0] ? root : "/", NULL};
		rc = kyso_spawn(argv, NULL, 1u << 16, 10 * 60 * 1000, &status, err);
	} else if (root[0] != '\0') {
		return KYSO_OK; /* a staging root without a stand-in: nothing to run */
	} else {
		const char *argv[] = {"/usr/sbin/update-ca-certificates", NULL};
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

kyso_err_t kyso_setup_ca_system_install(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                        const char *file, const char *pem, const char *old_pem,
                                        kyso_error_t *err)
{
	(void)old_pem; /* the file holding it is replaced */
	/* the update is journaled before the file: undo removes the file first,
	 * then runs the update again */
	kyso_err_t rc = kyso_setup_journal_add(
	        j, json_pack("{s:s, s:s}", "op", "ca-update", "root", o->root[0] ? o->root : ""),
	        err);
	if (rc == KYSO_OK)
		rc = kyso_setup_jfs_write(j, file, pem, strlen(pem), 0644, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_ca_update(o->root, err);
	return rc;
}

kyso_err_t kyso_setup_remove_tree(const char *path, kyso_error_t *err)
{
	return kyso_tree_remove(path, err);
}
