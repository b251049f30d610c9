/* The portable copy and read behind kyso_file_copy_to and kyso_file_read_range:
 * stdio with a large buffer. */
#include "core_int.h"

#include <stdlib.h>
#include <sys/types.h>

#define COPY_BUF ((size_t)1 << 20)

kyso_err_t kyso_core_copy_buffered(FILE *in, FILE *out, uint64_t from, uint64_t len,
                                   kyso_copy_sink_fn sink, void *ctx, kyso_error_t *err)
{
	uint8_t *buf = malloc(COPY_BUF);
	if (buf == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = KYSO_OK;
	if (fseeko(in, (off_t)from, SEEK_SET) != 0)
		rc = KYSO_ERR_BAD_INPUT;
	else if (fseeko(out, (off_t)from, SEEK_SET) != 0)
		rc = KYSO_ERR_IO;
	for (uint64_t at = from; rc == KYSO_OK && at < len;) {
		size_t want = len - at > COPY_BUF ? COPY_BUF : (size_t)(len - at);
		if (fread(buf, 1, want, in) != want)
			rc = KYSO_ERR_BAD_INPUT;
		else if (!sink(ctx, buf, want))
			rc = KYSO_ERR_INTERNAL;
		else if (fwrite(buf, 1, want, out) != want)
			rc = KYSO_ERR_IO;
		at += want;
	}
	free(buf);
	return rc == KYSO_OK ? KYSO_OK : kyso_error_set(err, rc, NULL);
}

kyso_err_t kyso_core_read_range_buffered(FILE *f, uint64_t off, uint64_t len,
                                         kyso_copy_sink_fn sink, void *ctx, kyso_error_t *err)
{
	uint8_t *buf = malloc(COPY_BUF);
	if (buf == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = fseeko(f, (off_t)off, SEEK_SET) == 0 ? KYSO_OK : KYSO_ERR_BAD_INPUT;
	for (uint64_t done = 0; rc == KYSO_OK && done < len;) {
		size_t want = len - done > COPY_BUF ? COPY_BUF : (size_t)(len - done);
		if (fread(buf, 1, want, f) != want)
			rc = KYSO_ERR_BAD_INPUT;
		else if (!sink(ctx, buf, want))
			rc = KYSO_ERR_INTERNAL;
		done += want;
	}
	free(buf);
	return rc == KYSO_OK ? KYSO_OK : kyso_error_set(err, rc, NULL);
}

struct kyso_file_copy {
	FILE *in, *out;
	uint64_t len;
	kyso_copy_sink_fn sink;
	void *ctx;
	kyso_err_t rc;
	kyso_error_t err;
	void *thread; /* the platform's, NULL when done at once */
};

kyso_file_copy_t *kyso_core_copy_new(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink,
                                     void *ctx)
{
	kyso_file_copy_t *c = calloc(1, sizeof(*c));
	if (c != NULL) {
		*c = (kyso_file_copy_t){.in = in, .out = out, .len = len, .sink = sink, .ctx = ctx};
		kyso_error_clear(&c->err);
	}
	return c;
}

void kyso_core_copy_run(kyso_file_copy_t *c)
{
	c->rc = kyso_file_copy_to(c->in, c->out, c->len, c->sink, c->ctx, &c->err);
}

void **kyso_core_copy_thread(kyso_file_copy_t *c)
{
	return &c->thread;
}

kyso_err_t kyso_core_copy_result(kyso_file_copy_t **cp, kyso_error_t *err)
{
	kyso_file_copy_t *c = *cp;
	kyso_err_t rc = c->rc;
	if (rc != KYSO_OK && err != NULL)
		*err = c->err;
	free(c);
	*cp = NULL;
	return rc;
}
