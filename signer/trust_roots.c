/* Document trust anchors: data/roots (categories and fingerprints from
 * roots.tsv), roots.d, --ca files, optionally the system store; the shipped
 * intermediates as untrusted helpers (data/roots/README.md). */
#include "kyso_platform.h"
#include "kyso_trust.h"
#include "sign_int.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 64

struct listed {
	char sha256[65];
	char category[16];
};

struct kyso_trust {
	X509_STORE *store;
	STACK_OF(X509) * shipped; /* shipped anchors, category in cat[] by index */
	const char *cat[MAX_LISTED * 2];
	STACK_OF(X509) * local;   /* roots.d and --ca */
	STACK_OF(X509) * helpers; /* shipped intermediates */
	json_t *sources;
	struct listed listed[MAX_LISTED];
	size_t nlisted;
	bool have_tsv;
	int system_roots; /* from the OS store: -1 looked up lazily, 0 none */
};

static void sha256_hex(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32)
		kyso_hex_encode(md, n, out);
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
}

static void read_tsv(kyso_trust_t *t, const char *dir)
{
	char path[4200];
	FILE *f =
	        kyso_str_printf(path, sizeof(path), "%s/roots.tsv", dir) ? fopen(path, "r") : NULL;
	if (f == NULL)
		return;
	t->have_tsv = true;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL && t->nlisted < MAX_LISTED) {
		char file[200], cat[16], fp[80];
		if (line[0] == '#' || sscanf(line, "%199s %15s %79s", file, cat, fp) != 3 ||
		    strlen(fp) != 64)
			continue;
		struct listed *l = &t->listed[t->nlisted++];
		snprintf(l->sha256, sizeof(l->sha256), "%s", fp);
		snprintf(l->category, sizeof(l->category), "%s", cat);
	}
	fclose(f);
}

static const char *listed_category(kyso_trust_t *t, X509 *x)
{
	char fp[65];
	sha256_hex(x, fp);
	for (size_t i = 0; i < t->nlisted; i++)
		if (strcmp(t->listed[i].sha256, fp) == 0)
			return t->listed[i].category;
	return NULL;
}

static bool cert_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL &&
	       (strcmp(dot, ".pem") == 0 || strcmp(dot, ".crt") == 0 || strcmp(dot, ".cer") == 0);
}

enum kind { SHIPPED, LOCAL, HELPER };

static void add_cert(kyso_trust_t *t, X509 *x, enum kind k, const char *path)
{
	if (kyso_trust_is_agent_ca(x)) {
		kyso_warn("%s: the kyso agent's local CA is never a document trust anchor", path);
		return;
	}
	const char *cat = NULL;
	if (k == SHIPPED && t->have_tsv) {
		cat = listed_category(t, x);
		if (cat == NULL) {
			kyso_warn("%s: not listed in roots.tsv (fingerprint), not loaded", path);
			return;
		}
	}
	STACK_OF(X509) *s = k == SHIPPED ? t->shipped : k == LOCAL ? t->local : t->helpers;
	if (k == SHIPPED && sk_X509_num(s) >= MAX_LISTED * 2)
		return;
	if (!X509_up_ref(x))
		return;
	int idx = sk_X509_push(s, x);
	if (idx <= 0) {
		X509_free(x);
		return;
	}
	if (k == SHIPPED)
		t->cat[idx - 1] = cat;
	if (k != HELPER && !X509_STORE_add_cert(t->store, x))
		ERR_clear_error(); /* a duplicate */
}

static void load_file(kyso_trust_t *t, const char *path, enum kind k)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	kyso_error_t e;
	kyso_error_clear(&e);
	if (certs != NULL && kyso_cms_load_certs(path, certs, &e) == KYSO_OK) {
		for (int i = 0; i < sk_X509_num(certs); i++)
			add_cert(t, sk_X509_value(certs, i), k, path);
		if (k != HELPER)
			json_array_append_new(t->sources, json_string(path));
	} else {
		kyso_warn("cannot read trust anchor %s: %s", path, kyso_error_message(&e));
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
}

/* Every certificate file in dir; with depth > 0 its subdirectories too. */
static void load_dir(kyso_trust_t *t, const char *dir, enum kind k, int depth)
{
	DIR *dh = opendir(dir);
	if (dh == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (cert_file(e->d_name))
			load_file(t, path, k);
		else if (depth > 0 && strchr(e->d_name, '.') == NULL)
			load_dir(t, path, k, depth - 1);
	}
	closedir(dh);
}

kyso_trust_t *kyso_trust_new(const kyso_trust_opts_t *o, kyso_error_t *err)
{
	kyso_trust_t *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->store = X509_STORE_new()) == NULL ||
	    (t->shipped = sk_X509_new_null()) == NULL || (t->local = sk_X509_new_null()) == NULL ||
	    (t->helpers = sk_X509_new_null()) == NULL || (t->sources = json_array()) == NULL) {
		kyso_trust_free(&t);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	if (!o->no_installed) {
		char dir[4200];
		const char *env = getenv("KYSO_ROOTS_DIR");
		if (env != NULL && *env != '\0')
			snprintf(dir, sizeof(dir), "%s", env);
		else
			snprintf(dir, sizeof(dir), "%s/roots", kyso_path_data());
		read_tsv(t, dir);
		load_dir(t, dir, SHIPPED, 0);
		char sub[4300];
		snprintf(sub, sizeof(sub), "%s/intermediates", dir);
		load_dir(t, sub, HELPER, 1);
		load_dir(t, kyso_path_roots_local(), LOCAL, 0);
	}
	for (size_t i = 0; o->ca_files != NULL && o->ca_files[i] != NULL; i++) {
		STACK_OF(X509) *certs = sk_X509_new_null();
		kyso_err_t rc = certs != NULL ? kyso_cms_load_certs(o->ca_files[i], certs, err)
		                              : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		for (int k = 0; rc == KYSO_OK && k < sk_X509_num(certs); k++)
			add_cert(t, sk_X509_value(certs, k), LOCAL, o->ca_files[i]);
		sk_X509_pop_free(certs, X509_free);
		if (rc != KYSO_OK) {
			kyso_trust_free(&t);
			return NULL;
		}
		json_array_append_new(t->sources, json_string(o->ca_files[i]));
	}
	if (o->system_ca) {
		kyso_error_t serr;
		kyso_error_clear(&serr);
		if (kyso_trust_load_roots(t->store, &t->system_roots, &serr) == KYSO_OK)
			json_array_append_new(t->sources, json_string("system"));
		else
			kyso_warn("%s", kyso_error_message(&serr));
	}
	ERR_clear_error();
	return t;
}

void kyso_trust_free(kyso_trust_t **pt)
{
	kyso_trust_t *t = pt != NULL ? *pt : NULL;
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->shipped, X509_free);
	sk_X509_pop_free(t->local, X509_free);
	sk_X509_pop_free(t->helpers, X509_free);
	json_decref(t->sources);
	free(t);
	*pt = NULL;
}

X509_STORE *kyso_trust_store(kyso_trust_t *t)
{
	return t->store;
}

int kyso_trust_system_roots(const kyso_trust_t *t)
{
	return t->system_roots;
}

json_t *kyso_trust_sources(kyso_trust_t *t)
{
	return t->sources;
}

static int find_cert(STACK_OF(X509) * s, X509 *x)
{
	for (int i = 0; i < sk_X509_num(s); i++)
		if (X509_cmp(sk_X509_value(s, i), x) == 0)
			return i;
	return -1;
}

/* A shipped intermediate's unknown critical extension (FPT TSA's critical
 * AIA, README "Known quirks") is accepted; nothing else is. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION)
		return ok;
	kyso_trust_t *t = X509_STORE_CTX_get_app_data(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	if (t != NULL && cur != NULL && find_cert(t->helpers, cur) >= 0 &&
	    X509_get_ext_by_critical(cur, 1, -1) >= 0 &&
	    X509_get_ext_by_NID(cur, NID_info_access, -1) >= 0 &&
	    X509_EXTENSION_get_critical(
	            X509_get_ext(cur, X509_get_ext_by_NID(cur, NID_info_access, -1))) == 1) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

/* A CA limited to TLS servers (EKU serverAuth only) cannot vouch for a
 * document signer; the kyso agent's local CA is one. */
static bool tls_only_ca(X509 *x)
{
	if (X509_check_ca(x) == 0)
		return false;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	if (eku == NULL)
		return false;
	bool only = sk_ASN1_OBJECT_num(eku) > 0;
	for (int i = 0; only && i < sk_ASN1_OBJECT_num(eku); i++)
		only = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_server_auth;
	EXTENDED_KEY_USAGE_free(eku);
	return only;
}

bool kyso_trust_is_agent_ca(X509 *x)
{
	char cn[256] = "", o[64] = "";
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn));
	X509_NAME_get_text_by_NID(n, NID_organizationName, o, sizeof(o));
	ERR_clear_error();
	return X509_check_ca(x) != 0 &&
	       ((strcmp(o, "kyso") == 0 && strncmp(cn, "kyso local CA", 13) == 0) ||
	        tls_only_ca(x));
}

void kyso_trust_verify(kyso_trust_t *t, X509 *x, STACK_OF(X509) * extra, time_t at,
                       kyso_trust_result_t *r)
{
	memset(r, 0, sizeof(*r));
	r->error = X509_V_ERR_UNSPECIFIED;
	STACK_OF(X509) *pool = sk_X509_dup(t->helpers);
	for (int i = 0; pool != NULL && extra != NULL && i < sk_X509_num(extra); i++)
		if (!sk_X509_push(pool, sk_X509_value(extra, i)))
			break;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (pool != NULL && ctx != NULL && X509_STORE_CTX_init(ctx, t->store, x, pool)) {
		X509_STORE_CTX_set_app_data(ctx, t);
		X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
		if (at != 0)
			X509_STORE_CTX_set_time(ctx, 0, at);
		else
			X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		r->ok = X509_verify_cert(ctx) == 1;
		r->error = r->ok ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
		r->chain = X509_STORE_CTX_get1_chain(ctx);
	}
	for (int i = 1; r->chain != NULL && i < sk_X509_num(r->chain); i++)
		if (kyso_trust_is_agent_ca(sk_X509_value(r->chain, i)))
			r->local_agent_ca = true;
	if (r->local_agent_ca && r->ok) {
		r->ok = false;
		r->error = X509_V_ERR_INVALID_PURPOSE;
	}
	int n = r->chain != NULL ? sk_X509_num(r->chain) : 0;
	X509 *top = n > 0 ? sk_X509_value(r->chain, n - 1) : NULL;
	if (r->ok && top != NULL) {
		int i = find_cert(t->shipped, top);
		r->category = i >= 0 ? (t->cat[i] != NULL ? t->cat[i] : "local")
		              : find_cert(t->local, top) >= 0 ? "local"
		                                              : "system";
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_free(pool);
	ERR_clear_error();
}

void kyso_trust_result_clear(kyso_trust_result_t *r)
{
	sk_X509_pop_free(r->chain, X509_free);
	r->chain = NULL;
}

const char *kyso_trust_category_text(const char *c)
{
	if (c == NULL)
		return "-";
	if (strcmp(c, "neac") == 0)
		return _("public digital signature (NEAC, Vietnam National Root CA)");
	if (strcmp(c, "government") == 0)
		return _("government special-purpose digital signature (Government Cipher "
		         "Committee)");
	if (strcmp(c, "tsa") == 0)
		return _("time-stamping only (NEAC TSA root)");
	if (strcmp(c, "legacy-sha1") == 0)
		return _("legacy SHA-1 root (MIC National Root CA)");
	if (strcmp(c, "local") == 0)
		return _("an anchor your organisation added (roots.d or --ca)");
	if (strcmp(c, "system") == 0)
		return _("the operating system's trust store");
	return c;
}
