/* Fault rules: parsed from KYSO_FAULT and the file KYSO_FAULT_FILE on every
 * call, so a running process sees changes at once. Syntax in README.md. */
#ifndef FP_RULES_H
#define FP_RULES_H

#include "fp_funcs.h"

#include <stdbool.h>
#include <stdint.h>

#define FP_PATH_MAX                1024
#define FP_DEFAULT_TRIES           3
#define FP_DEFAULT_REMOVE_DELAY_MS 100

struct fp_rules {
	bool bad;                      /* a rule did not parse: every call fails */
	char bad_rule[128];            /* ... and this is the message */
	bool pin_locked;               /* pin-locked */
	bool pin_count_low;            /* pin-count-low */
	bool pin_final_try;            /* pin-final-try */
	bool wrong_pin;                /* wrong-pin */
	unsigned pin_tries;            /* pin-tries=N; 0 = no PIN-try counting */
	bool removed;                  /* removed */
	bool remove_before_sign;       /* remove-before-sign */
	bool remove_during_sign;       /* remove-during-sign[=N|=MSms] */
	unsigned rds_after;            /* signatures that still succeed first */
	unsigned rds_delay_ms;         /* delay before the failing signature */
	unsigned slow_all_ms;          /* slow=MS */
	unsigned slow_ms[FP_NFUNCS];   /* slow:C_X=MS (0 = use slow_all_ms) */
	bool device_error[FP_NFUNCS];  /* device-error:C_X */
	bool not_supported[FP_NFUNCS]; /* not-supported:C_X */
	char log_path[FP_PATH_MAX];    /* log=FILE, "" = no log */
	uint64_t hash;                 /* of the whole rule text: detects changes */
};

/* Parse TEXT (rules separated by commas, blanks or new lines; '#' starts a
 * comment up to the end of the line) and add them to R. */
void fp_rules_parse(struct fp_rules *r, const char *text);

/* Fill R from the environment and the rule file (re-read every time). */
void fp_rules_load(struct fp_rules *r);

/* Tries the simulated token allows, 0 when PIN tries are not counted. */
unsigned fp_rules_tries(const struct fp_rules *r);

#endif
