/* Internal to kyso_core: shared by the POSIX and Windows implementations. */
#ifndef KYSO_CORE_INT_H
#define KYSO_CORE_INT_H

#include "kyso_core.h"

/* Reads fp (opened by the platform's kyso_file_read_all) to the end, at most
 * max bytes, into a new buffer (*out, caller frees). Closes fp. */
kyso_err_t kyso_core_read_stream(FILE *fp, const char *path, size_t max, uint8_t **out, size_t *len,
                                 kyso_error_t *err);

#endif
