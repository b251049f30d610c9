/* kyso_config: kyso's config.json, the contract between `kyso setup` (which
 * writes it) and `kyso sign`, `kyso-agent` and `kyso doctor` (which read
 * it). This module is the one place that knows its keys (docs/setup.md,
 * "config.json"). */
#ifndef KYSO_CONFIG_H
#define KYSO_CONFIG_H

#include "kyso_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	char *pkcs11_module;  /* "pkcs11_module": the token's PKCS#11 driver */
	char *token_type;     /* "token_type": catalog id of the token setup found */
	char **origins;       /* "origins": web systems that may use the agent */
	char **fetch_origins; /* "agent_fetch_origins": more origins the VGCA protocol
	                         may download from and upload to */
	char *tsa_url;        /* "tsa_url": time-stamp authority */
	char *agent_pades;    /* "agent_pades": "B-LT" or "B-LTA" for the agent's signatures */
	char *agent_tsa_url;  /* "agent_tsa_url": the agent's TSA (else tsa_url) */
	char *report_url;     /* "report_url": the helpdesk collector (doctor --send) */
	char *report_token;   /* "report_token": the collector's upload token */
	char *org;            /* "org": organisation/unit (setup --org), in doctor reports */
	char *redact_key;     /* "redact_key": the organisation's key of the pseudonyms in
	                         logs and doctor reports (setup --redact-key; not the
	                         collector's upload token "report_token") */
	/* "agent": {"vnpt_plugin", "vgca_sign_service"}: false = that protocol is
	 * left to the CA's own program (kyso-agent does not listen for it) */
	bool vnpt_plugin, vgca_sign_service;
	bool has_agent; /* the "agent" decision is recorded (setup made it) */
	/* the file(s) read, for messages; "" when none */
	char source[4200];
	json_t *doc; /* the first file as read: keys kyso does not know are kept */
} kyso_config_t;
/* lists (origins, fetch_origins) are NULL-terminated; NULL when empty */

/* An empty configuration (every protocol on). */
kyso_config_t *kyso_config_new(void);
void kyso_config_free(kyso_config_t **c);

/* One file. A missing file gives *out NULL and KYSO_OK; a damaged one an
 * error naming it (KYSO_ERR_BAD_INPUT). */
kyso_err_t kyso_config_read_file(const char *path, kyso_config_t **out, kyso_error_t *err);

/* The same for a file's text already read (name for messages). */
kyso_err_t kyso_config_parse(const char *text, const char *name, kyso_config_t **out,
                             kyso_error_t *err);

/* What kyso runs with: $KYSO_CONFIG (a file), then the user's and then the
 * system's config.json. A key is taken from the first file that has it; the
 * origin lists are joined (no duplicates). A damaged file is skipped with a
 * warning. Never NULL (out of memory aside). */
kyso_config_t *kyso_config_load(void);

/* The system or user file (kyso_path_config_* + "/config.json"), malloc'ed. */
char *kyso_config_path(bool user);

/* Adds s to a NULL-terminated list unless it is there already. */
kyso_err_t kyso_config_list_add(char ***list, const char *s);
size_t kyso_config_list_len(char *const *list);

/* The file's text (JSON, sorted keys, a final newline; malloc'ed) for c:
 * c->doc's other keys as they were, kyso's keys from c's fields. */
char *kyso_config_text(const kyso_config_t *c);

#ifdef __cplusplus
}
#endif
#endif
