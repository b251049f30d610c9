/* kyso_file_copy_to on Linux/POSIX: the kernel copies the bytes
 * (copy_file_range, else sendfile) in a thread, write-back starts at once,
 * and the sink reads the copy back from the page cache (256 KiB reads), one
 * 4 MiB window behind the copy. */
#include "core_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define WINDOW   ((uint64_t)4 << 20) /* the copy runs this far ahead of the sink */
#define READ_BUF ((size_t)256 << 10)

static bool unsupported(int e)
{
	/* ENOTSUP is EOPNOTSUPP on Linux */
	return e == ENOSYS || e == EXDEV || e == EINVAL || e == EOPNOTSUPP || e == EBADF ||
	       e == ETXTBSY;
}

/* Copies [*done, end) by the kernel (*sendfile: copy_file_range cannot).
 * 0: copied; 1: this kernel/file system cannot (nothing copied yet: copy
 * another way); else a kyso_err_t. */
static int kernel_copy(int ifd, int ofd, uint64_t end, uint64_t *done, bool *use_sendfile)
{
	while (*done < end) {
		size_t want = (size_t)(end - *done);
		off_t in_off = (off_t)*done, out_off = (off_t)*done;
		ssize_t n;
		if (!*use_sendfile) {
			n = copy_file_range(ifd, &in_off, ofd, &out_off, want, 0);
			if (n < 0 && unsupported(errno) && *done == 0) {
				*use_sendfile = true;
				continue;
			}
		} else {
			if (lseek(ofd, out_off, SEEK_SET) != out_off)
				return KYSO_ERR_IO;
			n = sendfile(ofd, ifd, &in_off, want);
			if (n < 0 && unsupported(errno) && *done == 0)
				return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KYSO_ERR_IO;
		if (n == 0)
			return KYSO_ERR_BAD_INPUT; /* the input is shorter than it was */
		*done += (uint64_t)n;
	}
	return 0;
}

/* Passes [at, end) of fd to sink through a buffer that stays in the CPU's
 * cache (measured: faster than hashing a mapping of the page cache, whose
 * page-table set-up and cold lines cost more than the copy). */
static kyso_err_t feed_sink(int fd, uint64_t at, uint64_t end, kyso_copy_sink_fn sink, void *ctx)
{
	uint8_t *buf = malloc(READ_BUF);
	if (buf == NULL)
		return KYSO_ERR_NOMEM;
	kyso_err_t rc = KYSO_OK;
	while (rc == KYSO_OK && at < end) {
		size_t n = end - at > READ_BUF ? READ_BUF : (size_t)(end - at);
		ssize_t got = pread(fd, buf, n, (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rc = KYSO_ERR_BAD_INPUT;
		else if (!sink(ctx, buf, (size_t)got))
			rc = KYSO_ERR_INTERNAL;
		else
			at += (uint64_t)got;
	}
	free(buf);
	return rc;
}

kyso_err_t kyso_file_read_range(FILE *f, uint64_t off, uint64_t len, kyso_copy_sink_fn sink,
                                void *ctx, kyso_error_t *err)
{
	int fd = fileno(f);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return kyso_core_read_range_buffered(f, off, len, sink, ctx, err);
	if (off > (uint64_t)st.st_size || len > (uint64_t)st.st_size - off)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, NULL);
	kyso_err_t rc = feed_sink(fd, off, off + len, sink, ctx);
	return rc == KYSO_OK ? KYSO_OK : kyso_error_set(err, rc, NULL);
}

/* The copy through a buffer on the descriptors (no stdio: the streams may
 * be in use by another thread meanwhile), sink called while reading. */
typedef struct {
	kyso_copy_sink_fn sink;
	void *ctx;
	int ofd;
	uint64_t at;
} tee_t;

static bool tee_write(void *arg, const uint8_t *data, size_t len)
{
	tee_t *t = arg;
	if (!t->sink(t->ctx, data, len))
		return false;
	if (pwrite(t->ofd, data, len, (off_t)t->at) != (ssize_t)len) {
		t->ofd = -1; /* the write failed, not the sink */
		return false;
	}
	t->at += len;
	return true;
}

static kyso_err_t fd_copy_buffered(int ifd, int ofd, uint64_t len, kyso_copy_sink_fn sink,
                                   void *ctx)
{
	tee_t t = {.sink = sink, .ctx = ctx, .ofd = ofd};
	kyso_err_t rc = feed_sink(ifd, 0, len, tee_write, &t);
	return rc == KYSO_ERR_INTERNAL && t.ofd < 0 ? KYSO_ERR_IO : rc;
}

/* The kernel's copy runs in a thread ahead of the sink: window by window it
 * copies, starts the write-back (the disk works meanwhile) and says how far
 * it got; the sink follows, reading each window back from the page cache. */
typedef struct {
	int ifd, ofd;
	uint64_t len;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t copied; /* guarded by mu */
	int result;      /* guarded by mu: -1 running, else kernel_copy's answer */
	bool stop;       /* guarded by mu: the sink failed */
} copier_t;

static void *copier_run(void *arg)
{
	copier_t *c = arg;
	bool use_sendfile = false;
	uint64_t done = 0;
	int k = 0;
	while (k == 0 && done < c->len) {
		uint64_t from = done, end = c->len - done > WINDOW ? done + WINDOW : c->len;
		k = kernel_copy(c->ifd, c->ofd, end, &done, &use_sendfile);
		if (k == 0)
			(void)sync_file_range(c->ofd, (off_t)from, (off_t)(end - from),
			                      SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&c->mu);
		c->copied = done;
		if (k != 0 || done == c->len)
			c->result = k;
		if (c->stop)
			k = KYSO_ERR_INTERNAL;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return NULL;
}

/* Waits until the copier is past end or has finished; its result or -1. */
static int copier_wait(copier_t *c, uint64_t end)
{
	pthread_mutex_lock(&c->mu);
	while (c->copied < end && c->result < 0)
		pthread_cond_wait(&c->cv, &c->mu);
	int r = c->copied >= end ? -1 : c->result;
	pthread_mutex_unlock(&c->mu);
	return r;
}

kyso_err_t kyso_file_copy_to(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink, void *ctx,
                             kyso_error_t *err)
{
	if (fflush(out) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, NULL);
	copier_t c = {.ifd = fileno(in), .ofd = fileno(out), .len = len, .result = -1};
	if (c.ifd < 0 || c.ofd < 0)
		return kyso_core_copy_buffered(in, out, 0, len, sink, ctx, err);
	/* the sink sees the bytes written: the copy itself where it can be read */
	int fl = fcntl(c.ofd, F_GETFL);
	int sfd = fl >= 0 && (fl & O_ACCMODE) == O_RDWR ? c.ofd : c.ifd;
	pthread_t th;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	bool threaded = pthread_create(&th, NULL, copier_run, &c) == 0;
	if (!threaded)
		copier_run(&c);
	int k = -1;
	kyso_err_t rc = KYSO_OK;
	for (uint64_t at = 0; rc == KYSO_OK && k < 0 && at < len;) {
		uint64_t end = len - at > WINDOW ? at + WINDOW : len;
		k = copier_wait(&c, end);
		if (k < 0) {
			rc = feed_sink(sfd, at, end, sink, ctx);
			at = end;
		}
	}
	if (rc != KYSO_OK) {
		pthread_mutex_lock(&c.mu);
		c.stop = true;
		pthread_mutex_unlock(&c.mu);
	}
	if (threaded)
		pthread_join(th, NULL);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	k = c.result;
	if (k == 1) /* nothing copied: through a buffer, sink called while reading */
		rc = rc == KYSO_OK ? fd_copy_buffered(c.ifd, c.ofd, len, sink, ctx) : rc;
	else if (rc == KYSO_OK && k > 0)
		rc = (kyso_err_t)k;
	if (rc == KYSO_OK && fseeko(out, (off_t)len, SEEK_SET) != 0)
		rc = KYSO_ERR_IO;
	return rc == KYSO_OK ? KYSO_OK : kyso_error_set(err, rc, NULL);
}

static void *copy_thread(void *arg)
{
	kyso_core_copy_run(arg);
	return NULL;
}

kyso_file_copy_t *kyso_file_copy_start(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink,
                                       void *ctx)
{
	kyso_file_copy_t *c = kyso_core_copy_new(in, out, len, sink, ctx);
	if (c == NULL)
		return NULL;
	pthread_t *th = malloc(sizeof(*th));
	/* in the background only on descriptors (the stdio fallback would move
	 * the caller's streams); out is flushed here, while the caller waits */
	if (th != NULL && fileno(in) >= 0 && fileno(out) >= 0 && fflush(out) == 0 &&
	    pthread_create(th, NULL, copy_thread, c) == 0) {
		*kyso_core_copy_thread(c) = th;
		return c;
	}
	free(th);
	kyso_core_copy_run(c);
	return c;
}

kyso_err_t kyso_file_copy_finish(kyso_file_copy_t **c, kyso_error_t *err)
{
	pthread_t *th = *kyso_core_copy_thread(*c);
	if (th != NULL) {
		pthread_join(*th, NULL);
		free(th);
	}
	return kyso_core_copy_result(c, err);
}
