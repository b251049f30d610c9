/* Schema check of a catalog document (docs/catalog.md). Reports the first
 * problem with the JSON path of the field, so the loader can turn it into
 * "file:line: field: problem". */
#include "detect_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
	char *path;
	size_t path_cap;
	char *problem;
	size_t problem_cap;
} vctx_t;

/* Paths are at most a few levels deep; a longer one is cut, still a string. */
static void path_fmt(char *dst, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void path_fmt(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		dst[0] = '\0';
}

static kyso_err_t fail(vctx_t *v, const char *path, const char *problem)
{
	path_fmt(v->path, v->path_cap, "%s", path);
	path_fmt(v->problem, v->problem_cap, "%s", problem);
	return KYSO_ERR_BAD_CATALOG;
}

static void sub(char *dst, size_t cap, const char *base, const char *key)
{
	path_fmt(dst, cap, "%s%s%s", base, *base != '\0' ? "." : "", key);
}

static void idx(char *dst, size_t cap, const char *base, size_t i)
{
	path_fmt(dst, cap, "%s[%zu]", base, i);
}

static bool is_hex_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static kyso_err_t check_keys(vctx_t *v, const json_t *obj, const char *path,
                             const char *const *allowed)
{
	const char *key;
	json_t *val;
	char p[256];
	json_object_foreach((json_t *)obj, key, val)
	{
		bool ok = key[0] == '_'; /* "_comment" and friends */
		for (size_t i = 0; !ok && allowed[i] != NULL; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			sub(p, sizeof(p), path, key);
			return fail(v, p, "unknown field");
		}
	}
	return KYSO_OK;
}

/* Field must be a string (non-empty when required). */
static kyso_err_t want_string(vctx_t *v, const json_t *obj, const char *path, const char *key,
                              bool required)
{
	char p[256];
	sub(p, sizeof(p), path, key);
	const json_t *val = json_object_get(obj, key);
	if (val == NULL)
		return required ? fail(v, p, "missing (required)") : KYSO_OK;
	if (!json_is_string(val))
		return fail(v, p, "must be a string");
	if (json_string_length(val) == 0)
		return fail(v, p, "must not be empty");
	return KYSO_OK;
}

static kyso_err_t want_string_list(vctx_t *v, const json_t *obj, const char *path, const char *key)
{
	char p[256], pi[280];
	sub(p, sizeof(p), path, key);
	const json_t *val = json_object_get(obj, key);
	if (val == NULL)
		return KYSO_OK;
	if (!json_is_array(val))
		return fail(v, p, "must be a list of strings");
	size_t i;
	const json_t *s;
	json_array_foreach(val, i, s)
	{
		idx(pi, sizeof(pi), p, i);
		if (!json_is_string(s) || json_string_length(s) == 0)
			return fail(v, pi, "must be a non-empty string");
	}
	return KYSO_OK;
}

static kyso_err_t check_usb(vctx_t *v, const json_t *u, const char *path)
{
	static const char *const keys[] = {"vid", "pid", "product", "source", NULL};
	char p[256];
	if (!json_is_object(u))
		return fail(v, path, "must be an object {\"vid\", \"pid\"}");
	kyso_err_t rc = check_keys(v, u, path, keys);
	for (int k = 0; rc == KYSO_OK && k < 2; k++) {
		const char *key = k == 0 ? "vid" : "pid";
		rc = want_string(v, u, path, key, true);
		if (rc == KYSO_OK &&
		    !is_hex_digits(json_string_value(json_object_get(u, key)), 4)) {
			sub(p, sizeof(p), path, key);
			rc = fail(v, p, "must be 4 hex digits, e.g. \"096E\"");
		}
	}
	if (rc == KYSO_OK)
		rc = want_string(v, u, path, "product", false);
	if (rc == KYSO_OK)
		rc = want_string(v, u, path, "source", false);
	return rc;
}

static kyso_err_t check_atr(vctx_t *v, const json_t *a, const char *path)
{
	static const char *const keys[] = {"atr", "mask", "description", "source", NULL};
	char p[256];
	uint8_t buf[KYSO_ATR_MAX], mbuf[KYSO_ATR_MAX];
	size_t len = 0, mlen = 0;
	if (!json_is_object(a))
		return fail(v, path, "must be an object {\"atr\", \"mask\"}");
	kyso_err_t rc = check_keys(v, a, path, keys);
	if (rc == KYSO_OK)
		rc = want_string(v, a, path, "atr", true);
	if (rc != KYSO_OK)
		return rc;
	sub(p, sizeof(p), path, "atr");
	if (!kyso_atr_parse(json_string_value(json_object_get(a, "atr")), buf, &len) || len < 2)
		return fail(v, p, "must be 2 to 33 bytes of hex");
	if (buf[0] != 0x3B && buf[0] != 0x3F)
		return fail(v, p, "must start with 3B or 3F (TS byte)");
	rc = want_string(v, a, path, "mask", false);
	if (rc == KYSO_OK && json_object_get(a, "mask") != NULL) {
		sub(p, sizeof(p), path, "mask");
		if (!kyso_atr_parse(json_string_value(json_object_get(a, "mask")), mbuf, &mlen))
			return fail(v, p, "must be hex");
		if (mlen != len)
			return fail(v, p, "must have as many bytes as the ATR");
	}
	if (rc == KYSO_OK)
		rc = want_string(v, a, path, "description", false);
	if (rc == KYSO_OK)
		rc = want_string(v, a, path, "source", false);
	return rc;
}

static kyso_err_t check_bundle(vctx_t *v, const json_t *b, const char *path)
{
	static const char *const keys[] = {"file", "sha256", "args", "uninstall_args",
	                                   "kind", "source", NULL};
	char p[256];
	if (!json_is_object(b))
		return fail(v, path, "must be an object {\"file\", \"sha256\", \"args\"}");
	kyso_err_t rc = check_keys(v, b, path, keys);
	if (rc == KYSO_OK)
		rc = want_string(v, b, path, "file", true);
	if (rc == KYSO_OK)
		rc = want_string(v, b, path, "sha256", false);
	if (rc == KYSO_OK && json_object_get(b, "sha256") != NULL &&
	    !is_hex_digits(json_string_value(json_object_get(b, "sha256")), 64)) {
		sub(p, sizeof(p), path, "sha256");
		rc = fail(v, p, "must be 64 hex digits");
	}
	if (rc == KYSO_OK)
		rc = want_string_list(v, b, path, "args");
	if (rc == KYSO_OK)
		rc = want_string_list(v, b, path, "uninstall_args");
	if (rc == KYSO_OK)
		rc = want_string(v, b, path, "kind", false);
	if (rc == KYSO_OK)
		rc = want_string(v, b, path, "source", false);
	return rc;
}

static kyso_err_t check_os_driver(vctx_t *v, const json_t *d, const char *path)
{
	static const char *const keys[] = {"modules", "paths", "packages", "builtin",
	                                   "bundle",  "notes", "source",   NULL};
	char p[256], pi[280];
	if (!json_is_object(d))
		return fail(v, path, "must be an object");
	kyso_err_t rc = check_keys(v, d, path, keys);
	static const char *const lists[] = {"modules", "paths", "packages"};
	for (size_t i = 0; rc == KYSO_OK && i < 3; i++)
		rc = want_string_list(v, d, path, lists[i]);
	if (rc == KYSO_OK)
		rc = want_string(v, d, path, "builtin", false);
	if (rc == KYSO_OK)
		rc = want_string(v, d, path, "notes", false);
	if (rc == KYSO_OK)
		rc = want_string(v, d, path, "source", false);
	const json_t *bundle = json_object_get(d, "bundle");
	if (rc == KYSO_OK && bundle != NULL) {
		sub(p, sizeof(p), path, "bundle");
		if (!json_is_array(bundle))
			return fail(v, p, "must be a list");
		size_t i;
		const json_t *b;
		json_array_foreach(bundle, i, b)
		{
			idx(pi, sizeof(pi), p, i);
			rc = check_bundle(v, b, pi);
			if (rc != KYSO_OK)
				return rc;
		}
	}
	return rc;
}

static kyso_err_t check_driver(vctx_t *v, const json_t *d, const char *path)
{
	static const char *const keys[] = {"linux", "windows", "macos", NULL};
	if (!json_is_object(d))
		return fail(v, path, "must be an object with \"linux\", \"windows\", \"macos\"");
	kyso_err_t rc = check_keys(v, d, path, keys);
	char p[256];
	for (size_t i = 0; rc == KYSO_OK && keys[i] != NULL; i++) {
		const json_t *os = json_object_get(d, keys[i]);
		if (os == NULL)
			continue;
		sub(p, sizeof(p), path, keys[i]);
		rc = check_os_driver(v, os, p);
	}
	return rc;
}

/* A list field whose items are checked by fn. */
static kyso_err_t check_list(vctx_t *v, const json_t *obj, const char *path, const char *key,
                             kyso_err_t (*fn)(vctx_t *, const json_t *, const char *))
{
	char p[256], pi[280];
	const json_t *list = json_object_get(obj, key);
	if (list == NULL)
		return KYSO_OK;
	sub(p, sizeof(p), path, key);
	if (!json_is_array(list))
		return fail(v, p, "must be a list");
	size_t i;
	const json_t *item;
	json_array_foreach(list, i, item)
	{
		idx(pi, sizeof(pi), p, i);
		kyso_err_t rc = fn(v, item, pi);
		if (rc != KYSO_OK)
			return rc;
	}
	return KYSO_OK;
}

static bool id_ok(const char *id)
{
	if (!isalnum((unsigned char)id[0]))
		return false;
	for (const char *c = id; *c != '\0'; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' ||
		      *c == '_' || *c == '.'))
			return false;
	return true;
}

static kyso_err_t check_id(vctx_t *v, const json_t *obj, const char *path)
{
	char p[256];
	kyso_err_t rc = want_string(v, obj, path, "id", true);
	if (rc != KYSO_OK)
		return rc;
	if (!id_ok(json_string_value(json_object_get(obj, "id")))) {
		sub(p, sizeof(p), path, "id");
		return fail(v, p, "must be lower-case letters, digits, '-', '_' or '.'");
	}
	return KYSO_OK;
}

static kyso_err_t check_token(vctx_t *v, const json_t *t, const char *path)
{
	static const char *const keys[] = {"id",      "name",   "vendor", "issuers", "usb", "atr",
	                                   "readers", "driver", "notes",  "source",  NULL};
	if (!json_is_object(t))
		return fail(v, path, "must be an object");
	kyso_err_t rc = check_keys(v, t, path, keys);
	if (rc == KYSO_OK)
		rc = check_id(v, t, path);
	if (rc == KYSO_OK)
		rc = want_string(v, t, path, "name", true);
	if (rc == KYSO_OK)
		rc = want_string(v, t, path, "vendor", false);
	if (rc == KYSO_OK)
		rc = want_string_list(v, t, path, "issuers");
	if (rc == KYSO_OK)
		rc = check_list(v, t, path, "usb", check_usb);
	if (rc == KYSO_OK)
		rc = check_list(v, t, path, "atr", check_atr);
	if (rc == KYSO_OK)
		rc = want_string_list(v, t, path, "readers");
	if (rc == KYSO_OK && json_object_get(t, "driver") != NULL) {
		char p[256];
		sub(p, sizeof(p), path, "driver");
		rc = check_driver(v, json_object_get(t, "driver"), p);
	}
	if (rc == KYSO_OK)
		rc = want_string(v, t, path, "notes", false);
	if (rc == KYSO_OK)
		rc = want_string(v, t, path, "source", false);
	if (rc == KYSO_OK && json_array_size(json_object_get(t, "usb")) == 0 &&
	    json_array_size(json_object_get(t, "atr")) == 0 &&
	    json_array_size(json_object_get(t, "readers")) == 0)
		rc = fail(v, path, "needs at least one of \"usb\", \"atr\", \"readers\"");
	return rc;
}

static kyso_err_t check_ca(vctx_t *v, const json_t *c, const char *path)
{
	static const char *const keys[] = {
	        "id",     "name", "windows_modules", "linux_modules", "macos_modules", "notes",
	        "source", NULL};
	if (!json_is_object(c))
		return fail(v, path, "must be an object");
	kyso_err_t rc = check_keys(v, c, path, keys);
	if (rc == KYSO_OK)
		rc = check_id(v, c, path);
	if (rc == KYSO_OK)
		rc = want_string(v, c, path, "name", true);
	for (size_t i = 2; rc == KYSO_OK && i < 5; i++)
		rc = want_string_list(v, c, path, keys[i]);
	if (rc == KYSO_OK)
		rc = want_string(v, c, path, "notes", false);
	if (rc == KYSO_OK)
		rc = want_string(v, c, path, "source", false);
	return rc;
}

/* Ids must be unique within one list. */
static kyso_err_t check_unique_ids(vctx_t *v, const json_t *list, const char *name)
{
	char p[256];
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *a = json_string_value(json_object_get(json_array_get(list, i), "id"));
		for (size_t j = 0; j < i; j++) {
			const char *b =
			        json_string_value(json_object_get(json_array_get(list, j), "id"));
			if (strcmp(a, b) == 0) {
				path_fmt(p, sizeof(p), "%s[%zu].id", name, i);
				return fail(v, p, "duplicate id in this file");
			}
		}
	}
	return KYSO_OK;
}

kyso_err_t kyso_catalog_validate(const json_t *doc, char *path_out, size_t path_cap, char *problem,
                                 size_t problem_cap)
{
	static const char *const keys[] = {"schema", "tokens", "cas", NULL};
	vctx_t v = {path_out, path_cap, problem, problem_cap};
	if (!json_is_object(doc))
		return fail(&v, "",
		            "the catalog must be a JSON object {\"schema\": 1, \"tokens\": []}");
	kyso_err_t rc = check_keys(&v, doc, "", keys);
	if (rc != KYSO_OK)
		return rc;
	const json_t *schema = json_object_get(doc, "schema");
	if (schema == NULL)
		return fail(&v, "schema", "missing (required, must be 1)");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1)
		return fail(&v, "schema", "unsupported schema version (this kyso reads 1)");
	const json_t *tokens = json_object_get(doc, "tokens");
	if (tokens == NULL)
		return fail(&v, "tokens", "missing (required, a list)");
	rc = check_list(&v, doc, "", "tokens", check_token);
	if (rc == KYSO_OK)
		rc = check_list(&v, doc, "", "cas", check_ca);
	if (rc == KYSO_OK)
		rc = check_unique_ids(&v, tokens, "tokens");
	if (rc == KYSO_OK && json_object_get(doc, "cas") != NULL)
		rc = check_unique_ids(&v, json_object_get(doc, "cas"), "cas");
	return rc;
}
