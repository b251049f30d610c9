/* kyso_file_copy_to and kyso_file_read_range on Windows: ReadFile/WriteFile
 * through stdio with a 1 MiB buffer (the temp file is already open, so
 * CopyFileEx does not apply). */
#include "core_int.h"

kyso_err_t kyso_file_copy_to(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink, void *ctx,
                             kyso_error_t *err)
{
	return kyso_core_copy_buffered(in, out, 0, len, sink, ctx, err);
}

kyso_err_t kyso_file_read_range(FILE *f, uint64_t off, uint64_t len, kyso_copy_sink_fn sink,
                                void *ctx, kyso_error_t *err)
{
	return kyso_core_read_range_buffered(f, off, len, sink, ctx, err);
}

kyso_file_copy_t *kyso_file_copy_start(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink,
                                       void *ctx)
{
	kyso_file_copy_t *c = kyso_core_copy_new(in, out, len, sink, ctx);
	if (c != NULL)
		kyso_core_copy_run(c);
	return c;
}

kyso_err_t kyso_file_copy_finish(kyso_file_copy_t **c, kyso_error_t *err)
{
	return kyso_core_copy_result(c, err);
}
