/* Internal to kyso_core: shared by the POSIX and Windows implementations. */
#ifndef KYSO_CORE_INT_H
#define KYSO_CORE_INT_H

#include "kyso_core.h"
#include "kyso_platform.h"

/* Reads fp (opened by the platform's kyso_file_read_all) to the end, at most
 * max bytes, into a new buffer (*out, caller frees). Closes fp. */
kyso_err_t kyso_core_read_stream(FILE *fp, const char *path, size_t max, uint8_t **out, size_t *len,
                                 kyso_error_t *err);

/* kyso_file_copy_to through stdio with a 1 MiB buffer, sink called while
 * reading: from offset `from` of in (out positioned there), to len. */
kyso_err_t kyso_core_copy_buffered(FILE *in, FILE *out, uint64_t from, uint64_t len,
                                   kyso_copy_sink_fn sink, void *ctx, kyso_error_t *err);

/* kyso_file_read_range through stdio with a 1 MiB buffer. */
kyso_err_t kyso_core_read_range_buffered(FILE *f, uint64_t off, uint64_t len,
                                         kyso_copy_sink_fn sink, void *ctx, kyso_error_t *err);

/* kyso_file_copy_t's parts shared by the platforms: new, run (the whole copy,
 * result kept), the platform's thread slot, and result (frees c). */
kyso_file_copy_t *kyso_core_copy_new(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink,
                                     void *ctx);
void kyso_core_copy_run(kyso_file_copy_t *c);
void **kyso_core_copy_thread(kyso_file_copy_t *c);
kyso_err_t kyso_core_copy_result(kyso_file_copy_t **c, kyso_error_t *err);

/* Writes the pseudonym "[#" + 16 hex + "]" of value into dst. */
typedef void (*kyso_core_hash_fn)(const char *value, char dst[KYSO_REDACT_HASH_SIZE]);

/* Adds a personal value to the redaction list, hashed with hash in output
 * (redact_personal.c passes kyso_redact_hash). */
void kyso_core_redact_add_personal(const char *value, kyso_core_hash_fn hash);

/* PKCS#11 module lookup (p11find_*.c): the regular file dir/name (malloc'ed
 * path) or NULL; one per OS. */
char *kyso_core_p11_file_in(const char *dir, const char *name);
/* name in the first directory of list (directories separated by sep) that
 * holds it (p11find_common.c). */
char *kyso_core_p11_search_list(const char *list, char sep, const char *name);

/* The calling thread's language ("vi", "en") set by kyso_i18n_thread_lang,
 * NULL = the process's. */
const char *kyso_core_thread_lang(void);

/* A TCP connection's two ends as the peer lookups need them (peer_tuple.c;
 * peer_posix.c, peer_win.c). */
struct sockaddr_storage;
typedef struct {
	int family;
	uint8_t peer_addr[16], our_addr[16]; /* network order; 4 bytes for IPv4 */
	uint16_t peer_port, our_port;        /* host order */
	uint64_t own_inode;                  /* Linux: our end's inode (never the answer) */
} kyso_peer_tuple_t;
/* Fills t from the socket's own and remote addresses; false when their
 * families differ or are neither IPv4 nor IPv6. */
bool kyso_peer_tuple_fill(const struct sockaddr_storage *us, const struct sockaddr_storage *them,
                          kyso_peer_tuple_t *t);
/* Does the connection come from a loopback address (127/8, ::1)? */
bool kyso_peer_tuple_loopback(const kyso_peer_tuple_t *t);

#endif
