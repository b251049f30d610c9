/* Paths a privileged program (setup run as root) changes for a user, walked
 * through directory descriptors so that a symbolic link the user planted on
 * the way (~/.local/state -> /etc) is never followed. */
#include "kyso_core.h"
#include "kyso_platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)

static bool link_trusted(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* One step of the walk: the directory `name` in dfd. A link is followed only
 * when root or the effective user owns it. missing: set (and -1 returned)
 * when the component does not exist. */
static int step(int dfd, const char *name, const char *path, bool *missing, kyso_error_t *err)
{
	int fd = openat(dfd, name, DIR_FLAGS | O_NOFOLLOW);
	if (fd >= 0)
		return fd;
	int e = errno;
	struct stat st;
	if ((e == ELOOP || e == ENOTDIR) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		if (!link_trusted(&st)) {
			kyso_error_set(err, KYSO_ERR_IO,
			               _("%s: \"%s\" is a symbolic link owned by another user (uid "
			                 "%u); it is not followed"),
			               path, name, (unsigned)st.st_uid);
			return -1;
		}
		fd = openat(dfd, name, DIR_FLAGS);
		if (fd >= 0)
			return fd;
		e = errno;
	}
	if (e == ENOENT && missing != NULL) {
		*missing = true;
		return -1;
	}
	kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), path, strerror(e));
	return -1;
}

/* Walks `path` (relative: from the current directory); *missing tells that the walk ended on a
 * missing component (not an error for the check). */
static int walk(const char *path, bool *missing, kyso_error_t *err)
{
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf)) {
		kyso_error_set(err, KYSO_ERR_USAGE, _("Path too long: %s"), path);
		return -1;
	}
	const char *start = path[0] == '/' ? "/" : ".";
	int fd = open(start, DIR_FLAGS);
	if (fd < 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), start, strerror(errno));
		return -1;
	}
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		int next = step(fd, c, path, missing, err);
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
}

int kyso_dir_open_nofollow(const char *path, kyso_error_t *err)
{
	return walk(path, NULL, err);
}

kyso_err_t kyso_path_check_links(const char *path, kyso_error_t *err)
{
	bool missing = false;
	int fd = walk(path, &missing, err);
	if (fd >= 0) {
		close(fd);
		return KYSO_OK;
	}
	return missing ? KYSO_OK : err->code;
}

/* ---- trees ---------------------------------------------------------------- */

typedef kyso_err_t (*entry_fn)(int dfd, const char *name, const struct stat *st, void *ctx,
                               kyso_error_t *err);

/* Calls fn for every entry below the directory dfd (children first: a
 * directory's entries before the directory itself), never through a link. */
static kyso_err_t tree_walk(int dfd, const char *path, entry_fn fn, void *ctx, int depth,
                            kyso_error_t *err)
{
	if (depth > 64)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), path,
		                      strerror(ELOOP));
	int dup_fd = dup(dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (d == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), path,
		                      strerror(errno));
	}
	kyso_err_t rc = KYSO_OK;
	const struct dirent *de;
	while (rc == KYSO_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, de->d_name, DIR_FLAGS | O_NOFOLLOW);
			if (sub < 0) {
				rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s/%s: %s"),
				                    path, de->d_name, strerror(errno));
				break;
			}
			rc = tree_walk(sub, path, fn, ctx, depth + 1, err);
			close(sub);
		}
		if (rc == KYSO_OK)
			rc = fn(dfd, de->d_name, &st, ctx, err);
	}
	closedir(d);
	return rc;
}

typedef struct {
	uid_t uid;
	gid_t gid;
} owner_t;

static kyso_err_t chown_entry(int dfd, const char *name, const struct stat *st, void *ctx,
                              kyso_error_t *err)
{
	(void)st;
	const owner_t *o = ctx;
	if (fchownat(dfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot change the owner of %s: %s"),
		                      name, strerror(errno));
	return KYSO_OK;
}

kyso_err_t kyso_tree_chown(const char *path, unsigned uid, unsigned gid, kyso_error_t *err)
{
	int fd = walk(path, NULL, err);
	if (fd < 0)
		return err->code;
	owner_t o = {(uid_t)uid, (gid_t)gid};
	kyso_err_t rc = tree_walk(fd, path, chown_entry, &o, 0, err);
	if (rc == KYSO_OK && fchown(fd, o.uid, o.gid) != 0)
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot change the owner of %s: %s"), path,
		                    strerror(errno));
	close(fd);
	return rc;
}

static kyso_err_t remove_entry(int dfd, const char *name, const struct stat *st, void *ctx,
                               kyso_error_t *err)
{
	(void)ctx;
	if (unlinkat(dfd, name, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot remove %s: %s"), name,
		                      strerror(errno));
	return KYSO_OK;
}

kyso_err_t kyso_tree_remove(const char *path, kyso_error_t *err)
{
	char parent[PATH_MAX];
	if ((size_t)snprintf(parent, sizeof(parent), "%s", path) >= sizeof(parent))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("Path too long: %s"), path);
	char *slash = strrchr(parent, '/');
	const char *name = parent;
	const char *dir = ".";
	if (slash != NULL) {
		*slash = '\0';
		name = slash + 1;
		dir = parent[0] ? parent : "/";
	}
	if (name[0] == '\0')
		return kyso_error_set(err, KYSO_ERR_USAGE, _("Cannot remove %s: %s"), path,
		                      strerror(EINVAL));
	bool missing = false;
	int pfd = walk(dir, &missing, err);
	if (pfd < 0)
		return missing ? KYSO_OK : err->code;
	struct stat st;
	kyso_err_t rc = KYSO_OK;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(pfd, name, DIR_FLAGS | O_NOFOLLOW);
			if (fd < 0)
				rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot remove %s: %s"),
				                    path, strerror(errno));
			else {
				rc = tree_walk(fd, path, remove_entry, NULL, 0, err);
				close(fd);
			}
		}
		if (rc == KYSO_OK)
			rc = remove_entry(pfd, name, &st, NULL, err);
	}
	close(pfd);
	return rc;
}
