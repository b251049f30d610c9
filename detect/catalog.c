/* Token catalog: load, validate, merge override files, look up. */
#include "detect_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KYSO_CATALOG_MAX_BYTES ((size_t)4 * 1024 * 1024)

typedef struct {
	kyso_token_type_t *type;
} type_slot_t;

struct kyso_catalog {
	type_slot_t *types;
	size_t n_types;
	char **files;
	size_t n_files;
	json_t *cas; /* array, merged by id */
};

kyso_catalog_t *kyso_catalog_new(void)
{
	kyso_catalog_t *cat = calloc(1, sizeof(*cat));
	if (cat == NULL)
		return NULL;
	cat->cas = json_array();
	if (cat->cas == NULL) {
		free(cat);
		return NULL;
	}
	return cat;
}

static void type_free(kyso_token_type_t *t)
{
	if (t == NULL)
		return;
	free(t->atrs);
	free(t->usb);
	free(t->readers);
	json_decref(t->entry);
	free(t);
}

void kyso_catalog_free(kyso_catalog_t *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->n_types; i++)
		type_free(cat->types[i].type);
	free(cat->types);
	for (size_t i = 0; i < cat->n_files; i++)
		free(cat->files[i]);
	free(cat->files);
	json_decref(cat->cas);
	free(cat);
}

static uint16_t hex16(const char *s)
{
	return (uint16_t)strtoul(s, NULL, 16);
}

/* Compiles a validated entry into lookup tables. */
static kyso_token_type_t *type_new(json_t *entry)
{
	kyso_token_type_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->entry = json_incref(entry);
	t->id = json_string_value(json_object_get(entry, "id"));
	t->name = json_string_value(json_object_get(entry, "name"));
	t->vendor = json_string_value(json_object_get(entry, "vendor"));
	const json_t *atrs = json_object_get(entry, "atr");
	const json_t *usb = json_object_get(entry, "usb");
	const json_t *readers = json_object_get(entry, "readers");
	size_t na = json_array_size(atrs), nu = json_array_size(usb), nr = json_array_size(readers);
	t->atrs = na > 0 ? calloc(na, sizeof(*t->atrs)) : NULL;
	t->usb = nu > 0 ? calloc(nu, sizeof(*t->usb)) : NULL;
	t->readers = nr > 0 ? calloc(nr, sizeof(*t->readers)) : NULL;
	if ((na > 0 && t->atrs == NULL) || (nu > 0 && t->usb == NULL) ||
	    (nr > 0 && t->readers == NULL)) {
		type_free(t);
		return NULL;
	}
	for (size_t i = 0; i < na; i++) {
		const json_t *a = json_array_get(atrs, i);
		kyso_atr_pattern_t *p = &t->atrs[i];
		size_t mlen = 0;
		if (!kyso_atr_parse(json_string_value(json_object_get(a, "atr")), p->atr, &p->len))
			continue; /* validated before: cannot happen */
		const char *mask = json_string_value(json_object_get(a, "mask"));
		p->has_mask =
		        mask != NULL && kyso_atr_parse(mask, p->mask, &mlen) && mlen == p->len;
	}
	t->n_atrs = na;
	for (size_t i = 0; i < nu; i++) {
		const json_t *u = json_array_get(usb, i);
		t->usb[i].vid = hex16(json_string_value(json_object_get(u, "vid")));
		t->usb[i].pid = hex16(json_string_value(json_object_get(u, "pid")));
	}
	t->n_usb = nu;
	for (size_t i = 0; i < nr; i++)
		t->readers[i] = json_string_value(json_array_get(readers, i));
	t->n_readers = nr;
	return t;
}

static kyso_err_t add_file_name(kyso_catalog_t *cat, const char *name)
{
	char **f = realloc(cat->files, (cat->n_files + 1) * sizeof(*f));
	if (f == NULL)
		return KYSO_ERR_NOMEM;
	cat->files = f;
	cat->files[cat->n_files] = strdup(name);
	if (cat->files[cat->n_files] == NULL)
		return KYSO_ERR_NOMEM;
	cat->n_files++;
	return KYSO_OK;
}

static ssize_t find_type(const kyso_catalog_t *cat, const char *id)
{
	for (size_t i = 0; i < cat->n_types; i++)
		if (strcmp(cat->types[i].type->id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Adds or replaces every token type and CA of a validated document. All
 * allocation happens before the catalog changes, so failure leaves it as is. */
static kyso_err_t merge(kyso_catalog_t *cat, json_t *doc)
{
	const json_t *tokens = json_object_get(doc, "tokens");
	size_t n = json_array_size(tokens);
	type_slot_t *fresh = n > 0 ? calloc(n, sizeof(*fresh)) : NULL;
	if (n > 0 && fresh == NULL)
		return KYSO_ERR_NOMEM;
	type_slot_t *grown = realloc(cat->types, (cat->n_types + n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(fresh);
		return KYSO_ERR_NOMEM;
	}
	cat->types = grown;
	for (size_t i = 0; i < n; i++) {
		fresh[i].type = type_new(json_array_get(tokens, i));
		if (fresh[i].type == NULL) {
			for (size_t j = 0; j < i; j++)
				type_free(fresh[j].type);
			free(fresh);
			return KYSO_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		ssize_t at = find_type(cat, fresh[i].type->id);
		if (at >= 0) {
			type_free(cat->types[at].type);
			cat->types[at] = fresh[i];
		} else {
			cat->types[cat->n_types++] = fresh[i];
		}
	}
	free(fresh);
	const json_t *cas = json_object_get(doc, "cas");
	size_t i;
	json_t *ca;
	json_array_foreach(cas, i, ca)
	{
		const char *id = json_string_value(json_object_get(ca, "id"));
		size_t j;
		json_t *old;
		bool replaced = false;
		json_array_foreach(cat->cas, j, old)
		{
			if (strcmp(json_string_value(json_object_get(old, "id")), id) == 0) {
				if (json_array_set(cat->cas, j, ca) != 0)
					return KYSO_ERR_NOMEM;
				replaced = true;
				break;
			}
		}
		if (!replaced && json_array_append(cat->cas, ca) != 0)
			return KYSO_ERR_NOMEM;
	}
	return KYSO_OK;
}

kyso_err_t kyso_catalog_add_json(kyso_catalog_t *cat, const char *name, const char *text,
                                 size_t len, kyso_error_t *err)
{
	json_error_t jerr;
	if (cat == NULL || text == NULL)
		return kyso_error_set(err, KYSO_ERR_USAGE, "kyso_catalog_add_json: no input");
	if (name == NULL)
		name = "<catalog>";
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_CATALOG,
		                      _("token catalog %s:%d: not valid JSON: %s"), name, jerr.line,
		                      jerr.text);
	char path[256], problem[160];
	kyso_err_t rc = kyso_catalog_validate(doc, path, sizeof(path), problem, sizeof(problem));
	if (rc != KYSO_OK) {
		int line = kyso_json_locate_line(text, len, path);
		kyso_error_set(err, KYSO_ERR_BAD_CATALOG, _("token catalog %s:%d: field %s: %s"),
		               name, line, *path != '\0' ? path : "(top)", problem);
		json_decref(doc);
		return KYSO_ERR_BAD_CATALOG;
	}
	rc = merge(cat, doc);
	if (rc == KYSO_OK)
		rc = add_file_name(cat, name);
	json_decref(doc);
	if (rc != KYSO_OK)
		return kyso_error_set(err, rc, "%s", kyso_strerr(rc));
	kyso_debug("catalog: loaded %s (%zu token types in total)", name, cat->n_types);
	return KYSO_OK;
}

kyso_err_t kyso_catalog_add_file(kyso_catalog_t *cat, const char *path, kyso_error_t *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_error_t ferr;
	kyso_error_clear(&ferr);
	kyso_err_t rc = kyso_file_read_all(path, KYSO_CATALOG_MAX_BYTES, &data, &len, &ferr);
	if (rc != KYSO_OK) {
		kyso_error_set(err, KYSO_ERR_BAD_CATALOG, _("cannot read token catalog %s: %s"),
		               path, kyso_error_message(&ferr));
		return KYSO_ERR_BAD_CATALOG;
	}
	rc = kyso_catalog_add_json(cat, path, (const char *)data, len, err);
	free(data);
	return rc;
}

/* dir/name into dst; false when it does not fit (then it is not used). */
static bool join(char *dst, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(dst, cap, "%s/%s", dir, name);
	return n > 0 && (size_t)n < cap;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every <dir>/NAME.json, in name order. */
static kyso_err_t add_dir(kyso_catalog_t *cat, const char *dir, kyso_error_t *err)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return KYSO_OK; /* no override directory: fine */
	char **names = NULL;
	size_t n = 0;
	kyso_err_t rc = KYSO_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 6 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		char **g = realloc(names, (n + 1) * sizeof(*g));
		if (g == NULL) {
			rc = KYSO_ERR_NOMEM;
			break;
		}
		names = g;
		names[n] = strdup(e->d_name);
		if (names[n] == NULL) {
			rc = KYSO_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; rc == KYSO_OK && i < n; i++) {
		char path[4096];
		if (join(path, sizeof(path), dir, names[i]) && is_file(path))
			rc = kyso_catalog_add_file(cat, path, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == KYSO_ERR_NOMEM)
		kyso_error_set(err, rc, "%s", kyso_strerr(rc));
	return rc;
}

kyso_catalog_t *kyso_catalog_load(const char *base_file, kyso_error_t *err)
{
	char path[4096];
	kyso_catalog_t *cat = kyso_catalog_new();
	if (cat == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, "%s", kyso_strerr(KYSO_ERR_NOMEM));
		return NULL;
	}
	if (base_file == NULL) {
		if (!join(path, sizeof(path), kyso_path_data(), "tokens.json"))
			path[0] = '\0';
		base_file = path;
	}
	kyso_err_t rc = kyso_catalog_add_file(cat, base_file, err);
	if (rc == KYSO_OK) {
		if (join(path, sizeof(path), kyso_path_config_system(), "tokens.json") &&
		    is_file(path))
			rc = kyso_catalog_add_file(cat, path, err);
	}
	if (rc == KYSO_OK) {
		if (join(path, sizeof(path), kyso_path_config_system(), "tokens.d"))
			rc = add_dir(cat, path, err);
	}
	if (rc == KYSO_OK) {
		if (join(path, sizeof(path), kyso_path_config_user(), "tokens.json") &&
		    is_file(path))
			rc = kyso_catalog_add_file(cat, path, err);
	}
	if (rc != KYSO_OK) {
		kyso_catalog_free(cat);
		return NULL;
	}
	return cat;
}

size_t kyso_catalog_count(const kyso_catalog_t *cat)
{
	return cat != NULL ? cat->n_types : 0;
}

const kyso_token_type_t *kyso_catalog_at(const kyso_catalog_t *cat, size_t i)
{
	return cat != NULL && i < cat->n_types ? cat->types[i].type : NULL;
}

const kyso_token_type_t *kyso_catalog_find(const kyso_catalog_t *cat, const char *id)
{
	if (cat == NULL || id == NULL)
		return NULL;
	ssize_t i = find_type(cat, id);
	return i >= 0 ? cat->types[i].type : NULL;
}

size_t kyso_catalog_file_count(const kyso_catalog_t *cat)
{
	return cat != NULL ? cat->n_files : 0;
}

const char *kyso_catalog_file_at(const kyso_catalog_t *cat, size_t i)
{
	return cat != NULL && i < cat->n_files ? cat->files[i] : NULL;
}

const json_t *kyso_catalog_cas(const kyso_catalog_t *cat)
{
	return cat != NULL ? cat->cas : NULL;
}

const char *kyso_token_type_id(const kyso_token_type_t *t)
{
	return t != NULL ? t->id : NULL;
}

const char *kyso_token_type_name(const kyso_token_type_t *t)
{
	return t != NULL ? t->name : NULL;
}

const char *kyso_token_type_vendor(const kyso_token_type_t *t)
{
	return t != NULL ? t->vendor : NULL;
}

const json_t *kyso_token_type_json(const kyso_token_type_t *t)
{
	return t != NULL ? t->entry : NULL;
}

const char *kyso_detect_os(void)
{
	return KYSO_DETECT_OS;
}

const json_t *kyso_token_type_driver(const kyso_token_type_t *t, const char *os)
{
	if (t == NULL)
		return NULL;
	return json_object_get(json_object_get(t->entry, "driver"),
	                       os != NULL ? os : kyso_detect_os());
}

bool kyso_token_type_match_atr(const kyso_token_type_t *t, const uint8_t *atr, size_t len)
{
	for (size_t i = 0; t != NULL && i < t->n_atrs; i++)
		if (kyso_atr_pattern_match(&t->atrs[i], atr, len))
			return true;
	return false;
}

bool kyso_token_type_match_usb(const kyso_token_type_t *t, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; t != NULL && i < t->n_usb; i++)
		if (t->usb[i].vid == vid && t->usb[i].pid == pid)
			return true;
	return false;
}

bool kyso_token_type_match_reader(const kyso_token_type_t *t, const char *reader_name)
{
	for (size_t i = 0; t != NULL && reader_name != NULL && i < t->n_readers; i++)
		if (kyso_glob_match(t->readers[i], reader_name))
			return true;
	return false;
}
