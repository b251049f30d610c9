/* Private declarations of `kyso setup` (installer/). */
#ifndef KYSO_SETUP_INT_H
#define KYSO_SETUP_INT_H

#include "kyso_installer.h"
#include "kyso_detect.h"
#include "kyso_middleware.h"

#include <signal.h>

#define SETUP_REPORT_SCHEMA  1
#define SETUP_JOURNAL_SCHEMA 1

/* ---- options -------------------------------------------------------------- */

typedef struct {
	bool json, dry_run, unattended, uninstall, repair, user;
	bool no_selftest, no_agent, vendor_plugin, help;
	const char *root; /* "" = the real system */
	const char *bundle;
	const char *catalog;
	const char *token;
	const char *token_label; /* PKCS#11 token label to self-test with */
	const char *pin_env;
	const char *report_dir;
	const char *ca_file;
	json_t *origins;       /* array of strings */
	json_t *fetch_origins; /* --fetch-origin: agent_fetch_origins in config.json */
	const char *org;       /* organisation/unit, carried in doctor reports */
} setup_opts_t;

/* The home directory whose browsers/user files setup handles: $HOME, or the
 * sudo caller's home on the real system. */
const char *setup_home(const setup_opts_t *o);

/* Root-prefixed path (malloc'ed): "<root><path>". */
char *setup_path(const setup_opts_t *o, const char *path);

/* Per operating system (plan_posix.c, plan_win.c): */
/* The catalog's driver block name for this OS ("linux", "windows"). */
const char *setup_os_id(void);
/* The directory of the install journal (malloc'ed). */
char *setup_journal_dir(const setup_opts_t *o);

/* ---- journal -------------------------------------------------------------- */

typedef struct journal journal_t;

/* Opens (or prepares) the journal in dir; nothing is written until the first
 * journal_add(). */
journal_t *journal_open(const char *dir, kyso_error_t *err);
void journal_free(journal_t **j);
bool journal_exists(const journal_t *j);
size_t journal_count(const journal_t *j);
/* Number of changes this run made (entries added). */
size_t journal_run_count(const journal_t *j);
/* Appends one entry (takes ownership) and writes the journal to disk before
 * returning: call it BEFORE making the change. */
kyso_err_t journal_add(journal_t *j, json_t *entry, kyso_error_t *err);
/* Path for a backup copy of a file about to be replaced (inside the
 * journal directory). */
char *journal_backup_path(journal_t *j);
/* Undoes the entries (this run only, or all), newest first. Removes the
 * journal when no entry is left. Errors are collected in *problems (array
 * of strings, may be NULL). */
/* How one kind of journal entry ("op") is undone: by the step that makes
 * such changes, never by the journal itself (setup_undo_ops). */
typedef void (*journal_undo_fn)(const json_t *entry, json_t *problems);
typedef struct {
	const char *op;
	journal_undo_fn undo;
} journal_undo_op_t;
/* Every kind of change setup makes, with its undo; ends with {NULL, NULL}
 * (undo_ops.c). "agent-stop" is called once, at the end, to start an agent
 * again that ran before. */
const journal_undo_op_t *setup_undo_ops(void);
kyso_err_t journal_undo(journal_t *j, bool this_run_only, const journal_undo_op_t *ops,
                        json_t *problems, kyso_error_t *err);
/* All entries (borrowed). */
const json_t *journal_entries(const journal_t *j);

/* Journaled file-system changes (journal entry first, then the change). */
kyso_err_t jfs_mkdirs(journal_t *j, const char *dir, kyso_error_t *err);
kyso_err_t jfs_write(journal_t *j, const char *path, const void *data, size_t len, unsigned mode,
                     kyso_error_t *err);
kyso_err_t jfs_symlink(journal_t *j, const char *target, const char *path, kyso_error_t *err);
/* Records that path is about to be created by someone else (the signer). */
kyso_err_t jfs_will_create(journal_t *j, const char *path, kyso_error_t *err);

/* ---- package manager -------------------------------------------------------- */

typedef enum { PKG_INSTALLED, PKG_NOT_INSTALLED, PKG_UNKNOWN } pkg_state_t;
/* Is the package manager usable here (KYSO_APT, or apt-get on the real system)? */
bool pkg_available(const setup_opts_t *o);
pkg_state_t pkg_state(const setup_opts_t *o, const char *name);
kyso_err_t pkg_install(const setup_opts_t *o, const char *name, kyso_error_t *err);
kyso_err_t pkg_install_file(const setup_opts_t *o, const char *file, kyso_error_t *err);
kyso_err_t pkg_remove(const char *name, kyso_error_t *err);
/* Package name inside a .deb (dpkg-deb -f), malloc'ed. */
char *pkg_deb_name(const char *file);

/* ---- plan ------------------------------------------------------------------- */

typedef enum {
	ACT_PACKAGE = 0,      /* distribution package through apt */
	ACT_BUNDLE_FILE,      /* vendor module file copied from the bundle */
	ACT_BUNDLE_DEB,       /* vendor .deb from the bundle */
	ACT_PROBE,            /* load the module and look at the token (no change) */
	ACT_P11KIT,           /* p11-kit module file */
	ACT_NSS,              /* NSS database module entry */
	ACT_CONFIG,           /* kyso config.json (module path, origins) */
	ACT_AGENT_UNIT,       /* systemd user unit */
	ACT_AGENT_ENABLE,     /* enable symlink */
	ACT_SELFTEST,         /* sign the sample PDF */
	ACT_REPORT,           /* install-report.json */
	ACT_BROWSER_POLICY,   /* Local Network Access policy file (browser_int.h) */
	ACT_AGENT_CA,         /* the agent's local CA (created by kyso-agent --export-ca) */
	ACT_CA_SYSTEM,        /* local CA in the system trust store (update-ca-certificates) */
	ACT_CA_NSS,           /* local CA in an NSS database (certutil, trust "C,,") */
	ACT_AGENT_START,      /* start (or restart) the agent now */
	ACT_VENDOR_PLUGIN,    /* the vendor's own plugin from the bundle (--vendor-plugin) */
	ACT_VENDOR_INSTALLER, /* Windows: the vendor's driver installer from the bundle */
	ACT_AUTOSTART,        /* Windows: the agent at logon (HKCU Run value) */
} act_kind_t;

typedef enum {
	AST_TODO = 0, /* will be done */
	AST_IN_PLACE, /* already as wanted */
	AST_MISSING,  /* vendor file missing from the bundle */
	AST_BAD_HASH, /* vendor file with the wrong SHA-256 */
	AST_SKIPPED,  /* not done, with a reason */
	AST_DONE,     /* done by this run */
	AST_FAILED,
} act_status_t;

typedef struct {
	act_kind_t kind;
	act_status_t status;
	char *target; /* package name, file path, NSS db */
	char *source; /* bundle file */
	char *sha256; /* expected SHA-256 of source */
	char *detail; /* human detail / reason (translated) */
	bool problem; /* a problem the exit code reports (1) although nothing failed */
	int proto;    /* ACT_VENDOR_PLUGIN: AGENT_PROTO_* the plugin replaces, or 0 */
} action_t;

/* kyso-agent protocols (bit values). */
#define AGENT_PROTO_VNPT 1
#define AGENT_PROTO_VGCA 2

typedef struct {
	const kyso_token_type_t *type; /* chosen token type */
	const kyso_token_t *token; /* detected token (NULL with --token TYPE and none present) */
	char *module;              /* PKCS#11 module path (live, root-prefixed) */
	bool module_builtin;
	action_t *acts;
	size_t nacts;
	json_t *missing; /* [{file, where, sha256}] */
	char *journal_dir;
	char *report_dir;
	char *config_file;
	char *unit_file;
	char *agent_path;
	json_t *vendor_ports;                /* ports found busy: [4433, 8987] */
	int kyso_port, vnpt_port, vgca_port; /* agent ports (KYSO_AGENT_PORTS) */
	char *agent_state;                   /* the agent's state directory (local CA) */
	char *ca_pem;                        /* the local CA certificate (PEM) once known */
	char *old_ca_pem;    /* a stale local CA a new one replaces (Windows ROOT store) */
	char *ca_system;     /* system store file (root-prefixed) or NULL (--user) */
	char *agent_pidfile; /* detached agent (no user systemd): its PID */
	char *agent_log;     /* ... and its output */
	bool agent_systemd;  /* start through systemctl --user */
	bool agent_running;  /* running before this run */
} plan_t;

kyso_err_t plan_build(const setup_opts_t *o, const kyso_token_type_t *type,
                      const kyso_token_t *token, plan_t *p, kyso_error_t *err);
void plan_free(plan_t *p);
const char *act_kind_id(act_kind_t k);
const char *act_status_id(act_status_t s);
/* Is anything left to do (TODO items)? */
bool plan_has_work(const plan_t *p);
json_t *plan_to_json(const plan_t *p);
void plan_print(const plan_t *p, FILE *out);
/* Adds an action (strings copied; NULL allowed). */
action_t *plan_add(plan_t *p, act_kind_t kind, act_status_t st, const char *target,
                   const char *source, const char *sha256, const char *detail);
void act_set_detail(action_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Does the file hold exactly text? */
bool file_has(const char *path, const char *text);
/* The agent's ports (defaults, or KYSO_AGENT_PORTS) into p. */
kyso_err_t plan_agent_ports(plan_t *p, kyso_error_t *err);
/* The vendor plugins' ports found busy (or recorded in config.json). */
void plan_vendor_ports(plan_t *p);

/* Checks a vendor file from the bundle against the catalog (plan.c). */
void plan_check_bundle_file(const setup_opts_t *o, plan_t *p, action_t *a, const char *file,
                            bool deb);

/* SHA-256 of a file as lower-case hex (65 bytes). */
kyso_err_t sha256_file(const char *path, char hex[65], kyso_error_t *err);

/* ---- apply --------------------------------------------------------------------- */

typedef struct {
	json_t *probe; /* kyso_p11_probe_to_json, or NULL */
	char *token_label;
	unsigned token_flags;
	json_t *selftest;     /* {status, file, ...} */
	json_t *agent;        /* {unit, enabled, answers, protocols} */
	bool agent_ok;        /* the agent answered on every protocol */
	json_t *nss;          /* [db...] */
	json_t *problems;     /* strings */
	kyso_err_t token_err; /* self-test failure (token errors), KYSO_OK otherwise */
} apply_result_t;

extern volatile sig_atomic_t setup_interrupted;

/* Runs the TODO actions in order. On failure undoes this run's changes and
 * returns the error. */
kyso_err_t plan_apply(const setup_opts_t *o, plan_t *p, journal_t *j, apply_result_t *r,
                      kyso_error_t *err);
void apply_result_free(apply_result_t *r);

/* Registration steps (registry.c). */
kyso_err_t nss_module_present(const char *db, const char *name, const char *module, bool *present,
                              kyso_error_t *err);
kyso_err_t nss_module_add(journal_t *j, const char *db, const char *name, const char *module,
                          kyso_error_t *err);
kyso_err_t nss_module_delete(const char *db, const char *name, kyso_error_t *err);
/* NSS module name kyso uses for a token type. */
char *nss_module_name(const kyso_token_type_t *t);

/* "origins: A, B; fetch origins: C" of a config.json text, for the plan (malloc'ed). */
char *config_origins_detail(const char *config_text);
/* The config.json action: text NULL = skipped; the detail names the origins. */
void plan_add_config(plan_t *p, const char *existing, const char *text);

/* config.json content with the module and origins merged in (malloc'ed). */
char *config_text(const setup_opts_t *o, const plan_t *p, const char *existing);
/* Plans the config.json item (config_text against the file). */
void plan_config(const setup_opts_t *o, plan_t *p);
/* systemd user unit text (malloc'ed); exec_start: the command line. */
char *agent_unit_text(const char *exec_start, const char *config_file);
/* The unit text for this plan (vendor ports taken into account). */
char *plan_agent_unit(const plan_t *p);
/* Is something listening on 127.0.0.1:port? */
bool port_in_use(int port);
/* The agent's command line for this plan (as ExecStart runs it), NULL-terminated;
 * free with kyso_strv_free. */
char **plan_agent_argv(const plan_t *p);
/* Is the vendor's own service (or plugin) in charge of that protocol? */
bool plan_proto_off(const plan_t *p, int proto);

/* Windows steps (plan_win.c; KYSO_ERR_UNSUPPORTED in plan_posix.c): the
 * vendor's driver installer, then the module looked up again; the agent at
 * logon. */
kyso_err_t vendor_installer_run(const setup_opts_t *o, plan_t *p, journal_t *j, action_t *a,
                                kyso_error_t *err);
kyso_err_t autostart_install(const setup_opts_t *o, plan_t *p, journal_t *j, action_t *a,
                             kyso_error_t *err);

/* ---- journaled OS changes (journal_os.c): trust store, registry, autostart,
 * vendor installers; each journaled before it is made ------------------------ */

kyso_err_t jtrust_add(journal_t *j, bool machine, const char *name, const char *pem,
                      kyso_error_t *err);
/* Removes a CA from the OS trust store (undo puts it back). */
kyso_err_t kyso_setup_trust_remove(journal_t *j, bool machine, const char *name, const char *pem,
                                   kyso_error_t *err);
/* Sets a REG_SZ value; the keys it creates and the previous value are
 * journaled (undo restores or deletes the value, then deletes the keys it
 * created when they are empty). */
kyso_err_t jreg_set(journal_t *j, bool machine, const char *key, const char *value,
                    const char *data, kyso_error_t *err);
kyso_err_t jautostart_set(journal_t *j, const char *name, const char *const argv[],
                          kyso_error_t *err);
/* Undoes an entry of the operations above; false when op is not theirs. */
bool journal_undo_os(const json_t *e, const char *op, json_t *problems);
/* Logs a problem met while undoing (warning) and appends it to problems
 * (array of strings; may be NULL). */
void journal_problem(json_t *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- a vendor installer's own uninstaller (vendor_uninstall.c) ------------------- */

/* The programs Windows lists in "Apps" (the Uninstall keys of HKLM, its
 * 32-bit view and HKCU), as a new array of "HKLM\\...\\<name>" strings; an
 * empty array where there is no registry. */
json_t *uninstall_entries_list(void);
/* The entries present now that are not in before, as a new array of
 * {root, key, name, command}: command is the entry's QuietUninstallString,
 * else its UninstallString made silent (msiexec /X ... /qn, or the catalog's
 * uninstall_args appended), else null (no silent way known). */
json_t *uninstall_entries_added(const json_t *before, const json_t *uninstall_args);
/* Runs the silent uninstall command of each entry of a "vendor-uninstall"
 * journal entry that is still installed and waits until its Uninstall key
 * is gone; what cannot be removed is a problem. */
void vendor_uninstall_undo(const json_t *entry, json_t *problems);
/* A registered UninstallString "MsiExec.exe /I{GUID}" as a silent removal
 * "MsiExec.exe /X{GUID} /qn" (allocated). */
char *uninstall_msiexec_silent(const char *cmd);
/* A Windows command line split into words (new JSON array): blanks separate,
 * double quotes group; an unquoted program path with blanks is joined up to
 * its ".exe". */
json_t *uninstall_command_words(const char *cl);

/* ---- the agent's local CA and its trust (agent_ca.c) ----------------------------- */

#define LOCAL_CA_NAME "kyso-local-ca"
/* The agent's state directory of the user setup registers for. */
char *agent_state_dir(const setup_opts_t *o);
/* Reads <state>/ca.pem and checks it is a CA name-constrained to localhost,
 * 127.0.0.1 and ::1 (NULL + err when missing or not acceptable). */
char *local_ca_read(const char *state_dir, kyso_error_t *err);
/* Must the local CA be replaced? An old install's ca-key.pem on disk, a CA
 * without EKU serverAuth, or a server certificate about to expire (its CA
 * has no key left to renew it): *why says which (static text). */
bool local_ca_stale(const char *state_dir, const char **why);
/* Creates the CA (journaled: the directories, or the files it adds). */
kyso_err_t local_ca_create(const setup_opts_t *o, plan_t *p, journal_t *j, kyso_error_t *err);
/* Trust flags of nickname in db ("C,,") or NULL; *pem gets its certificate. */
char *nss_cert_trust(const char *db, const char *name, char **pem);
kyso_err_t nss_cert_add(journal_t *j, const char *db, const char *name, const char *pem,
                        kyso_error_t *err);
/* Undo of nss_cert_add: removes name, puts back the previous certificate. */
kyso_err_t nss_cert_undo(const char *db, const char *name, const char *prev_pem,
                         const char *prev_trust, kyso_error_t *err);
/* System trust store: the file plus update-ca-certificates (journaled);
 * Windows: the ROOT store, where old_pem (the CA it replaces, may be NULL)
 * is removed too (journaled). */
kyso_err_t ca_system_install(const setup_opts_t *o, journal_t *j, const char *file, const char *pem,
                             const char *old_pem, kyso_error_t *err);
/* Runs update-ca-certificates for root ("" = the real system). */
kyso_err_t ca_update(const char *root, kyso_error_t *err);
/* Are PEM certificates a and b the same certificate? */
bool pem_same_cert(const char *a, const char *b);
/* Makes path (and what is below it) the sudo caller's (sudo on the real system). */
void chown_to_caller(const setup_opts_t *o, const char *path);
/* ... and each directory from the home directory down to path owned by root. */
void chown_path_to_caller(const setup_opts_t *o, const char *path);
/* Removes a directory tree setup created (no symlink is followed). */
kyso_err_t remove_tree(const char *path, kyso_error_t *err);

/* ---- starting the agent and checking its answers (agent_run.c) --------------------- */

/* Is a user systemd manager reachable for the user setup registers for? */
bool agent_systemd_available(const setup_opts_t *o);
/* Is the agent setup started (pidfile or unit) running? */
bool agent_is_running(const setup_opts_t *o, const plan_t *p);
kyso_err_t agent_start(const setup_opts_t *o, plan_t *p, journal_t *j, bool restart,
                       kyso_error_t *err);
/* Journal undo: stops the agent a journal entry started. */
void agent_undo_start(const json_t *entry, json_t *problems);
/* Journal undo of a stop (restart): starts it again as it ran before. */
void agent_undo_stop(const json_t *entry, json_t *problems);
/* The PID in a pidfile (0 when none). */
long pidfile_read(const char *file);
/* Checks the agent answers on each protocol, the local CA as trust anchor;
 * returns the report's "agent" object. */
json_t *agent_check_answers(const setup_opts_t *o, const plan_t *p, bool *all_ok);
/* Single checks (agent_check.c); return true on a good answer, msg tells what. */
bool check_kyso_status(int port, const char *cafile, char *version, size_t vcap, char *msg,
                       size_t cap);
bool check_ws(int port, const char *host, const char *path, const char *origin, const char *frame,
              const char *cafile, char *reply, size_t rcap, char *msg, size_t cap);
bool check_https_any(int port, const char *host, const char *cafile, char *msg, size_t cap);

/* ---- vendor plugin (vendor_plugin.c) ------------------------------------------------ */

/* Plans the bundle's kind "plugin" entries (installed with --vendor-plugin). */
void plan_vendor_plugins(const setup_opts_t *o, const kyso_token_type_t *type, const json_t *drv,
                         plan_t *p);
kyso_err_t vendor_plugin_install(const setup_opts_t *o, journal_t *j, action_t *a,
                                 kyso_error_t *err);

/* Self-test (selftest.c). */
kyso_err_t selftest_run(const setup_opts_t *o, const plan_t *p, journal_t *j,
                        const char *token_label, json_t **result, kyso_error_t *err);

/* Report (report.c). */
json_t *report_build(const setup_opts_t *o, const plan_t *p, const kyso_detect_result_t *det,
                     const apply_result_t *r, const char *result, const kyso_error_t *err);
void report_print_summary(const json_t *report, FILE *out);

/* Reads a whole small text file (NULL when missing). */
char *read_text(const char *path);

#endif
