/* kyso_platform: operating-system services beyond kyso_core.h, one
 * implementation per OS (core/<name>_win.c, core/<name>_posix.c):
 * registry, the trust store for the agent's local CA, autostart of a
 * program at logon, PKCS#11 module lookup, PIN and consent prompts, OS name.
 *
 * Every function exists on every OS; where an OS has no such service the
 * function fails with KYSO_ERR_UNSUPPORTED and says so in err. Strings are
 * UTF-8 everywhere (converted to UTF-16 for Win32 calls). */
#ifndef KYSO_PLATFORM_H
#define KYSO_PLATFORM_H

#include "kyso_core.h"

#include <stdio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- OS description (kyso version, doctor) ------------------------------ */

typedef struct {
	char name[64];    /* "Linux", "Windows" */
	char release[64]; /* kernel release, "10.0.19045" */
	char machine[32]; /* "x86_64" */
} kyso_os_info_t;

void kyso_os_info(kyso_os_info_t *info);

/* ---- local time ------------------------------------------------------------ */

/* Offset of local time from UTC at t, in seconds, east positive (+25200 in
 * Vietnam). POSIX has it in struct tm (tm_gmtoff); Windows' struct tm does not. */
long kyso_utc_offset(time_t t);

/* ---- in-memory output stream ------------------------------------------------ */

/* A FILE* whose output is collected in memory, for code that writes text to
 * a stream (open_memstream on POSIX; Windows has no memory streams, so a
 * temporary file deleted on close). */
typedef struct kyso_memfile kyso_memfile_t;
kyso_memfile_t *kyso_memfile_new(void); /* NULL on failure */
FILE *kyso_memfile_stream(kyso_memfile_t *m);
/* Closes the stream, frees m and returns what was written, NUL-terminated
 * (allocated; *len without the NUL), or NULL on failure. */
char *kyso_memfile_finish(kyso_memfile_t *m, size_t *len);

/* ---- copying a file's bytes ---------------------------------------------- */

/* Receives the copied bytes in order (a hash update); false stops the copy. */
typedef bool (*kyso_copy_sink_fn)(void *ctx, const uint8_t *data, size_t len);

/* Writes the first len bytes of in at offset 0 of out (left positioned at len)
 * and passes exactly the bytes written to sink. POSIX: the kernel copies
 * (copy_file_range, a reflink where the file system can; else sendfile), the
 * write-back starts at once so that a later fsync waits less, and sink reads
 * the copy back from the page cache; Windows, or streams without a file:
 * 1 MiB buffers, sink called while reading. The file is never held whole
 * in memory. Fails with KYSO_ERR_BAD_INPUT when in is shorter than len or
 * cannot be read, KYSO_ERR_IO when out cannot be written, KYSO_ERR_INTERNAL
 * when sink refuses; err then has the code only (the caller words it). */
kyso_err_t kyso_file_copy_to(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink, void *ctx,
                             kyso_error_t *err);

/* kyso_file_copy_to in the background (POSIX: its own threads, when in and
 * out have file descriptors; else, and on Windows, done at once): neither
 * stream may be used until kyso_file_copy_finish, which waits, frees *c and
 * returns the copy's result (err as kyso_file_copy_to's). NULL: no memory. */
typedef struct kyso_file_copy kyso_file_copy_t;
kyso_file_copy_t *kyso_file_copy_start(FILE *in, FILE *out, uint64_t len, kyso_copy_sink_fn sink,
                                       void *ctx);
kyso_err_t kyso_file_copy_finish(kyso_file_copy_t **c, kyso_error_t *err);

/* Passes the bytes [off, off + len) of f to sink, in order; f's position is
 * unspecified afterwards. POSIX: 256 KiB pread()s (no stdio, no seeks);
 * Windows, or a stream without a file: 1 MiB reads. KYSO_ERR_BAD_INPUT when f is shorter or
 * unreadable, KYSO_ERR_INTERNAL when sink refuses; err has the code only. */
kyso_err_t kyso_file_read_range(FILE *f, uint64_t off, uint64_t len, kyso_copy_sink_fn sink,
                                void *ctx, kyso_error_t *err);

/* ---- registry (Windows; KYSO_ERR_UNSUPPORTED elsewhere) ------------------ */

typedef enum {
	KYSO_REG_MACHINE, /* HKEY_LOCAL_MACHINE */
	KYSO_REG_USER,    /* HKEY_CURRENT_USER */
} kyso_reg_root_t;

/* Reads a REG_SZ/REG_EXPAND_SZ value (expanded). *out is allocated.
 * KYSO_ERR_NOT_FOUND when the key or value does not exist. value NULL or ""
 * is the key's default value. */
kyso_err_t kyso_reg_get_string(kyso_reg_root_t root, const char *key, const char *value, char **out,
                               kyso_error_t *err);
/* Creates the key when needed and writes a REG_SZ value. */
kyso_err_t kyso_reg_set_string(kyso_reg_root_t root, const char *key, const char *value,
                               const char *data, kyso_error_t *err);
/* Deletes one value; a missing value is not an error. */
kyso_err_t kyso_reg_delete_value(kyso_reg_root_t root, const char *key, const char *value,
                                 kyso_error_t *err);
/* Deletes a key with all its subkeys; a missing key is not an error. */
kyso_err_t kyso_reg_delete_tree(kyso_reg_root_t root, const char *key, kyso_error_t *err);

/* ---- trust store: the agent's local CA ---------------------------------- */

typedef enum {
	KYSO_TRUST_MACHINE, /* every user (Windows: LocalMachine\ROOT, needs admin) */
	KYSO_TRUST_USER,    /* this user (Windows: CurrentUser\ROOT) */
} kyso_trust_scope_t;

/* Adds a CA certificate (DER or PEM) to the OS trust store as a trusted root.
 * Windows: CertAddEncodedCertificateToStore on the ROOT system store.
 * Linux: writes <dir>/<name>.crt (PEM) where dir is $KYSO_CA_DIR or
 * /usr/local/share/ca-certificates, then runs update-ca-certificates when
 * dir is the system one. name: file-name-safe label ("kyso-local-ca"). */
kyso_err_t kyso_trust_add_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                             size_t len, kyso_error_t *err);
/* Removes it again (matched by the certificate itself on Windows, by name
 * on Linux). A certificate that is not there is not an error. */
kyso_err_t kyso_trust_remove_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert,
                                size_t len, kyso_error_t *err);
/* Is this certificate a trusted root in that store? */
bool kyso_trust_has_ca(kyso_trust_scope_t scope, const char *name, const uint8_t *cert, size_t len);
/* Adds the OS's trusted roots to an OpenSSL X509_STORE (the doctor's chain
 * check). Windows: every certificate of the CurrentUser and LocalMachine ROOT
 * stores (CertEnumCertificatesInStore). Linux: OpenSSL's hashed directory
 * ($SSL_CERT_DIR or the default), looked up lazily. *count gets the number of
 * certificates added (-1: a directory, not counted). */
struct x509_store_st;
kyso_err_t kyso_trust_load_roots(struct x509_store_st *store, int *count, kyso_error_t *err);

/* ---- autostart at logon -------------------------------------------------- */

/* Starts argv at the user's logon. Windows: value <name> under
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Run. Linux: an XDG
 * autostart entry <config home>/autostart/<name>.desktop. */
kyso_err_t kyso_autostart_set(const char *name, const char *const argv[], kyso_error_t *err);
kyso_err_t kyso_autostart_remove(const char *name, kyso_error_t *err);
/* The registered command line (allocated) or NULL when none. */
char *kyso_autostart_get(const char *name);

/* ---- PKCS#11 module lookup ------------------------------------------------ */

/* Finds a vendor PKCS#11 module by file name ("vnpt-ca_csp11.dll",
 * "libbit4xpki.so") or path. Search order: $KYSO_P11_PATH (list separated by
 * ';' on Windows, ':' elsewhere), then Windows: the executable's folder,
 * %SystemRoot%\System32, %ProgramFiles%\<vendor>\ and %ProgramFiles(x86)%\<vendor>\
 * (two levels deep); Linux: the multiarch library dirs, their pkcs11/
 * subdirs, /usr/local/lib, /usr/lib/kyso{,/vendor}, /usr/lib/softhsm, then
 * <install prefix>/lib and /opt/<vendor>/lib. root (Linux; NULL, "" or "/"
 * for this system) is a staging root the directories and absolute names are
 * looked up under; then $KYSO_P11_PATH, the install prefix and /opt are not
 * searched. Windows ignores root. Returns an allocated path or NULL. The one
 * module finder of kyso (setup, doctor, sign). */
char *kyso_p11_module_find(const char *root, const char *name);

/* kyso's install prefix (build tree or /usr): the parent of the directory
 * holding the running program's bin/ or libexec/kyso/. */
bool kyso_install_prefix(char *dst, size_t cap);

/* ---- shared library files ------------------------------------------------ */

/* Name of this OS's shared-library format: "ELF" (Linux), "PE" (Windows). */
const char *kyso_lib_format(void);
/* Reads the header of a shared library file (ELF on Linux, PE on Windows):
 * its architecture ("x86_64", "i386", "aarch64", "x86_64 (32-bit)", or
 * "machine N (...)") into name, and whether this program could load it.
 * false when the file cannot be read or is not in this OS's format. */
bool kyso_lib_arch(const char *path, char *name, size_t cap, bool *loadable);
/* This program's own architecture, in the same words. */
void kyso_self_arch(char *name, size_t cap);

/* ---- TCP client connections ----------------------------------------------- */

/* A connected TCP socket: a file descriptor on POSIX, a SOCKET on Windows
 * (which OpenSSL's SSL_set_fd() takes as an int there too). */
typedef int kyso_sock_t;
#define KYSO_SOCK_INVALID (-1)

/* Connects to host:port, trying each resolved address, each within
 * timeout_ms; the socket then blocks, with send and receive timeouts of
 * timeout_ms. On failure returns KYSO_SOCK_INVALID, the reason in msg and
 * errno set (ECONNREFUSED when the peer refused, ETIMEDOUT, ...). */
kyso_sock_t kyso_tcp_connect(const char *host, int port, int timeout_ms, char *msg, size_t cap);
void kyso_sock_close(kyso_sock_t s);

/* ---- prompts -------------------------------------------------------------- */

/* Asks for a secret (PIN) in the OS's own dialog. Windows: the credential UI
 * (CredUIPromptForCredentialsW). Elsewhere KYSO_ERR_UNSUPPORTED (Linux uses
 * pinentry, see the signer). KYSO_ERR_PIN_CANCELLED when the user cancels.
 * pin is wiped on failure. */
kyso_err_t kyso_prompt_secret(const char *title, const char *message, char *pin, size_t cap,
                              kyso_error_t *err);
/* Consent with an OK button labelled ok, a Cancel button labelled cancel and,
 * when extra is not NULL, a third button labelled extra (Windows: a task
 * dialog, TaskDialogIndirect). KYSO_OK on OK or the extra button (*extra_chosen
 * tells which), KYSO_ERR_PIN_CANCELLED on Cancel or when the dialog is closed.
 * Elsewhere KYSO_ERR_UNSUPPORTED. */
kyso_err_t kyso_prompt_consent(const char *title, const char *message, const char *ok,
                               const char *cancel, const char *extra, bool *extra_chosen,
                               kyso_error_t *err);
/* A choice of one of n items (one line each), the first preselected.
 * Windows: a task dialog with a radio button per item; POSIX: the kyso-choose
 * helper program ($KYSO_CHOOSER, else kyso-choose next to the running
 * program, else from PATH) when there is a display. KYSO_OK and *chosen,
 * KYSO_ERR_PIN_CANCELLED on Cancel or close, KYSO_ERR_UNSUPPORTED when no
 * dialog can be shown. */
kyso_err_t kyso_prompt_choose(const char *title, const char *message, const char *const *items,
                              size_t n, size_t *chosen, kyso_error_t *err);

/* ---- programs and stop requests (kyso-agent) ------------------------------ */

/* Full path of a program (allocated), NULL when there is none. A name with a
 * directory part ('/', or '\\' on Windows) is taken as it is; a bare name is
 * looked up in PATH (Windows: SearchPath's order, ".exe" added). */
char *kyso_find_program(const char *name);

/* Do both paths name the same existing file? (POSIX: device + inode;
 * Windows, whose stat() has no inode numbers: volume serial + file index.)
 * false when either cannot be opened. */
bool kyso_same_file(const char *a, const char *b);

/* This computer's name (gethostname; Windows: GetComputerNameW) in UTF-8, ""
 * when unknown. */
void kyso_host_name(char *buf, size_t cap);

/* Calls fn when the user or the system asks this process to stop: SIGINT or
 * SIGTERM on POSIX (where SIGPIPE is then ignored); Ctrl+C, Ctrl+Break, the
 * console closing, logoff or shutdown on Windows. fn runs in a signal handler
 * (POSIX) or in a thread of its own (Windows): it may only set a flag and wake
 * the main loop. */
void kyso_on_stop(void (*fn)(void));

/* ---- paths a privileged program changes for a user ------------------------ */

/* Fails (KYSO_ERR_IO, a specific message) when an existing component of the
 * absolute `path` is a symbolic link owned by neither root nor the effective
 * user: root never follows a link a user planted (~/.local/state -> /etc).
 * Missing components end the check. Windows: KYSO_OK (no such links for
 * users without the SeCreateSymbolicLink privilege). */
kyso_err_t kyso_path_check_links(const char *path, kyso_error_t *err);

/* POSIX: opens the directory `path` component by component (openat with
 * O_NOFOLLOW), following only links owned by root or the effective user;
 * returns the descriptor or -1 with err set. */
int kyso_dir_open_nofollow(const char *path, kyso_error_t *err);

/* POSIX: gives `path` and every file and directory below it to uid:gid,
 * opened through descriptors without following any link (a link itself is
 * given, never its target). */
kyso_err_t kyso_tree_chown(const char *path, unsigned uid, unsigned gid, kyso_error_t *err);

/* POSIX: removes `path` and everything below it without following links: a link is
 * removed, never what it points to, and a parent reached through a link a
 * user planted is refused. A missing path is KYSO_OK. */
kyso_err_t kyso_tree_remove(const char *path, kyso_error_t *err);

/* ---- console -------------------------------------------------------------- */

/* Makes the console show UTF-8 (Windows: SetConsoleOutputCP(CP_UTF8)); no-op
 * elsewhere. kyso_i18n_init() calls it. */
void kyso_console_utf8(void);

/* For a program built without a console of its own (kyso-agent.exe is a
 * Windows GUI-subsystem program, so that starting it at logon opens no
 * console window): when its standard output goes nowhere, use the console
 * of the program that started it, if any (`kyso-agent.exe --version` typed
 * in cmd). Output redirected to a file or pipe is left alone. No-op
 * elsewhere. */
void kyso_console_attach(void);

#ifdef __cplusplus
}
#endif
/* ---- showing a result to the user ---------------------------------------- */

/* Opens a local file (the doctor's HTML report) in the user's default
 * program. Windows: ShellExecuteW "open". Linux: xdg-open from PATH. */
kyso_err_t kyso_open_document(const char *path, kyso_error_t *err);
/* Waits for one key press on the console (Windows: _getwch, no Enter needed;
 * a Linux terminal: one key in non-canonical mode). When stdin is not a
 * console it reads one character. Returns the character (ASCII letters in
 * lower case), or -1 at the end of the input or when the window is closed. */
int kyso_wait_key(void);

#endif
