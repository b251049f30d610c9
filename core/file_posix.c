/* Files: atomic write (temp file + fsync + rename) and whole-file reads. */
#include "core_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kyso_atomic_file {
	char *path;
	char *tmp;
	FILE *fp;
	pthread_t syncer; /* kyso_atomic_file_sync_start's fsync, when synced */
	bool syncing;     /* a syncer thread to join */
	bool synced;      /* the file was fsync'ed once: fdatasync is enough */
	int sync_errno;   /* the syncer's errno, 0: fsync succeeded */
};

kyso_atomic_file_t *kyso_atomic_file_new(const char *path, unsigned mode, kyso_error_t *err)
{
	kyso_atomic_file_t *af = calloc(1, sizeof(*af));
	if (af == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	af->path = strdup(path);
	size_t tl = strlen(path) + 32;
	af->tmp = malloc(tl);
	if (af->path == NULL || af->tmp == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto fail;
	}
	/* same directory as the target so rename() is atomic */
	char *dcopy = strdup(path);
	char *bcopy = strdup(path);
	if (dcopy == NULL || bcopy == NULL) {
		free(dcopy);
		free(bcopy);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto fail;
	}
	snprintf(af->tmp, tl, "%s/.%s.tmp-XXXXXX", dirname(dcopy), basename(bcopy));
	free(dcopy);
	free(bcopy);
	int fd = mkstemp(af->tmp);
	if (fd < 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot create a temporary file next to %s: %s"),
		               path, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, (mode_t)mode) != 0)
		kyso_warn("chmod %s: %s", af->tmp, strerror(errno));
	af->fp = fdopen(fd, "wb");
	if (af->fp == NULL) {
		kyso_error_set(err, KYSO_ERR_IO, "%s: %s", af->tmp, strerror(errno));
		close(fd);
		unlink(af->tmp);
		goto fail;
	}
	return af;
fail:
	free(af->path);
	free(af->tmp);
	free(af);
	return NULL;
}

FILE *kyso_atomic_file_stream(kyso_atomic_file_t *af)
{
	return af->fp;
}

static void *syncer_run(void *arg)
{
	kyso_atomic_file_t *af = arg;
	af->sync_errno = fsync(fileno(af->fp)) == 0 ? 0 : errno;
	return NULL;
}

void kyso_atomic_file_sync_start(kyso_atomic_file_t *af)
{
	if (af == NULL || af->fp == NULL || af->syncing || af->synced || fflush(af->fp) != 0)
		return;
	/* the thread touches only the descriptor; the caller keeps the stream */
	af->syncing = pthread_create(&af->syncer, NULL, syncer_run, af) == 0;
}

/* Waits for the background fsync; its errno (0: none or it succeeded). */
static int sync_wait(kyso_atomic_file_t *af)
{
	if (!af->syncing)
		return 0;
	pthread_join(af->syncer, NULL);
	af->syncing = false;
	af->synced = af->sync_errno == 0;
	return af->sync_errno;
}

static void atomic_file_free(kyso_atomic_file_t *af)
{
	free(af->path);
	free(af->tmp);
	free(af);
}

void kyso_atomic_file_abort(kyso_atomic_file_t **afp)
{
	if (afp == NULL || *afp == NULL)
		return;
	kyso_atomic_file_t *af = *afp;
	(void)sync_wait(af);
	if (af->fp != NULL)
		fclose(af->fp);
	if (unlink(af->tmp) != 0 && errno != ENOENT)
		kyso_warn("cannot remove %s: %s", af->tmp, strerror(errno));
	atomic_file_free(af);
	*afp = NULL;
}

static void fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return;
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	free(copy);
	if (dfd < 0)
		return;
	if (fsync(dfd) != 0)
		kyso_debug("fsync of directory failed: %s", strerror(errno));
	close(dfd);
}

kyso_err_t kyso_atomic_file_commit(kyso_atomic_file_t **afp, kyso_error_t *err)
{
	kyso_atomic_file_t *af = *afp;
	int saved = sync_wait(af);
	int bad = saved != 0 || ferror(af->fp) || fflush(af->fp) != 0;
	/* after a whole fsync (sync_start), the few bytes written since need
	 * fdatasync: the data and the size, without another journal commit for
	 * the time stamps */
	if (!bad)
		bad = (af->synced ? fdatasync(fileno(af->fp)) : fsync(fileno(af->fp))) != 0;
	if (bad && saved == 0)
		saved = errno;
	if (fclose(af->fp) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	af->fp = NULL;
	if (bad) {
		kyso_error_set(err, KYSO_ERR_IO, _("Writing %s failed: %s"), af->path,
		               strerror(saved));
		kyso_atomic_file_abort(afp);
		return KYSO_ERR_IO;
	}
	if (rename(af->tmp, af->path) != 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("Cannot replace %s: %s"), af->path,
		               strerror(errno));
		kyso_atomic_file_abort(afp);
		return KYSO_ERR_IO;
	}
	fsync_dir_of(af->path);
	atomic_file_free(af);
	*afp = NULL;
	return KYSO_OK;
}

kyso_err_t kyso_file_read_all(const char *path, size_t max, uint8_t **out, size_t *len,
                              kyso_error_t *err)
{
	*out = NULL;
	*len = 0;
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return kyso_error_set(err, errno == ENOENT ? KYSO_ERR_NOT_FOUND : KYSO_ERR_IO,
		                      "%s: %s", path, strerror(errno));
	return kyso_core_read_stream(fp, path, max, out, len, err);
}
