/* Internal: the doctor's run state and the check functions. */
#ifndef KYSO_DOCTOR_INT_H
#define KYSO_DOCTOR_INT_H
#include "kyso_config.h"
#include "kyso_detect.h"
#include "kyso_diagnostics.h"
#include "kyso_middleware.h"

typedef enum { ST_PASS = 0, ST_WARN, ST_FAIL, ST_SKIP } check_status_t;

typedef struct {
	const char *id;
	check_status_t status;
	char detail[1024];
	char remedy[1024];
	json_t *data; /* extra facts for the helpdesk (may stay NULL) */
} check_t;

/* Result of one HTTP exchange with the TSA (shared by clock and TSA checks). */
typedef struct {
	bool done;
	bool reached; /* an HTTP answer came back */
	long http_code;
	long long server_time; /* Date header, 0 if none */
	long long gen_time;    /* genTime of a granted time stamp, 0 if none */
	long long local_time;
	char content_type[128];
	char error[256];
	int ts_status; /* PKIStatus of the time-stamp reply, -1 if none */
	double seconds;
} tsa_probe_t;

typedef struct {
	const kyso_doctor_opts_t *o;
	kyso_config_t *config; /* kyso's config.json (kyso_config_load) */
	json_t *origins;       /* config->origins as a JSON array */
	kyso_catalog_t *cat;
	kyso_error_t cat_err;
	kyso_detect_result_t *det;
	const kyso_token_t *token; /* chosen physical token, NULL if none */
	const kyso_token_type_t *type;
	char *module;   /* resolved module path */
	bool module_ok; /* loaded */
	kyso_p11_probe_t *probe;
	const kyso_p11_slot_t *slot;
	bool token_usable; /* not locked, initialised */
	const kyso_p11_cert_t *cert;
	bool cert_ok;
	const char *tsa_url;
	tsa_probe_t tsa;
	json_t *facts; /* report "token"/"module" facts */
	/* "O / OU" of the signing certificate's subject: the report's unit when
	 * setup gave none (organisation names are not personal) */
	char cert_org[512];
} doctor_t;

/* The signing applet on a card kyso's own module serves (check_applet.c). */
typedef enum { APPLET_UNKNOWN = 0, APPLET_PRESENT, APPLET_MISSING } applet_state_t;
typedef struct {
	char aid[40]; /* hex */
	char reader[256];
	char model[96];
	uint16_t sw; /* answer to SELECT, 0 if none */
	char error[128];
} applet_info_t;
/* APPLET_UNKNOWN when the card is not in the profile table or PC/SC failed. */
applet_state_t kyso_doctor_applet_state(const doctor_t *d, applet_info_t *info);

/* check helpers */
check_status_t kyso_doctor_ck_set(check_t *c, check_status_t st, const char *remedy,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
check_status_t kyso_doctor_ck_skip(check_t *c, const char *reason);
void kyso_doctor_ck_remedy(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* status with a plain detail and a formatted remedy */
check_status_t kyso_doctor_ck_set_remedy(check_t *c, check_status_t st, const char *detail,
                                         const char *remedy_fmt, ...)
        __attribute__((format(printf, 4, 5)));
void kyso_doctor_ck_data(check_t *c, const char *key, json_t *value);
void kyso_doctor_personal(const char *value);
/* Only the user names in paths: home folders (HOME, /home/NAME,
 * C:\Users\NAME), Firefox profile folders. malloc'ed. */
char *kyso_doctor_redact_paths(const char *s);
/* Registers the Firefox profile folder names among NSS database paths as
 * personal (a profile is often named after its user). */
void kyso_doctor_personal_profiles(char *const *dbs);
/* kyso_doctor_send, also telling the HTTP status (0: no answer) and the
 * answer's Retry-After in seconds (0: none). report_bundle.c */
kyso_err_t kyso_doctor_send_status(const char *bundle, const char *url, const char *token,
                                   const char *cafile, int timeout_ms, long *http_code,
                                   long *retry_after, kyso_error_t *err);
/* The outbox (doctor_outbox.c): bundles kept until a collector accepts them. */
const char *kyso_doctor_outbox_dir(void);
/* Appends s with HTML's special characters escaped (report_html.c). */
void kyso_doctor_html_esc(kyso_buf_t *b, const char *s);
const char *kyso_doctor_token_cas(const doctor_t *d);

/* the checks, in report order */
check_status_t kyso_doctor_check_system(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_pcsc_service(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_readers(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_token_present(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_usb_device(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_catalog_match(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_module_loadable(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_module_registered(doctor_t *d, check_t *c); /* doctor_os_<os>.c */
check_status_t kyso_doctor_check_token_state(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_cert_present(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_cert_key_pair(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_cert_validity(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_cert_chain(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_cert_revocation(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_clock_skew(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_tsa(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_agent(doctor_t *d, check_t *c);
check_status_t kyso_doctor_check_browser(doctor_t *d,
                                         check_t *c); /* check_browser_<os>.c (issue 12) */
check_status_t kyso_doctor_check_test_signature(doctor_t *d, check_t *c);

/* The browsers check's verdict (check_browser.c) with the sentences that
 * differ per OS, already formatted (the untrusted profiles and the web
 * system are in them). */
typedef struct {
	const char *both_remedy;
	const char *untrusted;
	const char *untrusted_remedy;
	const char *missing_remedy;
	const char *no_origin_remedy;
	const char *pass;
} kyso_doctor_browser_texts_t;
check_status_t kyso_doctor_browser_verdict(check_t *c, const kyso_doctor_browser_texts_t *t,
                                           const json_t *untrusted, const json_t *missing,
                                           const json_t *origins);

/* network helpers (net_http.c) */
void kyso_doctor_tsa_probe_run(doctor_t *d);
int kyso_doctor_timeout_ms(const doctor_t *d);

/* What differs per OS: remedies that name the OS's own tools, and the checks
 * whose facts live in different places (doctor_os_posix.c, doctor_os_win.c;
 * CMake picks one). */
check_status_t kyso_doctor_os_pcsc_no_service(check_t *c);
const char *kyso_doctor_os_pcsc_restart_remedy(void);
const char *kyso_doctor_os_no_reader_remedy(void);
const char *kyso_doctor_os_load_remedy(kyso_p11_load_status_t st);
const char *kyso_doctor_os_no_driver_named_remedy(void);
void kyso_doctor_os_driver_install_remedy(check_t *c, const char *packages);
const char *kyso_doctor_os_token_replug_remedy(void);
const char *kyso_doctor_os_clock_fix_remedy(void);
const char *kyso_doctor_os_clock_ntp_remedy(void);
const char *kyso_doctor_os_agent_untrusted_remedy(void);
const char *kyso_doctor_os_agent_no_origin_remedy(void);
const char *kyso_doctor_os_agent_refused_origin_remedy(void);
const char *kyso_doctor_os_agent_restart_remedy(void);
const char *kyso_doctor_os_agent_port_remedy(void);
void kyso_doctor_os_agent_not_listening_remedy(char *buf, size_t cap, const char *protocol);
const char *kyso_doctor_os_agent_start_remedy(void);
/* "module: PATH" of a p11-kit module file, malloc'ed, or NULL (check_module.c). */
char *kyso_doctor_p11kit_module_of(const char *file);
/* scheme://host[:port] in lower case, default port and a trailing "/" dropped
 * (as the agent and kyso setup compare origins; doctor_run.c). */
void kyso_doctor_origin_norm(const char *in, char *out, size_t cap);

/* writers */
const char *kyso_doctor_status_id(check_status_t st);
json_t *kyso_doctor_walk_strings(const json_t *v, char *(*fn)(const char *));
#endif
