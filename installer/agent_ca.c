/* The agent's local CA: created by kyso-agent in its state directory
 * (name-constrained to localhost / 127.0.0.1 / ::1, key mode 0600), then
 * trusted where browsers look: the system store (update-ca-certificates),
 * Chromium's ~/.pki/nssdb and every Firefox profile (certutil, "C,,").
 * Every change is journaled first. */
#include "setup_int.h"
#include "kyso_platform.h"

#include <errno.h>
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every permitted subtree is localhost, 127.0.0.1/32 or ::1/128, and there
 * is at least one. */
static bool constrained_to_loopback(X509 *x)
{
	int crit = 0;
	NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	if (nc == NULL)
		return false;
	static const unsigned char v4[] = {127, 0, 0, 1, 255, 255, 255, 255};
	static const unsigned char v6[] = {0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	                                   0,   0,   0,   0,   1,   255, 255, 255, 255, 255, 255,
	                                   255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
	int n = nc->permittedSubtrees != NULL ? sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) : 0;
	bool ok = n > 0;
	for (int i = 0; ok && i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *d = g->d.dNSName;
			ok = ASN1_STRING_length(d) == 9 &&
			     memcmp(ASN1_STRING_get0_data(d), "localhost", 9) == 0;
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *ip = g->d.iPAddress;
			int len = ASN1_STRING_length(ip);
			const unsigned char *b = ASN1_STRING_get0_data(ip);
			ok = (len == 8 && memcmp(b, v4, 8) == 0) ||
			     (len == 32 && memcmp(b, v6, 32) == 0);
		} else {
			ok = false;
		}
	}
	NAME_CONSTRAINTS_free(nc);
	return ok;
}

static X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

bool kyso_setup_pem_same_cert(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	X509 *x = pem_cert(a), *y = pem_cert(b);
	bool same = x != NULL && y != NULL && X509_cmp(x, y) == 0;
	X509_free(x);
	X509_free(y);
	return same;
}

char *kyso_setup_local_ca_read(const char *state_dir, kyso_error_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ca.pem", state_dir);
	char *pem = kyso_setup_read_text(path);
	if (pem == NULL) {
		kyso_error_set(err, KYSO_ERR_NOT_FOUND, _("%s is missing"), path);
		return NULL;
	}
	X509 *x = pem_cert(pem);
	bool ok = x != NULL && X509_check_ca(x) == 1 && constrained_to_loopback(x);
	X509_free(x);
	if (!ok) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		               _("%s is not a CA certificate limited (name constraints) to "
		                 "localhost, 127.0.0.1 and ::1: kyso does not trust it; move the "
		                 "directory away and run kyso setup again"),
		               path);
		free(pem);
		return NULL;
	}
	return pem;
}

static X509 *file_cert(const char *path)
{
	char *pem = kyso_setup_read_text(path);
	X509 *x = pem != NULL ? pem_cert(pem) : NULL;
	free(pem);
	return x;
}

bool kyso_setup_local_ca_stale(const char *state_dir, const char **why)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ca-key.pem", state_dir);
	if (access(path, F_OK) == 0) {
		*why = _("the CA's private key is on disk (older kyso): a new CA without a "
		         "stored key replaces it");
		return true;
	}
	snprintf(path, sizeof(path), "%s/ca.pem", state_dir);
	X509 *ca = file_cert(path);
	snprintf(path, sizeof(path), "%s/cert.pem", state_dir);
	X509 *leaf = file_cert(path);
	time_t soon = time(NULL) + 30 * 86400;
	bool stale = false;
	if (ca != NULL && ((X509_get_extension_flags(ca) & EXFLAG_XKUSAGE) == 0 ||
	                   (X509_get_extended_key_usage(ca) & XKU_SSL_SERVER) == 0)) {
		*why = _("the CA is not limited to TLS servers: a new CA replaces it");
		stale = true;
	} else if (ca != NULL &&
	           (leaf == NULL || X509_cmp_time(X509_get0_notAfter(leaf), &soon) < 0)) {
		*why = _("the agent's certificate expires within 30 days: a new CA and "
		         "certificate replace the old ones");
		stale = true;
	}
	X509_free(ca);
	X509_free(leaf);
	return stale;
}

/* The state directory: its missing parents journaled as directories, the
 * directory itself (0700, created here) as a tree undo removes entirely —
 * the agent adds its server certificate and work files there later. */
static kyso_err_t state_dir_prepare(const char *dir, kyso_setup_journal_t *j, bool *created,
                                    kyso_error_t *err)
{
	struct stat st;
	*created = false;
	/* root never creates the user's state through a link the user planted */
	kyso_err_t rc = kyso_path_check_links(dir, err);
	if (rc != KYSO_OK)
		return rc;
	if (stat(dir, &st) == 0)
		return KYSO_OK;
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash == NULL)
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s", dir);
	*slash = '\0';
	/* the top directory kyso creates: .../kyso when it is missing, else the agent dir */
	char top[PATH_MAX];
	snprintf(top, sizeof(top), "%s", stat(parent, &st) == 0 ? dir : parent);
	char *tslash = strrchr(top, '/');
	char grand[PATH_MAX];
	snprintf(grand, sizeof(grand), "%.*s", (int)(tslash - top), top);
	rc = kyso_setup_jfs_mkdirs(j, grand, err);
	if (rc != KYSO_OK)
		return rc;
	rc = kyso_setup_journal_add(j, json_pack("{s:s, s:s}", "op", "tree", "path", top), err);
	if (rc != KYSO_OK)
		return rc;
	if (mkdir(top, 0700) != 0 && errno != EEXIST)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot create %s: %s"), top,
		                      strerror(errno));
	if (strcmp(top, dir) != 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot create %s: %s"), dir,
		                      strerror(errno));
	*created = true;
	return KYSO_OK;
}

kyso_err_t kyso_setup_local_ca_create(const kyso_setup_opts_t *o, kyso_setup_plan_t *p,
                                      kyso_setup_journal_t *j, kyso_error_t *err)
{
	const char *dir = p->agent_state;
	bool created = false;
	kyso_err_t rc = state_dir_prepare(dir, j, &created, err);
	if (rc != KYSO_OK)
		return rc;
	if (!created) {
		/* an existing directory: journal the files the agent will add, or
		 * replace (a new CA) or remove (an old install's ca-key.pem) */
		static const char *const files[] = {"ca.pem", "ca-key.pem", "cert.pem", "key.pem"};
		for (size_t i = 0; i < 4 && rc == KYSO_OK; i++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			uint8_t *old = NULL;
			size_t olen = 0;
			kyso_error_t e;
			kyso_error_clear(&e);
			if (access(path, F_OK) != 0) {
				if (i != 1)
					rc = kyso_setup_jfs_will_create(j, path, err);
			} else if (kyso_file_read_all(path, 1 << 20, &old, &olen, &e) == KYSO_OK) {
				/* rewritten as it is: the journal keeps a backup to undo */
				rc = kyso_setup_jfs_write(j, path, old, olen,
				                          i == 0 || i == 2 ? 0644 : 0600, err);
			}
			free(old);
		}
		if (rc != KYSO_OK)
			return rc;
	}
	const char *argv[] = {p->agent_path, "--state-dir", dir, "--export-ca", "-", NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	rc = kyso_spawn(argv, &out, 1u << 16, 60 * 1000, &status, err);
	kyso_buf_free(&out);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("kyso-agent --export-ca failed (exit status %d)"), status);
	if (rc != KYSO_OK)
		return rc;
	/* sudo: the directories made on the way (~/.local/state...) and the CA
	 * belong to the user whose agent uses them */
	kyso_setup_chown_path_to_caller(o, dir);
	kyso_setup_chown_to_caller(o, dir);
	free(p->ca_pem);
	p->ca_pem = kyso_setup_local_ca_read(dir, err);
	return p->ca_pem != NULL ? KYSO_OK : err->code;
}

/* ---- NSS ------------------------------------------------------------------------------ */

static kyso_err_t certutil(const char *const argv[], kyso_buf_t *out, int *status,
                           kyso_error_t *err)
{
	kyso_err_t rc = kyso_spawn(argv, out, 1u << 20, 120 * 1000, status, err);
	if (rc == KYSO_ERR_NOT_FOUND)
		return kyso_error_set(
		        err, KYSO_ERR_NOT_FOUND,
		        _("certutil is not installed (Debian package libnss3-tools)"));
	return rc;
}

char *kyso_setup_nss_cert_trust(const char *db, const char *name, char **pem)
{
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *list[] = {"certutil", "-L", "-d", dbarg, NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_error_t e;
	kyso_error_clear(&e);
	char *trust = NULL;
	if (pem != NULL)
		*pem = NULL;
	if (certutil(list, &out, &status, &e) == KYSO_OK && status == 0 &&
	    kyso_buf_append(&out, "", 1) == KYSO_OK) {
		/* "kyso-local-ca                                 C,,  " */
		size_t nl = strlen(name);
		for (char *line = (char *)out.data; line != NULL && *line;) {
			char *eol = strchr(line, '\n');
			if (eol != NULL)
				*eol = '\0';
			if (strncmp(line, name, nl) == 0 && (line[nl] == ' ' || line[nl] == '\t')) {
				char *t = line + nl;
				t += strspn(t, " \t");
				trust = strndup(t, strcspn(t, " \t\r"));
				break;
			}
			line = eol != NULL ? eol + 1 : NULL;
		}
	}
	kyso_buf_free(&out);
	if (trust != NULL && pem != NULL) {
		const char *one[] = {"certutil", "-L", "-d", dbarg, "-n", name, "-a", NULL};
		kyso_buf_init(&out);
		if (certutil(one, &out, &status, &e) == KYSO_OK && status == 0 &&
		    kyso_buf_append(&out, "", 1) == KYSO_OK)
			*pem = strdup((const char *)out.data);
		kyso_buf_free(&out);
	}
	return trust;
}

static kyso_err_t nss_add_pem(const char *db, const char *name, const char *pem, const char *trust,
                              kyso_error_t *err)
{
	char tmp[] = "/tmp/kyso-ca-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return kyso_error_set(err, KYSO_ERR_IO, "mkstemp: %s", strerror(errno));
	size_t len = strlen(pem);
	FILE *f = fdopen(fd, "w");
	bool wrote = f != NULL && fwrite(pem, 1, len, f) == len;
	if (f != NULL)
		wrote = fclose(f) == 0 && wrote;
	else
		close(fd);
	kyso_err_t rc = KYSO_OK;
	if (!wrote)
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot write %s"), tmp);
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"certutil", "-A",  "-d", dbarg, "-n", name,
	                      "-t",       trust, "-i", tmp,   NULL};
	int status = -1;
	if (rc == KYSO_OK)
		rc = certutil(argv, NULL, &status, err);
	unlink(tmp);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("certutil could not add %s to the NSS database %s (exit "
		                      "status %d)"),
		                    name, db, status);
	return rc;
}

/* Deletes every certificate with that nickname (there may be several). */
static kyso_err_t nss_delete_all(const char *db, const char *name, kyso_error_t *err)
{
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	for (int i = 0; i < 16; i++) {
		char *trust = kyso_setup_nss_cert_trust(db, name, NULL);
		if (trust == NULL)
			return KYSO_OK;
		free(trust);
		const char *argv[] = {"certutil", "-D", "-d", dbarg, "-n", name, NULL};
		int status = -1;
		kyso_err_t rc = certutil(argv, NULL, &status, err);
		if (rc != KYSO_OK)
			return rc;
		if (status != 0)
			break;
	}
	return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
	                      _("certutil could not remove %s from the NSS database %s"), name, db);
}

kyso_err_t kyso_setup_nss_cert_add(kyso_setup_journal_t *j, const char *db, const char *name,
                                   const char *pem, kyso_error_t *err)
{
	char *prev = NULL;
	char *trust = kyso_setup_nss_cert_trust(db, name, &prev);
	kyso_err_t rc = kyso_setup_journal_add(j,
	                                       json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "op",
	                                                 "nss-cert", "db", db, "name", name,
	                                                 "previous", prev, "previous_trust", trust),
	                                       err);
	if (rc == KYSO_OK && trust != NULL)
		rc = nss_delete_all(db, name, err);
	if (rc == KYSO_OK)
		rc = nss_add_pem(db, name, pem, "C,,", err);
	free(prev);
	free(trust);
	return rc;
}

kyso_err_t kyso_setup_nss_cert_undo(const char *db, const char *name, const char *prev_pem,
                                    const char *prev_trust, kyso_error_t *err)
{
	kyso_err_t rc = nss_delete_all(db, name, err);
	if (rc == KYSO_OK && prev_pem != NULL && prev_pem[0] != '\0')
		rc = nss_add_pem(db, name, prev_pem,
		                 prev_trust != NULL && prev_trust[0] ? prev_trust : ",,", err);
	return rc;
}
