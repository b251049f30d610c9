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
	json_t *origins; /* array of strings */
} setup_opts_t;

/* The home directory whose browsers/user files setup handles: $HOME, or the
 * sudo caller's home on the real system. */
const char *setup_home(const setup_opts_t *o);

/* Root-prefixed path (malloc'ed): "<root><path>". */
char *setup_path(const setup_opts_t *o, const char *path);

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
kyso_err_t journal_undo(journal_t *j, bool this_run_only, json_t *problems, kyso_error_t *err);
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
	ACT_PACKAGE = 0,  /* distribution package through apt */
	ACT_BUNDLE_FILE,  /* vendor module file copied from the bundle */
	ACT_BUNDLE_DEB,   /* vendor .deb from the bundle */
	ACT_PROBE,        /* load the module and look at the token (no change) */
	ACT_P11KIT,       /* p11-kit module file */
	ACT_NSS,          /* NSS database module entry */
	ACT_CONFIG,       /* kyso config.json (module path, origins) */
	ACT_AGENT_UNIT,   /* systemd user unit */
	ACT_AGENT_ENABLE, /* enable symlink */
	ACT_SELFTEST,     /* sign the sample PDF */
	ACT_REPORT,       /* install-report.json */
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
} action_t;

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
	json_t *vendor_ports; /* ports found busy: [4433, 8987] */
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

/* SHA-256 of a file as lower-case hex (65 bytes). */
kyso_err_t sha256_file(const char *path, char hex[65], kyso_error_t *err);

/* ---- apply --------------------------------------------------------------------- */

typedef struct {
	json_t *probe; /* kyso_p11_probe_to_json, or NULL */
	char *token_label;
	unsigned token_flags;
	json_t *selftest;     /* {status, file, ...} */
	json_t *agent;        /* {unit, enabled, answers, protocols} */
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

/* config.json content with the module and origins merged in (malloc'ed). */
char *config_text(const setup_opts_t *o, const plan_t *p, const char *existing);
/* systemd user unit text (malloc'ed). */
char *agent_unit_text(const char *agent_path, const char *config_file, bool vnpt_off,
                      bool vgca_off);
/* The unit text for this plan (vendor ports taken into account). */
char *plan_agent_unit(const plan_t *p);
/* Is something listening on 127.0.0.1:port? */
bool port_in_use(int port);

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
