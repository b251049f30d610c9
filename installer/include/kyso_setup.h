/* kyso setup's library (installer/): plan what a machine needs, apply it
 * journaled, undo it. The `kyso setup` command (cli/cmd_setup.c) is built on
 * this header; the steps' own declarations are in setup_int.h. */
#ifndef KYSO_SETUP_H
#define KYSO_SETUP_H

#include "kyso_core.h"
#include "kyso_detect.h"

#include <signal.h>
#include <stdio.h>

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
	json_t *origins;        /* array of strings */
	json_t *fetch_origins;  /* --fetch-origin: agent_fetch_origins in config.json */
	const char *org;        /* organisation/unit, carried in doctor reports */
	const char *redact_key; /* the organisation's pseudonym key (config "redact_key") */
} kyso_setup_opts_t;

/* --redact-key: shortest organisation key accepted (a short one can be guessed
 * together with the ID numbers it hides) */
#define KYSO_SETUP_REDACT_KEY_MIN 16

/* The directory of the install journal (malloc'ed). */
char *kyso_setup_journal_dir(const kyso_setup_opts_t *o);

/* ---- journal -------------------------------------------------------------- */

typedef struct journal kyso_setup_journal_t;

/* Opens (or prepares) the journal in dir; nothing is written until the first
 * kyso_setup_journal_add(). */
kyso_setup_journal_t *kyso_setup_journal_open(const char *dir, kyso_error_t *err);
void kyso_setup_journal_free(kyso_setup_journal_t **j);
bool kyso_setup_journal_exists(const kyso_setup_journal_t *j);
size_t kyso_setup_journal_count(const kyso_setup_journal_t *j);
/* Number of changes this run made (entries added). */
size_t kyso_setup_journal_run_count(const kyso_setup_journal_t *j);
/* Appends one entry (takes ownership) and writes the journal to disk before
 * returning: call it BEFORE making the change. */
kyso_err_t kyso_setup_journal_add(kyso_setup_journal_t *j, json_t *entry, kyso_error_t *err);
/* Path for a backup copy of a file about to be replaced (inside the
 * journal directory). */
char *kyso_setup_journal_backup_path(kyso_setup_journal_t *j);
/* Undoes the entries (this run only, or all), newest first. Removes the
 * journal when no entry is left. Errors are collected in *problems (array
 * of strings, may be NULL). */
/* How one kind of journal entry ("op") is undone: by the step that makes
 * such changes, never by the journal itself (kyso_setup_undo_ops). */
typedef void (*kyso_setup_undo_fn)(const json_t *entry, json_t *problems);
typedef struct {
	const char *op;
	kyso_setup_undo_fn undo;
} kyso_setup_undo_op_t;
/* Every kind of change setup makes, with its undo; ends with {NULL, NULL}
 * (undo_ops.c). "agent-stop" is called once, at the end, to start an agent
 * again that ran before. */
const kyso_setup_undo_op_t *kyso_setup_undo_ops(void);
kyso_err_t kyso_setup_journal_undo(kyso_setup_journal_t *j, bool this_run_only,
                                   const kyso_setup_undo_op_t *ops, json_t *problems,
                                   kyso_error_t *err);
/* All entries (borrowed). */
const json_t *kyso_setup_journal_entries(const kyso_setup_journal_t *j);

/* Journaled file-system changes (journal entry first, then the change). */
kyso_err_t kyso_setup_jfs_mkdirs(kyso_setup_journal_t *j, const char *dir, kyso_error_t *err);
kyso_err_t kyso_setup_jfs_write(kyso_setup_journal_t *j, const char *path, const void *data,
                                size_t len, unsigned mode, kyso_error_t *err);
kyso_err_t kyso_setup_jfs_symlink(kyso_setup_journal_t *j, const char *target, const char *path,
                                  kyso_error_t *err);
/* Records that path is about to be created by someone else (the signer). */
kyso_err_t kyso_setup_jfs_will_create(kyso_setup_journal_t *j, const char *path, kyso_error_t *err);

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
} kyso_setup_act_kind_t;

typedef enum {
	AST_TODO = 0, /* will be done */
	AST_IN_PLACE, /* already as wanted */
	AST_MISSING,  /* vendor file missing from the bundle */
	AST_BAD_HASH, /* vendor file with the wrong SHA-256 */
	AST_SKIPPED,  /* not done, with a reason */
	AST_DONE,     /* done by this run */
	AST_FAILED,
} kyso_setup_act_status_t;

typedef struct {
	kyso_setup_act_kind_t kind;
	kyso_setup_act_status_t status;
	char *target; /* package name, file path, NSS db */
	char *source; /* bundle file */
	char *sha256; /* expected SHA-256 of source */
	char *detail; /* human detail / reason (translated) */
	bool problem; /* a problem the exit code reports (1) although nothing failed */
	int proto;    /* ACT_VENDOR_PLUGIN: AGENT_PROTO_* the plugin replaces, or 0 */
} kyso_setup_action_t;

/* kyso-agent protocols (bit values). */
#define AGENT_PROTO_VNPT 1
#define AGENT_PROTO_VGCA 2

typedef struct {
	const kyso_token_type_t *type; /* chosen token type */
	const kyso_token_t *token; /* detected token (NULL with --token TYPE and none present) */
	char *module;              /* PKCS#11 module path (live, root-prefixed) */
	bool module_builtin;
	kyso_setup_action_t *acts;
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
} kyso_setup_plan_t;

kyso_err_t kyso_setup_plan_build(const kyso_setup_opts_t *o, const kyso_token_type_t *type,
                                 const kyso_token_t *token, kyso_setup_plan_t *p,
                                 kyso_error_t *err);
void kyso_setup_plan_free(kyso_setup_plan_t *p);
const char *kyso_setup_act_kind_id(kyso_setup_act_kind_t k);
const char *kyso_setup_act_status_id(kyso_setup_act_status_t s);
/* Is anything left to do (TODO items)? */
bool kyso_setup_plan_has_work(const kyso_setup_plan_t *p);
json_t *kyso_setup_plan_to_json(const kyso_setup_plan_t *p);
void kyso_setup_plan_print(const kyso_setup_plan_t *p, FILE *out);
/* Adds an action (strings copied; NULL allowed). */
kyso_setup_action_t *kyso_setup_plan_add(kyso_setup_plan_t *p, kyso_setup_act_kind_t kind,
                                         kyso_setup_act_status_t st, const char *target,
                                         const char *source, const char *sha256,
                                         const char *detail);
void kyso_setup_act_set_detail(kyso_setup_action_t *a, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

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
} kyso_setup_apply_result_t;

extern volatile sig_atomic_t kyso_setup_interrupted;

/* Runs the TODO actions in order. On failure undoes this run's changes and
 * returns the error. */
kyso_err_t kyso_setup_plan_apply(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                 kyso_setup_journal_t *j, kyso_setup_apply_result_t *r,
                                 kyso_error_t *err);
void kyso_setup_apply_result_free(kyso_setup_apply_result_t *r);

/* Self-test (selftest.c). */
kyso_err_t kyso_setup_selftest_run(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                   kyso_setup_journal_t *j, const char *token_label,
                                   json_t **result, kyso_error_t *err);

/* Report (report.c). */
json_t *kyso_setup_report_build(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                const kyso_detect_result_t *det, const kyso_setup_apply_result_t *r,
                                const char *result, const kyso_error_t *err);
void kyso_setup_report_print_summary(const json_t *report, FILE *out);

#endif
