/* Private declarations of `kyso setup` (installer/). */
#ifndef KYSO_SETUP_INT_H
#define KYSO_SETUP_INT_H

#include "kyso_setup.h"
#include "kyso_middleware.h"

/* The home directory whose browsers/user files setup handles: $HOME, or the
 * sudo caller's home on the real system. */
const char *kyso_setup_home(const kyso_setup_opts_t *o);

/* Root-prefixed path (malloc'ed): "<root><path>". */
char *kyso_setup_path(const kyso_setup_opts_t *o, const char *path);

/* Per operating system (plan_posix.c, plan_win.c): */
/* The catalog's driver block name for this OS ("linux", "windows"). */
const char *kyso_setup_os_id(void);
/* ---- package manager -------------------------------------------------------- */

typedef enum { PKG_INSTALLED, PKG_NOT_INSTALLED, PKG_UNKNOWN } pkg_state_t;
/* Is the package manager usable here (KYSO_APT, or apt-get on the real system)? */
bool kyso_setup_pkg_available(const kyso_setup_opts_t *o);
pkg_state_t kyso_setup_pkg_state(const kyso_setup_opts_t *o, const char *name);
kyso_err_t kyso_setup_pkg_install(const kyso_setup_opts_t *o, const char *name, kyso_error_t *err);
kyso_err_t kyso_setup_pkg_install_file(const kyso_setup_opts_t *o, const char *file,
                                       kyso_error_t *err);
kyso_err_t kyso_setup_pkg_remove(const char *name, kyso_error_t *err);
/* Package name inside a .deb (dpkg-deb -f), malloc'ed. */
char *kyso_setup_pkg_deb_name(const char *file);

/* Does the file hold exactly text? */
bool kyso_setup_file_has(const char *path, const char *text);
/* The agent's ports (defaults, or KYSO_AGENT_PORTS) into p. */
kyso_err_t kyso_setup_plan_agent_ports(kyso_setup_plan_t *p, kyso_error_t *err);
/* The vendor plugins' ports found busy (or recorded in config.json). */
void kyso_setup_plan_vendor_ports(kyso_setup_plan_t *p);

/* Checks a vendor file from the bundle against the catalog (plan.c). */
void kyso_setup_plan_check_bundle_file(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                       kyso_setup_action_t *a, const char *file, bool deb);

/* SHA-256 of a file as lower-case hex (65 bytes). */
kyso_err_t kyso_setup_sha256_file(const char *path, char hex[65], kyso_error_t *err);

/* Registration steps (registry.c). */
kyso_err_t kyso_setup_nss_module_present(const char *db, const char *name, const char *module,
                                         bool *present, kyso_error_t *err);
kyso_err_t kyso_setup_nss_module_add(kyso_setup_journal_t *j, const char *db, const char *name,
                                     const char *module, kyso_error_t *err);
kyso_err_t kyso_setup_nss_module_delete(const char *db, const char *name, kyso_error_t *err);
/* NSS module name kyso uses for a token type. */
char *kyso_setup_nss_module_name(const kyso_token_type_t *t);

/* "origins: A, B; fetch origins: C" of a config.json text, for the plan (malloc'ed). */
char *kyso_setup_config_origins_detail(const char *config_text);
/* The config.json action: text NULL = skipped; the detail names the origins. */
void kyso_setup_plan_add_config(kyso_setup_plan_t *p, const char *existing, const char *text);

/* config.json content with the module and origins merged in (malloc'ed). */
char *kyso_setup_config_text(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                             const char *existing);
/* Plans the config.json item (kyso_setup_config_text against the file). */
void kyso_setup_plan_config(const kyso_setup_opts_t *o, kyso_setup_plan_t *p);
/* systemd user unit text (malloc'ed); exec_start: the command line. */
char *kyso_setup_agent_unit_text(const char *exec_start, const char *config_file);
/* The unit text for this plan (vendor ports taken into account). */
char *kyso_setup_plan_agent_unit(const kyso_setup_plan_t *p);
/* Is something listening on 127.0.0.1:port? */
bool kyso_setup_port_in_use(int port);
/* The agent's command line for this plan (as ExecStart runs it), NULL-terminated;
 * free with kyso_strv_free. */
char **kyso_setup_plan_agent_argv(const kyso_setup_plan_t *p);
/* Is the vendor's own service (or plugin) in charge of that protocol? */
bool kyso_setup_plan_proto_off(const kyso_setup_plan_t *p, int proto);

/* Windows steps (plan_win.c; KYSO_ERR_UNSUPPORTED in plan_posix.c): the
 * vendor's driver installer, then the module looked up again; the agent at
 * logon. */
kyso_err_t kyso_setup_vendor_installer_run(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                           kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                           kyso_error_t *err);
kyso_err_t kyso_setup_autostart_install(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                        kyso_setup_journal_t *j, kyso_setup_action_t *a,
                                        kyso_error_t *err);

/* ---- journaled OS changes (journal_os.c): trust store, registry, autostart,
 * vendor installers; each journaled before it is made ------------------------ */

kyso_err_t kyso_setup_jtrust_add(kyso_setup_journal_t *j, bool machine, const char *name,
                                 const char *pem, kyso_error_t *err);
/* Removes a CA from the OS trust store (undo puts it back). */
kyso_err_t kyso_setup_trust_remove(kyso_setup_journal_t *j, bool machine, const char *name,
                                   const char *pem, kyso_error_t *err);
/* Sets a REG_SZ value; the keys it creates and the previous value are
 * journaled (undo restores or deletes the value, then deletes the keys it
 * created when they are empty). */
kyso_err_t kyso_setup_jreg_set(kyso_setup_journal_t *j, bool machine, const char *key,
                               const char *value, const char *data, kyso_error_t *err);
kyso_err_t kyso_setup_jautostart_set(kyso_setup_journal_t *j, const char *name,
                                     const char *const argv[], kyso_error_t *err);
/* Undoes an entry of the operations above; false when op is not theirs. */
bool kyso_setup_journal_undo_os(const json_t *e, const char *op, json_t *problems);
/* Logs a problem met while undoing (warning) and appends it to problems
 * (array of strings; may be NULL). */
void kyso_setup_journal_problem(json_t *problems, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* ---- a vendor installer's own uninstaller (vendor_uninstall.c) ------------------- */

/* The programs Windows lists in "Apps" (the Uninstall keys of HKLM, its
 * 32-bit view and HKCU), as a new array of "HKLM\\...\\<name>" strings; an
 * empty array where there is no registry. */
json_t *kyso_setup_uninstall_entries_list(void);
/* The entries present now that are not in before, as a new array of
 * {root, key, name, command}: command is the entry's QuietUninstallString,
 * else its UninstallString made silent (msiexec /X ... /qn, or the catalog's
 * uninstall_args appended), else null (no silent way known). */
json_t *kyso_setup_uninstall_entries_added(const json_t *before, const json_t *uninstall_args);
/* Runs the silent uninstall command of each entry of a "vendor-uninstall"
 * journal entry that is still installed and waits until its Uninstall key
 * is gone; what cannot be removed is a problem. */
void kyso_setup_vendor_uninstall_undo(const json_t *entry, json_t *problems);
/* A registered UninstallString "MsiExec.exe /I{GUID}" as a silent removal
 * "MsiExec.exe /X{GUID} /qn" (allocated). */
char *kyso_setup_uninstall_msiexec_silent(const char *cmd);
/* A Windows command line split into words (new JSON array): blanks separate,
 * double quotes group; an unquoted program path with blanks is joined up to
 * its ".exe". */
json_t *kyso_setup_uninstall_command_words(const char *cl);

/* ---- the agent's local CA and its trust (agent_ca.c) ----------------------------- */

#define LOCAL_CA_NAME "kyso-local-ca"
/* The agent's state directory of the user setup registers for. */
char *kyso_setup_agent_state_dir(const kyso_setup_opts_t *o);
/* Reads <state>/ca.pem and checks it is a CA name-constrained to localhost,
 * 127.0.0.1 and ::1 (NULL + err when missing or not acceptable). */
char *kyso_setup_local_ca_read(const char *state_dir, kyso_error_t *err);
/* Must the local CA be replaced? An old install's ca-key.pem on disk, a CA
 * without EKU serverAuth, or a server certificate about to expire (its CA
 * has no key left to renew it): *why says which (static text). */
bool kyso_setup_local_ca_stale(const char *state_dir, const char **why);
/* Creates the CA (journaled: the directories, or the files it adds). */
kyso_err_t kyso_setup_local_ca_create(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                      kyso_setup_journal_t *j, kyso_error_t *err);
/* Trust flags of nickname in db ("C,,") or NULL; *pem gets its certificate. */
char *kyso_setup_nss_cert_trust(const char *db, const char *name, char **pem);
kyso_err_t kyso_setup_nss_cert_add(kyso_setup_journal_t *j, const char *db, const char *name,
                                   const char *pem, kyso_error_t *err);
/* Undo of nss_cert_add: removes name, puts back the previous certificate. */
kyso_err_t kyso_setup_nss_cert_undo(const char *db, const char *name, const char *prev_pem,
                                    const char *prev_trust, kyso_error_t *err);
/* System trust store: the file plus update-ca-certificates (journaled);
 * Windows: the ROOT store, where old_pem (the CA it replaces, may be NULL)
 * is removed too (journaled). */
kyso_err_t kyso_setup_ca_system_install(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                        const char *file, const char *pem, const char *old_pem,
                                        kyso_error_t *err);
/* Runs update-ca-certificates for root ("" = the real system). */
kyso_err_t kyso_setup_ca_update(const char *root, kyso_error_t *err);
/* Are PEM certificates a and b the same certificate? */
bool kyso_setup_pem_same_cert(const char *a, const char *b);
/* Makes path (and what is below it) the sudo caller's (sudo on the real system). */
void kyso_setup_chown_to_caller(const kyso_setup_opts_t *o, const char *path);
/* ... and each directory from the home directory down to path owned by root. */
void kyso_setup_chown_path_to_caller(const kyso_setup_opts_t *o, const char *path);
/* Removes a directory tree setup created (no symlink is followed). */
kyso_err_t kyso_setup_remove_tree(const char *path, kyso_error_t *err);

/* ---- starting the agent and checking its answers (agent_run.c) --------------------- */

/* Is a user systemd manager reachable for the user setup registers for? */
bool kyso_setup_agent_systemd_available(const kyso_setup_opts_t *o);
/* Is the agent setup started (pidfile or unit) running? */
bool kyso_setup_agent_is_running(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p);
kyso_err_t kyso_setup_agent_start(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                  kyso_setup_journal_t *j, bool restart, kyso_error_t *err);
/* Journal undo: stops the agent a journal entry started. */
void kyso_setup_agent_undo_start(const json_t *entry, json_t *problems);
/* Journal undo of a stop (restart): starts it again as it ran before. */
void kyso_setup_agent_undo_stop(const json_t *entry, json_t *problems);
/* The PID in a pidfile (0 when none). */
long kyso_setup_pidfile_read(const char *file);
/* Checks the agent answers on each protocol, the local CA as trust anchor;
 * returns the report's "agent" object. */
json_t *kyso_setup_agent_check_answers(const kyso_setup_opts_t *o, const kyso_setup_plan_t *p,
                                       bool *all_ok);
/* Single checks (agent_check.c); return true on a good answer, msg tells what. */
bool kyso_setup_check_kyso_status(int port, const char *cafile, char *version, size_t vcap,
                                  char *msg, size_t cap);
bool kyso_setup_check_ws(int port, const char *host, const char *path, const char *origin,
                         const char *frame, const char *cafile, char *reply, size_t rcap, char *msg,
                         size_t cap);
bool kyso_setup_check_https_any(int port, const char *host, const char *cafile, char *msg,
                                size_t cap);

/* ---- vendor plugin (vendor_plugin.c) ------------------------------------------------ */

/* Plans the bundle's kind "plugin" entries (installed with --vendor-plugin). */
void kyso_setup_plan_vendor_plugins(const kyso_setup_opts_t *o, const kyso_token_type_t *type,
                                    const json_t *drv, kyso_setup_plan_t *p);
kyso_err_t kyso_setup_vendor_plugin_install(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                            kyso_setup_action_t *a, kyso_error_t *err);

/* Reads a whole small text file (NULL when missing). */
char *kyso_setup_read_text(const char *path);

#endif
