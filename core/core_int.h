/* Internal to kyso_core: shared by the POSIX and Windows implementations. */
#ifndef KYSO_CORE_INT_H
#define KYSO_CORE_INT_H

#include "kyso_core.h"

/* Reads fp (opened by the platform's kyso_file_read_all) to the end, at most
 * max bytes, into a new buffer (*out, caller frees). Closes fp. */
kyso_err_t kyso_core_read_stream(FILE *fp, const char *path, size_t max, uint8_t **out, size_t *len,
                                 kyso_error_t *err);

/* Writes "[#xxxxxxxx]" for value into dst. */
typedef void (*kyso_core_hash_fn)(const char *value, char dst[12]);

/* Adds a personal value to the redaction list, hashed with hash in output
 * (redact_personal.c passes kyso_redact_hash). */
void kyso_core_redact_add_personal(const char *value, kyso_core_hash_fn hash);

/* PKCS#11 module lookup (p11find_*.c): the regular file dir/name (malloc'ed
 * path) or NULL; one per OS. */
char *kyso_core_p11_file_in(const char *dir, const char *name);
/* name in the first directory of list (directories separated by sep) that
 * holds it (p11find_common.c). */
char *kyso_core_p11_search_list(const char *list, char sep, const char *name);

#endif
