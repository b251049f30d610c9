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
