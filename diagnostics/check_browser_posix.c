/* Check: the browsers can reach kyso-agent. Per browser and profile:
 *   - the agent's local CA is trusted for TLS in the NSS database the browser
 *     reads (Chromium/Chrome/Edge: ~/.pki/nssdb; each Firefox profile);
 *   - Chrome, Chromium and Edge (when installed) have a managed policy that
 *     pre-approves each configured web-system origin for loopback access
 *     (LoopbackNetworkAllowedForUrls / LocalNetworkAccessAllowedForUrls).
 * $KYSO_ROOT prefixes the system paths (staging root, as kyso setup).
 * The NSS databases are read directly (cert9.db is SQLite); certutil runs
 * only for a database that cannot be read that way. */
#include "doctor_int.h"

#include <dirent.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *dir;
	const char *bins[3];
} chromes[] = {
        {"Google Chrome", "/etc/opt/chrome/policies/managed", {"/opt/google/chrome/chrome", NULL}},
        {"Chromium",
         "/etc/chromium/policies/managed",
         {"/usr/bin/chromium", "/usr/lib/chromium/chromium", "/snap/bin/chromium"}},
        {"Microsoft Edge",
         "/etc/opt/edge/policies/managed",
         {"/opt/microsoft/msedge/msedge", NULL}},
};

static const char *root(void)
{
	const char *r = getenv("KYSO_ROOT");
	return r != NULL ? r : "";
}

static bool installed(size_t i)
{
	for (size_t k = 0; k < 3 && chromes[i].bins[k] != NULL; k++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", root(), chromes[i].bins[k]);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* Runs certutil; true when it exits 0 (stdout in out, NUL-terminated). */
static bool certutil_ok(const char *const argv[], kyso_buf_t *out)
{
	int status = -1;
	kyso_error_t e;
	kyso_error_clear(&e);
	return kyso_spawn(argv, out, 1u << 20, 20000, &status, &e) == KYSO_OK && status == 0 &&
	       kyso_buf_append(out, "", 1) == KYSO_OK;
}

/* Is the certificate under nick in db (DER, certutil -r) the CA? */
static bool nick_is_ca(const char *dbarg, const char *nick, X509 *ca)
{
	const char *argv[] = {"certutil", "-L", "-d", dbarg, "-n", nick, "-r", NULL};
	kyso_buf_t der;
	kyso_buf_init(&der);
	bool same = false;
	if (certutil_ok(argv, &der)) {
		const unsigned char *p = der.data;
		X509 *x = d2i_X509(NULL, &p, (long)der.len - 1);
		same = x != NULL && X509_cmp(x, ca) == 0;
		X509_free(x);
	}
	kyso_buf_free(&der);
	return same;
}

/* The same question answered from db/cert9.db itself (SQLite, read-only),
 * without starting certutil: a certificate object (CKA_CLASS, column a0)
 * whose CKA_VALUE (a11) is the CA, and an NSS trust object for the same
 * issuer and serial (a81, a82) with CKA_TRUST_SERVER_AUTH or
 * CKA_TRUST_CLIENT_AUTH (ace536358/9) CKT_NSS_TRUSTED_DELEGATOR ("C"/"T").
 * NSS stores CK_ULONGs as 4 big-endian bytes. 1 trusted, 0 not, -1 the
 * file cannot be read this way (no cert9.db, another layout). */
static int ca_trusted_sqlite(const char *db, X509 *ca)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/cert9.db", db);
	if (access(path, R_OK) != 0)
		return -1;
	unsigned char *der = NULL;
	int dl = i2d_X509(ca, &der);
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int r = -1;
	if (dl > 0 && sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h,
	                       "SELECT t.ace536358, t.ace536359 FROM nssPublic c JOIN nssPublic t"
	                       " ON t.a0 = X'CE534353' AND t.a81 = c.a81 AND t.a82 = c.a82"
	                       " WHERE c.a0 = X'00000001' AND c.a11 = ?",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 1, der, dl, SQLITE_STATIC) == SQLITE_OK) {
		static const unsigned char delegator[4] = {0xCE, 0x53, 0x43, 0x52};
		int step;
		r = 0;
		while (r == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
			for (int col = 0; col < 2; col++)
				if (sqlite3_column_bytes(st, col) == 4 &&
				    memcmp(sqlite3_column_blob(st, col), delegator, 4) == 0)
					r = 1;
		}
		if (r == 0 && step != SQLITE_DONE)
			r = -1;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	OPENSSL_free(der);
	return r;
}

/* Is the CA in db, under any nickname, with a TLS trust flag ("C" or "T")? */
static bool ca_trusted(const char *db, X509 *ca)
{
	int fast = ca_trusted_sqlite(db, ca);
	if (fast >= 0)
		return fast == 1;
	char dbarg[4200];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"certutil", "-L", "-d", dbarg, NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	bool found = false;
	if (certutil_ok(argv, &out)) {
		/* "nickname<spaces>C,," after the header lines */
		char *save = NULL;
		for (char *l = strtok_r((char *)out.data, "\n", &save); l != NULL && !found;
		     l = strtok_r(NULL, "\n", &save)) {
			char *end = l + strlen(l);
			while (end > l && (end[-1] == ' ' || end[-1] == '\r'))
				*--end = '\0';
			char *trust = strrchr(l, ' ');
			/* the SSL field is the part before the first comma */
			if (trust == NULL || strchr(trust, ',') == NULL ||
			    strcspn(trust + 1, "CT") >= strcspn(trust + 1, ","))
				continue;
			while (trust > l && trust[-1] == ' ')
				trust--;
			*trust = '\0';
			found = nick_is_ca(dbarg, l, ca);
		}
	}
	kyso_buf_free(&out);
	return found;
}

/* Does some *.json file in dir pre-approve origin (normalised)? */
static bool policy_allows(const char *dir, const char *origin)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool ok = false;
	const struct dirent *de;
	while (!ok && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		char p[4200];
		if (!kyso_str_printf(p, sizeof(p), "%s/%s", dir, de->d_name))
			continue;
		kyso_error_t e;
		kyso_error_clear(&e);
		json_t *doc = kyso_json_load_file(p, &e);
		const char *keys[] = {"LoopbackNetworkAllowedForUrls",
		                      "LocalNetworkAccessAllowedForUrls"};
		for (size_t k = 0; k < 2 && !ok; k++) {
			size_t i;
			const json_t *v;
			json_array_foreach(json_object_get(doc, keys[k]), i, v)
			{
				char norm[512];
				if (json_string_value(v) == NULL)
					continue;
				kyso_doctor_origin_norm(json_string_value(v), norm, sizeof(norm));
				if (strcmp(norm, origin) == 0)
					ok = true;
			}
		}
		json_decref(doc);
	}
	closedir(d);
	return ok;
}

static X509 *read_ca(const doctor_t *d)
{
	char p[4200];
	if (d->o->agent_ca != NULL)
		snprintf(p, sizeof(p), "%s", d->o->agent_ca);
	else
		snprintf(p, sizeof(p), "%s/agent/ca.pem", kyso_path_state_user());
	BIO *b = BIO_new_file(p, "r");
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static void check_trust(const doctor_t *d, json_t *profiles, json_t *untrusted)
{
	X509 *ca = read_ca(d);
	const char *home = getenv("HOME");
	char **dbs = kyso_nss_dbs_find(root(), home != NULL ? home : "/");
	kyso_doctor_personal_profiles(dbs);
	char sysdb[4200];
	snprintf(sysdb, sizeof(sysdb), "%s/etc/pki/nssdb", root());
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		if (strcmp(dbs[i], sysdb) == 0)
			continue;
		bool ff = strstr(dbs[i], "firefox") != NULL;
		const char *slash = strrchr(dbs[i], '/');
		bool ok = ca != NULL && ca_trusted(dbs[i], ca);
		json_array_append_new(profiles,
		                      json_pack("{s:s, s:s, s:s, s:b}", "browser",
		                                ff ? "Firefox" : "Chrome/Chromium/Edge", "profile",
		                                ff && slash != NULL ? slash + 1 : "default",
		                                "nssdb", dbs[i], "ca_trusted", ok));
		if (!ok)
			json_array_append_new(untrusted, json_string(dbs[i]));
	}
	kyso_strv_free(dbs);
	X509_free(ca);
}

check_status_t kyso_doctor_check_browser(doctor_t *d, check_t *c)
{
	json_t *profiles = json_array(), *untrusted = json_array();
	json_t *policies = json_array(), *missing = json_array();
	check_trust(d, profiles, untrusted);
	const json_t *origins = d->origins;
	size_t nb = 0;
	for (size_t i = 0; i < sizeof(chromes) / sizeof(chromes[0]); i++) {
		if (!installed(i))
			continue;
		nb++;
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s%s", root(), chromes[i].dir);
		size_t k;
		const json_t *v;
		json_t *lack = json_array();
		json_array_foreach(origins, k, v)
		{
			char o[512];
			if (json_string_value(v) == NULL)
				continue;
			kyso_doctor_origin_norm(json_string_value(v), o, sizeof(o));
			if (!policy_allows(dir, o)) {
				json_array_append_new(lack, json_string(o));
				json_array_append_new(missing,
				                      json_sprintf("%s: %s", chromes[i].name, o));
			}
		}
		json_array_append_new(policies,
		                      json_pack("{s:s, s:s, s:o}", "browser", chromes[i].name,
		                                "dir", dir, "origins_missing", lack));
	}
	kyso_doctor_ck_data(c, "profiles", profiles);
	kyso_doctor_ck_data(c, "policies", policies);
	check_status_t st;
	if (json_array_size(profiles) == 0 && nb == 0) {
		st = kyso_doctor_ck_skip(
		        c, _("No browser found (no Chromium, Chrome, Edge, no Firefox profile)."));
	} else {
		char pass[256];
		snprintf(pass, sizeof(pass),
		         _("The agent's CA is trusted in %zu browser profile(s); %zu browser(s) "
		           "pre-approve the web system."),
		         json_array_size(profiles), nb);
		char *u = json_dumps(untrusted, JSON_COMPACT);
		const char *first = json_string_value(json_array_get(origins, 0));
		json_t *um = json_sprintf(
		        _("kyso-agent's local CA is not trusted in these browser profiles: %s. "
		          "Web pages cannot open the secure connection to the agent."),
		        u != NULL ? u : "");
		json_t *mr = json_sprintf(
		        _("Run \"sudo kyso setup --repair\" (it writes the policy). Without "
		          "administrator rights: open %s, click the icon left of the address, "
		          "Site settings, and set \"Local network access\" to Allow."),
		        first != NULL ? first : _("the web system"));
		const kyso_doctor_browser_texts_t t = {
		        .untrusted = json_string_value(um),
		        .missing_remedy = json_string_value(mr),
		        .both_remedy = _("Run \"sudo kyso setup --repair\", then close and reopen "
		                         "the browser."),
		        .untrusted_remedy =
		                _("Run \"sudo kyso setup --repair\" (it trusts the agent's "
		                  "CA in every browser profile), then close and reopen the "
		                  "browser."),
		        .no_origin_remedy = _("Run \"sudo kyso setup --origin "
		                              "https://ADDRESS-OF-THE-WEB-SYSTEM\"."),
		        .pass = pass,
		};
		st = kyso_doctor_browser_verdict(c, &t, untrusted, missing, origins);
		json_decref(um);
		json_decref(mr);
		free(u);
	}
	json_decref(untrusted);
	json_decref(missing);
	return st;
}
