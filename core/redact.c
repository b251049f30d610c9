/* Redaction of secrets and personal data in every log line and report.
 * Hashing of personal values lives in redact_personal.c, so a program that
 * never registers personal data (the `kyso` dispatcher) does not link
 * libcrypto. */
#include "core_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define REDACT_MAX 64

static char *secrets[REDACT_MAX];
static size_t n_secrets;
static char *personal[REDACT_MAX];
static size_t n_personal;
static bool personal_on = true;
static kyso_core_hash_fn personal_hash;

static void add_value(char **list, size_t *n, const char *value)
{
	if (value == NULL || strlen(value) < 2 || *n >= REDACT_MAX)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], value) == 0)
			return;
	char *copy = strdup(value);
	if (copy == NULL)
		return; /* out of memory: the line-pattern rules still apply */
	list[(*n)++] = copy;
}

void kyso_redact_secret(const char *secret)
{
	add_value(secrets, &n_secrets, secret);
}

void kyso_core_redact_add_personal(const char *value, kyso_core_hash_fn hash)
{
	personal_hash = hash;
	add_value(personal, &n_personal, value);
}

void kyso_redact_set_personal(bool on)
{
	personal_on = on;
}

void kyso_redact_reset(void)
{
	for (size_t i = 0; i < n_secrets; i++) {
		kyso_memzero(secrets[i], strlen(secrets[i]));
		free(secrets[i]);
	}
	for (size_t i = 0; i < n_personal; i++)
		free(personal[i]);
	n_secrets = n_personal = 0;
	personal_on = true;
}

/* Replaces every occurrence of needle in *s with repl. */
static bool replace_all(kyso_buf_t *out, const char *s, const char *needle, const char *repl)
{
	size_t nl = strlen(needle);
	const char *p = s;
	const char *hit;
	while ((hit = strstr(p, needle)) != NULL) {
		if (kyso_buf_append(out, p, (size_t)(hit - p)) != KYSO_OK ||
		    kyso_buf_append(out, repl, strlen(repl)) != KYSO_OK)
			return false;
		p = hit + nl;
	}
	return kyso_buf_append(out, p, strlen(p)) == KYSO_OK;
}

static char *apply_list(char *line, char **list, size_t n, bool hash)
{
	for (size_t i = 0; i < n && line != NULL; i++) {
		if (strstr(line, list[i]) == NULL)
			continue;
		char h[KYSO_REDACT_HASH_SIZE] = "[#????????????????]";
		if (hash && personal_hash != NULL)
			personal_hash(list[i], h);
		kyso_buf_t out;
		kyso_buf_init(&out);
		bool ok = replace_all(&out, line, list[i], hash ? h : "****");
		kyso_memzero(line, strlen(line));
		free(line);
		if (!ok) {
			kyso_buf_free(&out);
			return NULL;
		}
		line = (char *)out.data;
	}
	return line;
}

/* Keys whose value is always masked: "pin=1234", "--pin 1234", "password: x". */
static const char *const secret_keys[] = {"pin", "password", "passwd", "pass", "so-pin", "puk"};

/* "pin=…", "pin: …" and the option form "--pin …"; not prose such as
 * "PIN locked" or "khóa PIN: liên hệ". PINs themselves are registered with
 * kyso_redact_secret() and masked wherever they appear. */
static bool is_key_at(const char *line, const char *p, const char *key)
{
	size_t kl = strlen(key);
	if (strncasecmp(p, key, kl) != 0)
		return false;
	if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
		return false;
	bool option = p >= line + 2 && p[-1] == '-' && p[-2] == '-';
	char c = p[kl];
	if (c == '=')
		return true;
	if (c == ':') /* "PIN: liên hệ …" is prose; "password: x" is a value */
		return option || strcmp(key, "pin") != 0 || (p[kl + 1] != ' ' && p[kl + 1] != '\0');
	return option && c == ' ';
}

static void mask_key_values(char *line)
{
	for (char *p = line; *p != '\0'; p++) {
		for (size_t k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]); k++) {
			if (!is_key_at(line, p, secret_keys[k]))
				continue;
			char *v = p + strlen(secret_keys[k]);
			while (*v == '=' || *v == ':' || *v == ' ')
				v++;
			char *start = v;
			while (*v != '\0' && !isspace((unsigned char)*v) && *v != ',' &&
			       *v != ';' && *v != '"' && *v != '&')
				*v++ = '*';
			p = v > start ? v - 1 : p;
			break;
		}
	}
}

/* ISO 7816 VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER APDUs in hex
 * ("00 20 00 81 08 31 32 ..." or "0020008108..."): mask the data field. */
static void mask_pin_apdus(char *line)
{
	static const char *const ins[] = {"0020", "00 20", "0024", "00 24", "002C", "00 2C"};
	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		char *p = line;
		while ((p = strcasestr(p, ins[i])) != NULL) {
			if (p > line && isxdigit((unsigned char)p[-1])) {
				p++;
				continue;
			}
			/* skip P1 P2 Lc (3 bytes) then mask hex digits to end of token run */
			char *v = p + strlen(ins[i]);
			int bytes = 0;
			while (*v != '\0' && bytes < 6) { /* 3 bytes = 6 hex digits */
				if (isxdigit((unsigned char)*v))
					bytes++;
				else if (*v != ' ' && *v != ':')
					break;
				v++;
			}
			if (bytes < 6) {
				p = v;
				continue;
			}
			while (*v != '\0' &&
			       (isxdigit((unsigned char)*v) || *v == ' ' || *v == ':')) {
				if (isxdigit((unsigned char)*v))
					*v = '*';
				v++;
			}
			p = v;
		}
	}
}

char *kyso_redact_personal_line(const char *line)
{
	char *out = strdup(line != NULL ? line : "");
	if (out == NULL || !personal_on)
		return out;
	return apply_list(out, personal, n_personal, true);
}

char *kyso_redact_line(const char *line)
{
	char *out = strdup(line != NULL ? line : "");
	if (out == NULL)
		return NULL;
	out = apply_list(out, secrets, n_secrets, false);
	if (out == NULL)
		return NULL;
	if (personal_on)
		out = apply_list(out, personal, n_personal, true);
	if (out == NULL)
		return NULL;
	mask_key_values(out);
	mask_pin_apdus(out);
	return out;
}
