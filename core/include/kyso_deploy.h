/* deploy.json: the settings an agency drops on every PC for unattended
 * installs (/etc/kyso/deploy.json, %ProgramData%\kyso\deploy.json; schema:
 * docs/deploy.schema.json). Read by kyso setup and kyso-agent. */
#ifndef KYSO_DEPLOY_H
#define KYSO_DEPLOY_H

#include "kyso_core.h"

#include <stddef.h>

typedef struct kyso_deploy {
	char **origins;       /* web systems allowed to use the agent (NULL-ended) */
	char **fetch_origins; /* sites the agent may fetch documents from (NULL-ended) */
	char *tsa_url;        /* time-stamping service, or NULL */
	char *tsa_account;    /* reference to the TSA account (never a password), or NULL */
	char *report_url;     /* helpdesk report collector, or NULL */
	char *report_key;     /* the collector's upload key, or NULL */
} kyso_deploy_t;

/* The path of the system deploy.json (malloc'ed). */
char *kyso_deploy_path(void);

/* Reads and checks file (NULL: kyso_deploy_path()). A missing file is no
 * error: *out is NULL. A wrong field gives KYSO_ERR_BAD_INPUT with a message
 * naming that field. */
kyso_err_t kyso_deploy_load(const char *file, kyso_deploy_t **out, kyso_error_t *err);

/* Same, from text (for the fuzzer and tests); name is used in messages. */
kyso_err_t kyso_deploy_parse(const char *text, size_t len, const char *name, kyso_deploy_t **out,
                             kyso_error_t *err);

void kyso_deploy_free(kyso_deploy_t **d);

#endif
