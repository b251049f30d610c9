/* Descriptions of unknown ATRs from pcsc-tools' smartcard_list.txt.
 * Format: an ATR pattern line (hex bytes, '.' for any nibble, [..] classes),
 * then description lines starting with a tab. */
#include "detect_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCLIST_MAX_BYTES ((size_t)8 * 1024 * 1024)

const char *kyso_smartcard_list_path(const char *explicit_path)
{
	static char home_copy[4096];
	if (explicit_path != NULL)
		return *explicit_path != '\0' && access(explicit_path, R_OK) == 0 ? explicit_path
		                                                                  : NULL;
	const char *env = getenv("KYSO_SMARTCARD_LIST");
	if (env != NULL)
		return *env != '\0' && access(env, R_OK) == 0 ? env : NULL;
	const char *home = getenv("HOME");
	if (home != NULL) {
		/* pcsc-tools' update-smartcard_list keeps a fresher copy here */
		snprintf(home_copy, sizeof(home_copy), "%s/.cache/smartcard_list.txt", home);
		if (access(home_copy, R_OK) == 0)
			return home_copy;
	}
	static const char *const system_paths[] = {"/usr/share/pcsc/smartcard_list.txt",
	                                           "/usr/local/share/pcsc/smartcard_list.txt"};
	for (size_t i = 0; i < sizeof(system_paths) / sizeof(system_paths[0]); i++)
		if (access(system_paths[i], R_OK) == 0)
			return system_paths[i];
	return NULL;
}

/* One nibble of the pattern at *pp against hex digit h; advances *pp. */
static bool nibble_match(const char **pp, const char *end, char h, bool *bad)
{
	const char *p = *pp;
	if (*p == '.') {
		*pp = p + 1;
		return true;
	}
	if (*p != '[') {
		*pp = p + 1;
		return toupper((unsigned char)*p) == h;
	}
	bool hit = false;
	p++;
	while (p < end && *p != ']') {
		char a = (char)toupper((unsigned char)*p);
		if (p + 2 < end && p[1] == '-' && p[2] != ']') {
			char b = (char)toupper((unsigned char)p[2]);
			hit = hit || (h >= a && h <= b);
			p += 3;
		} else {
			hit = hit || a == h;
			p++;
		}
	}
	if (p >= end) {
		*bad = true;
		return false;
	}
	*pp = p + 1;
	return hit;
}

static bool line_matches(const char *line, size_t len, const char *atr_hex)
{
	const char *p = line, *end = line + len;
	const char *h = atr_hex;
	bool bad = false;
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*h == '\0')
			return false;
		if (!nibble_match(&p, end, *h, &bad))
			return false;
		h++;
	}
	return *h == '\0' && !bad;
}

char *kyso_smartcard_list_lookup(const char *path, const uint8_t *atr, size_t len)
{
	uint8_t *data = NULL;
	size_t n = 0;
	kyso_error_t err;
	if (path == NULL || len == 0)
		return NULL;
	if (kyso_file_read_all(path, SCLIST_MAX_BYTES, &data, &n, &err) != KYSO_OK) {
		kyso_debug("smartcard_list: %s", kyso_error_message(&err));
		return NULL;
	}
	char hex[2 * KYSO_ATR_MAX + 1];
	kyso_atr_hex(atr, len, hex);
	kyso_buf_t out;
	kyso_buf_init(&out);
	const char *s = (const char *)data, *end = s + n;
	bool in_match = false;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (l > 0 && s[0] == '\t') {
			if (in_match) {
				const char *d = s + 1;
				size_t dl = l - 1;
				if (dl > 0 && d[dl - 1] == '\r')
					dl--;
				/* skip URLs: the descriptions are what a person reads */
				if (dl > 0 && strncmp(d, "http", 4) != 0 &&
				    kyso_buf_printf(&out, "%s%.*s", out.len > 0 ? "; " : "",
				                    (int)dl, d) != KYSO_OK)
					break;
			}
		} else if (l > 0 && s[0] != '#') {
			in_match = line_matches(s, l, hex);
		} else if (l == 0) {
			in_match = false;
		}
		s += l + 1;
	}
	free(data);
	char *res = NULL;
	if (out.len > 0 && kyso_buf_append(&out, "", 1) == KYSO_OK)
		res = strdup((const char *)out.data);
	kyso_buf_free(&out);
	return res;
}
