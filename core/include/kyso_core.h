/* kyso_core: errors, buffers, JSON output, logging with redaction, i18n,
 * platform services (paths, child processes, atomic file writes).
 * Knows nothing about tokens or PDFs. */
#ifndef KYSO_CORE_H
#define KYSO_CORE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KYSO_VERSION_STRING KYSO_VERSION

/* ---- errors and exit codes (DESIGN.md "Exit codes") -------------------- */

/* Process exit codes, documented in kyso(1). */
typedef enum {
	KYSO_EXIT_OK = 0,      /* ok */
	KYSO_EXIT_PROBLEM = 1, /* the check/operation found a problem */
	KYSO_EXIT_USAGE = 2,   /* usage error */
	KYSO_EXIT_ENV = 3,     /* environment: no PC/SC service, no token */
	KYSO_EXIT_TOKEN = 4,   /* token: PIN wrong/locked, key missing */
	KYSO_EXIT_INPUT = 5,   /* input: bad PDF, bad image */
	KYSO_EXIT_NETWORK = 6, /* network: TSA */
} kyso_exit_t;

/* One error enum for every library. Each maps to one exit code. */
typedef enum {
	KYSO_OK = 0,
	/* generic */
	KYSO_ERR_NOMEM,
	KYSO_ERR_INTERNAL,
	KYSO_ERR_USAGE,
	KYSO_ERR_IO,
	KYSO_ERR_NOT_FOUND,
	KYSO_ERR_EXISTS,
	KYSO_ERR_UNSUPPORTED,
	KYSO_ERR_PROBLEM, /* an operation ran and found a problem */
	/* environment */
	KYSO_ERR_NO_PCSC_SERVICE,
	KYSO_ERR_NO_READER,
	KYSO_ERR_NO_TOKEN,
	KYSO_ERR_MODULE_LOAD,
	KYSO_ERR_CHILD_PROCESS,
	/* token */
	KYSO_ERR_PIN_INCORRECT,
	KYSO_ERR_PIN_LOCKED,
	KYSO_ERR_PIN_CANCELLED,
	KYSO_ERR_TOKEN_REMOVED,
	KYSO_ERR_KEY_NOT_FOUND,
	KYSO_ERR_TOKEN,
	/* input */
	KYSO_ERR_BAD_INPUT,
	KYSO_ERR_BAD_PDF,
	KYSO_ERR_ENCRYPTED,
	KYSO_ERR_BAD_PASSWORD,
	KYSO_ERR_TOO_LARGE,
	KYSO_ERR_BAD_IMAGE,
	KYSO_ERR_BAD_CATALOG,
	/* network */
	KYSO_ERR_NETWORK,
	KYSO_ERR_TSA,
	KYSO_ERR__COUNT
} kyso_err_t;

/* Stable English identifier, e.g. "pin-locked" (for JSON). */
const char *kyso_err_id(kyso_err_t err);
/* Translated one-line message (gettext). */
const char *kyso_strerr(kyso_err_t err);
/* The process exit code for this error. */
kyso_exit_t kyso_err_exit(kyso_err_t err);

/* Error detail: an error code plus a formatted, translated message.
 * Stack-allocated by callers; no ownership. */
typedef struct {
	kyso_err_t code;
	char msg[512];
} kyso_error_t;

void kyso_error_clear(kyso_error_t *e);
/* Sets code and message (printf format), returns code for chaining. */
kyso_err_t kyso_error_set(kyso_error_t *e, kyso_err_t code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Message to show: e->msg when set, else kyso_strerr(e->code). */
const char *kyso_error_message(const kyso_error_t *e);

/* ---- byte buffers ------------------------------------------------------ */

typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
} kyso_buf_t;

void kyso_buf_init(kyso_buf_t *b);
kyso_err_t kyso_buf_reserve(kyso_buf_t *b, size_t extra);
kyso_err_t kyso_buf_append(kyso_buf_t *b, const void *data, size_t len);
kyso_err_t kyso_buf_printf(kyso_buf_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* snprintf into a fixed buffer: false when the text did not fit (dst then
 * holds the cut text). For a path, treat false as an error; for display
 * text that may be cut, the result can be ignored. */
bool kyso_str_printf(char *dst, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Frees the storage and wipes it first (buffers may hold secrets). */
void kyso_buf_free(kyso_buf_t *b);
/* Ends text built in b: when rc (the result of building it) is KYSO_OK,
 * appends the NUL and returns the text, which the caller frees (b is left
 * empty); otherwise, or when that fails, frees b and returns NULL. */
char *kyso_buf_take_string(kyso_buf_t *b, kyso_err_t rc);
/* Hex helpers: dst must hold 2*len+1 (upper case, no separators). */
void kyso_hex_encode(const uint8_t *src, size_t len, char *dst);
/* Accepts spaces and ':' between bytes. Returns bytes written or -1. */
ssize_t kyso_hex_decode(const char *hex, uint8_t *dst, size_t cap);
/* The value of one hex digit (either case), -1 for any other character. */
int kyso_hex_digit(int c);
/* Wipes memory in a way the compiler keeps. */
void kyso_memzero(void *p, size_t len);

/* ---- logging (stderr) ---------------------------------------------------- */

typedef enum {
	KYSO_LOG_ERROR = 0,
	KYSO_LOG_WARN = 1,
	KYSO_LOG_INFO = 2,
	KYSO_LOG_DEBUG = 3,
} kyso_log_level_t;

/* Level from KYSO_LOG (error|warn|info|debug) or set explicitly. */
void kyso_log_init(void);
void kyso_log_set_level(kyso_log_level_t level);
kyso_log_level_t kyso_log_get_level(void);
/* Where log lines go (default stderr). NULL restores stderr. */
void kyso_log_set_sink(void (*sink)(const char *line, void *ctx), void *ctx);
void kyso_log(kyso_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define kyso_error(...) kyso_log(KYSO_LOG_ERROR, __VA_ARGS__)
#define kyso_warn(...)  kyso_log(KYSO_LOG_WARN, __VA_ARGS__)
#define kyso_info(...)  kyso_log(KYSO_LOG_INFO, __VA_ARGS__)
#define kyso_debug(...) kyso_log(KYSO_LOG_DEBUG, __VA_ARGS__)

/* Redaction. Every log line passes through kyso_redact_line(): PIN-like
 * values ("pin=1234", "--pin 1234", VERIFY APDUs) are always masked; secrets
 * registered with kyso_redact_secret() (PINs, passwords) are masked exactly;
 * personal data registered with kyso_redact_personal() (names, e-mails,
 * ID numbers, serials) becomes a keyed pseudonym "[#0123456789abcdef]"
 * (kyso_redact_hash) unless personal
 * redaction is off (--no-redact). */
void kyso_redact_secret(const char *secret);
void kyso_redact_personal(const char *value);
void kyso_redact_set_personal(bool on);
void kyso_redact_reset(void);
/* Returns a newly allocated redacted copy of line (caller frees). */
char *kyso_redact_line(const char *line);
/* Only the personal-data replacement (for report text, where the PIN-pattern
 * rules would mangle sentences). Newly allocated; caller frees. */
char *kyso_redact_personal_line(const char *line);
/* Keyed pseudonym of personal data: "[#" + 16 hex digits + "]", the first
 * KYSO_REDACT_HASH_BYTES of HMAC-SHA-256(key, value). The key is the one
 * given to kyso_redact_set_key(), else config.json's "redact_key" (the
 * organisation's, `kyso setup --redact-key`), else this account's random key
 * on this machine (kyso_redact_key_path(), made 0600 on first use). */
#define KYSO_REDACT_HASH_BYTES 8
#define KYSO_REDACT_HASH_SIZE  (2 * KYSO_REDACT_HASH_BYTES + 4) /* with the NUL */
void kyso_redact_hash(const char *value, char dst[KYSO_REDACT_HASH_SIZE]);
/* Sets the pseudonym key (text, used as the HMAC key as it is); NULL or ""
 * goes back to looking it up on the next use. */
void kyso_redact_set_key(const char *key);
/* Where this account's machine key is kept (malloc'ed; NULL when unknown). */
char *kyso_redact_key_path(void);

/* ---- i18n (gettext) ------------------------------------------------------ */

/* Call once at start. lang: "vi", "en" or NULL (then LANGUAGE, then "vi"). */
void kyso_i18n_init(const char *lang);
/* Current UI language code ("vi" or "en"). */
const char *kyso_i18n_lang(void);
/* Messages translated in the calling thread use lang ("vi", "en") instead of
 * the process's language; NULL (or another value) ends it. The thread's
 * language is also what kyso_i18n_lang() tells that thread. Linux: a
 * process started in English (--lang en) has no Vietnamese catalog to switch
 * to (gettext follows the process's LANGUAGE); "en" always works. */
void kyso_i18n_thread_lang(const char *lang);
const char *kyso_gettext(const char *msgid) __attribute__((format_arg(1)));
#define _(s)  kyso_gettext(s)
#define N_(s) (s)

/* ---- JSON output (jansson) -------------------------------------------- */

/* Writes exactly one JSON document (pretty, UTF-8, trailing newline) to
 * stdout and takes ownership of doc. */
kyso_err_t kyso_json_print(json_t *doc);
/* {"error": {"id":..., "message":..., "exit": N}} for --json failures. */
json_t *kyso_json_error_new(const kyso_error_t *e);
/* Reads a JSON file with a clear error (file:line:column: text). */
json_t *kyso_json_load_file(const char *path, kyso_error_t *err);

/* ---- platform ------------------------------------------------------------ */

/* Per-OS directories (returned strings are owned by core; never free). */
const char *kyso_path_config_system(void); /* /etc/kyso, %ProgramData%\kyso */
const char *kyso_path_config_user(void);   /* ~/.config/kyso, %APPDATA%\kyso */
const char *kyso_path_data(void);          /* installed data dir (catalog, po) */
const char *kyso_path_state_user(void);    /* ~/.local/state/kyso, %LOCALAPPDATA%\kyso */
const char *kyso_path_locale(void);        /* <prefix>/share/locale */
/* IT staff's document trust anchors: /etc/kyso/roots.d, %ProgramData%\kyso\roots;
 * $KYSO_ROOTS_D overrides. */
const char *kyso_path_roots_local(void);
/* Directory of the running executable ("" when unknown). */
const char *kyso_path_exe_dir(void);

/* mkdir -p: creates path and its missing parents with mode; 0, or -1 with
 * errno. */
int kyso_mkdirs(const char *path, unsigned mode);

/* Writes data to path atomically: temp file in the same directory, fsync,
 * rename over path. On failure nothing at path changes. mode e.g. 0644. */
kyso_err_t kyso_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                  kyso_error_t *err);
/* Streaming variant: open a temp file next to path, write with fwrite,
 * then commit (fsync+rename) or abort (unlink). */
typedef struct kyso_atomic_file kyso_atomic_file_t;
kyso_atomic_file_t *kyso_atomic_file_new(const char *path, unsigned mode, kyso_error_t *err);
FILE *kyso_atomic_file_stream(kyso_atomic_file_t *af);
kyso_err_t kyso_atomic_file_commit(kyso_atomic_file_t **af, kyso_error_t *err);
/* Starts making what was written so far durable in the background (the
 * stream is flushed here; POSIX: fsync in a thread, while the caller goes on,
 * e.g. waits for the token's signature). The commit waits for it and then
 * needs only fdatasync for the bytes written after (the same durability, one
 * journal commit fewer). Optional; Windows: nothing (the commit's
 * FlushFileBuffers does it all). */
void kyso_atomic_file_sync_start(kyso_atomic_file_t *af);
void kyso_atomic_file_abort(kyso_atomic_file_t **af);

/* Reads a whole (small) file; *out is allocated, caller frees. */
kyso_err_t kyso_file_read_all(const char *path, size_t max, uint8_t **out, size_t *len,
                              kyso_error_t *err);

/* Runs argv[0] (PATH lookup) with argv, waits. Captures stdout (if out not
 * NULL, appended, capped at out_max bytes) and returns the exit status in
 * *status (-1 when killed by a signal). timeout_ms 0 = none. */
kyso_err_t kyso_spawn(const char *const argv[], kyso_buf_t *out, size_t out_max, int timeout_ms,
                      int *status, kyso_error_t *err);

/* Monotonic milliseconds. */
uint64_t kyso_now_ms(void);

/* ---- command-line helpers shared by every subcommand --------------------- */

/* Options every subcommand takes. */
typedef struct {
	bool json;
	bool help;
	const char *lang;
} kyso_common_opts_t;

/* A subcommand entry point: argv[0] is the subcommand name. */
typedef int (*kyso_cmd_fn)(int argc, char **argv);

/* Finishes a command: prints err (text on stderr, or JSON on stdout when
 * json) and returns its exit code. */
int kyso_cmd_fail(bool json, const kyso_error_t *err);

/* For a subcommand whose issue is not done yet: says so plainly (text or
 * JSON) and returns KYSO_EXIT_PROBLEM; --help returns 0. */

#ifdef __cplusplus
}
#endif
#endif
