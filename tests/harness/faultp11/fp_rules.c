/* Parsing of fault rules ("name[:C_Function][=value]"). */
#include "fp_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP_FILE_MAX 16384
#define FNV_OFFSET  14695981039346656037ULL
#define FNV_PRIME   1099511628211ULL

/* One rule split into its parts; lengths because the text is not copied. */
struct fp_token {
	const char *name;
	size_t name_len;
	const char *func;
	size_t func_len; /* 0 = no ":C_Function" */
	const char *value;
	size_t value_len; /* 0 = no "=value" */
	bool has_value;
};

static bool fp_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool fp_name_is(const struct fp_token *t, const char *name)
{
	return strlen(name) == t->name_len && memcmp(t->name, name, t->name_len) == 0;
}

static void fp_bad(struct fp_rules *r, const struct fp_token *t, const char *why)
{
	if (r->bad)
		return;
	r->bad = true;
	snprintf(r->bad_rule, sizeof(r->bad_rule), "%s in rule '%.*s'", why,
	         (int)(t->name_len + (t->func_len ? t->func_len + 1 : 0) +
	               (t->has_value ? t->value_len + 1 : 0)),
	         t->name);
}

/* Decimal number up to MAX from the whole of S (LEN bytes). */
static bool fp_parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static void fp_split(const char *s, size_t len, struct fp_token *t)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	t->name = s;
	while (i < len && s[i] != ':' && s[i] != '=')
		i++;
	t->name_len = i;
	if (i < len && s[i] == ':') {
		t->func = s + ++i;
		while (i < len && s[i] != '=')
			i++;
		t->func_len = (size_t)(s + i - t->func);
	}
	if (i < len && s[i] == '=') {
		t->has_value = true;
		t->value = s + i + 1;
		t->value_len = len - i - 1;
	}
}

/* The function named by ":C_X", or -1 after flagging the rule as bad. */
static int fp_rule_func(struct fp_rules *r, const struct fp_token *t, bool required)
{
	int f;

	if (t->func_len == 0) {
		if (required)
			fp_bad(r, t, "missing ':C_Function'");
		return -1;
	}
	f = fp_func_lookup(t->func, t->func_len);
	if (f < 0)
		fp_bad(r, t, "unknown PKCS#11 function");
	return f;
}

static void fp_rule_flag(struct fp_rules *r, const struct fp_token *t, bool *flag)
{
	if (t->func_len || t->has_value) {
		fp_bad(r, t, "no ':C_Function' or '=value' allowed");
		return;
	}
	*flag = true;
}

static void fp_rule_slow(struct fp_rules *r, const struct fp_token *t)
{
	unsigned ms;
	int f = fp_rule_func(r, t, false);

	if (t->func_len && f < 0)
		return;
	if (!t->has_value || !fp_parse_uint(t->value, t->value_len, 600000, &ms)) {
		fp_bad(r, t, "'=MS' (0..600000) needed");
		return;
	}
	if (f < 0)
		r->slow_all_ms = ms;
	else
		r->slow_ms[f] = ms;
}

static void fp_rule_per_func(struct fp_rules *r, const struct fp_token *t, bool *table)
{
	int f = fp_rule_func(r, t, true);

	if (f < 0)
		return;
	if (t->has_value) {
		fp_bad(r, t, "no '=value' allowed");
		return;
	}
	table[f] = true;
}

static void fp_rule_remove_during_sign(struct fp_rules *r, const struct fp_token *t)
{
	const char *v = t->value;
	size_t n = t->value_len;

	if (t->func_len) {
		fp_bad(r, t, "no ':C_Function' allowed");
		return;
	}
	r->remove_during_sign = true;
	r->rds_after = 0;
	r->rds_delay_ms = FP_DEFAULT_REMOVE_DELAY_MS;
	if (!t->has_value)
		return;
	if (n > 2 && v[n - 2] == 'm' && v[n - 1] == 's') {
		if (!fp_parse_uint(v, n - 2, 600000, &r->rds_delay_ms))
			fp_bad(r, t, "'=N' or '=MSms' needed");
		return;
	}
	if (!fp_parse_uint(v, n, 1000000, &r->rds_after))
		fp_bad(r, t, "'=N' or '=MSms' needed");
}

static void fp_rule_log(struct fp_rules *r, const struct fp_token *t)
{
	if (t->func_len || !t->has_value || t->value_len == 0 ||
	    t->value_len >= sizeof(r->log_path)) {
		fp_bad(r, t, "'log=FILE' needed");
		return;
	}
	memcpy(r->log_path, t->value, t->value_len);
	r->log_path[t->value_len] = '\0';
}

static void fp_rule_pin_tries(struct fp_rules *r, const struct fp_token *t)
{
	if (t->func_len || !t->has_value ||
	    !fp_parse_uint(t->value, t->value_len, 99, &r->pin_tries) || r->pin_tries == 0)
		fp_bad(r, t, "'pin-tries=N' (1..99) needed");
}

static void fp_rule_apply(struct fp_rules *r, const char *s, size_t len)
{
	struct fp_token t;

	fp_split(s, len, &t);
	if (fp_name_is(&t, "pin-locked"))
		fp_rule_flag(r, &t, &r->pin_locked);
	else if (fp_name_is(&t, "pin-count-low"))
		fp_rule_flag(r, &t, &r->pin_count_low);
	else if (fp_name_is(&t, "pin-final-try"))
		fp_rule_flag(r, &t, &r->pin_final_try);
	else if (fp_name_is(&t, "wrong-pin"))
		fp_rule_flag(r, &t, &r->wrong_pin);
	else if (fp_name_is(&t, "pin-tries"))
		fp_rule_pin_tries(r, &t);
	else if (fp_name_is(&t, "removed"))
		fp_rule_flag(r, &t, &r->removed);
	else if (fp_name_is(&t, "remove-before-sign"))
		fp_rule_flag(r, &t, &r->remove_before_sign);
	else if (fp_name_is(&t, "remove-during-sign"))
		fp_rule_remove_during_sign(r, &t);
	else if (fp_name_is(&t, "slow"))
		fp_rule_slow(r, &t);
	else if (fp_name_is(&t, "device-error"))
		fp_rule_per_func(r, &t, r->device_error);
	else if (fp_name_is(&t, "not-supported"))
		fp_rule_per_func(r, &t, r->not_supported);
	else if (fp_name_is(&t, "log"))
		fp_rule_log(r, &t);
	else
		fp_bad(r, &t, "unknown fault");
}

void fp_rules_parse(struct fp_rules *r, const char *text)
{
	const char *p = text;

	for (const char *h = text; *h; h++)
		r->hash = (r->hash ^ (unsigned char)*h) * FNV_PRIME;
	r->hash = (r->hash ^ 0xffu) * FNV_PRIME; /* end of one text */

	while (*p) {
		const char *start;

		if (fp_is_sep(*p)) {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		start = p;
		while (*p && !fp_is_sep(*p) && *p != '#')
			p++;
		fp_rule_apply(r, start, (size_t)(p - start));
	}
}

/* Rule file contents (at most FP_FILE_MAX - 1 bytes) into BUF; "" if absent. */
static void fp_read_rule_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	if (fclose(f) != 0)
		buf[0] = '\0';
}

void fp_rules_load(struct fp_rules *r)
{
	const char *env = getenv("KYSO_FAULT");
	const char *file = getenv("KYSO_FAULT_FILE");

	memset(r, 0, sizeof(*r));
	r->hash = FNV_OFFSET;
	fp_rules_parse(r, env ? env : "");
	if (file && *file) {
		char *buf = malloc(FP_FILE_MAX);

		if (!buf) {
			r->bad = true;
			snprintf(r->bad_rule, sizeof(r->bad_rule), "out of memory");
			return;
		}
		fp_read_rule_file(file, buf, FP_FILE_MAX);
		fp_rules_parse(r, buf);
		free(buf);
	}
}

unsigned fp_rules_tries(const struct fp_rules *r)
{
	if (r->pin_tries)
		return r->pin_tries;
	return r->wrong_pin ? FP_DEFAULT_TRIES : 0;
}
