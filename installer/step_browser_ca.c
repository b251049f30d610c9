/* `kyso setup` step: the agent's local CA (name-constrained to localhost,
 * 127.0.0.1, ::1) trusted for TLS in the user's NSS databases: Chromium's
 * ~/.pki/nssdb and every Firefox profile. The CA is created by the agent
 * itself (kyso-agent --state-dir DIR --export-ca -) in the state directory
 * of the user setup works for; the files it creates there are journaled. */
#include "browser_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_files[] = {"ca.pem", "ca-key.pem", "cert.pem", "key.pem"};

char *browser_agent_state_dir(const setup_opts_t *o)
{
	char *s = NULL;
	if (asprintf(&s, "%s/.local/state/kyso/agent", setup_home(o)) < 0)
		return NULL;
	return s;
}

static char *ca_file(const setup_opts_t *o)
{
	char *dir = browser_agent_state_dir(o);
	char *s = NULL;
	if (dir == NULL || asprintf(&s, "%s/ca.pem", dir) < 0)
		s = NULL;
	free(dir);
	return s;
}

static kyso_err_t certutil(const char *const argv[], kyso_buf_t *out, int *status,
                           kyso_error_t *err)
{
	kyso_err_t rc = kyso_spawn(argv, out, 1u << 20, 60 * 1000, status, err);
	if (rc == KYSO_ERR_NOT_FOUND)
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
		                      _("certutil is not installed (Debian package libnss3-tools)"));
	return rc;
}

/* PEM body without line breaks (certutil -a writes CRLF). */
static void pem_squash(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++)
		if (*r != '\r' && *r != '\n' && *r != ' ')
			*w++ = *r;
	*w = '\0';
}

/* Does `certutil -L` list a certificate under nick? (Asking for a missing
 * nickname by -n would print an error on the terminal.) */
static kyso_err_t nick_listed(const char *db, const char *nick, bool *listed, kyso_error_t *err)
{
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	const char *argv[] = {"certutil", "-L", "-d", dbarg, NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	*listed = false;
	kyso_err_t rc = certutil(argv, &out, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS, _("certutil -L failed on %s"), db);
	if (rc == KYSO_OK && kyso_buf_append(&out, "", 1) == KYSO_OK) {
		/* "kyso local CA                                     C,,  \n" */
		size_t n = strlen(nick);
		for (const char *l = (const char *)out.data; l != NULL && *l;) {
			if (strncmp(l, nick, n) == 0 && l[n] == ' ' && l[n + 1] == ' ')
				*listed = true;
			l = strchr(l, '\n');
			if (l != NULL)
				l++;
		}
	}
	kyso_buf_free(&out);
	return rc;
}

/* Is the CA (PEM text) in db under nick? */
static bool ca_present(const char *db, const char *nick, const char *pem)
{
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	bool listed = false;
	kyso_error_t le;
	kyso_error_clear(&le);
	if (nick_listed(db, nick, &listed, &le) != KYSO_OK || !listed)
		return false;
	const char *argv[] = {"certutil", "-L", "-d", dbarg, "-n", nick, "-a", NULL};
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_error_t e;
	kyso_error_clear(&e);
	bool same = false;
	char *want = strdup(pem);
	if (want != NULL && certutil(argv, &out, &status, &e) == KYSO_OK && status == 0 &&
	    kyso_buf_append(&out, "", 1) == KYSO_OK) {
		pem_squash((char *)out.data);
		pem_squash(want);
		same = strcmp((const char *)out.data, want) == 0;
	}
	free(want);
	kyso_buf_free(&out);
	return same;
}

void plan_browser_ca(const setup_opts_t *o, plan_t *p)
{
	char *ca = ca_file(o);
	if (o->no_agent) {
		plan_add(p, ACT_BROWSER_CA, AST_SKIPPED, NULL, ca, NULL, _("--no-agent"));
		free(ca);
		return;
	}
	char *pem = ca != NULL ? read_text(ca) : NULL;
	char **dbs = kyso_nss_dbs_find(o->root, setup_home(o));
	char *sysdb = setup_path(o, "/etc/pki/nssdb");
	size_t n = 0;
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		/* the shared system database is not where Chromium or Firefox look
		 * for TLS trust anchors on Debian */
		if (sysdb != NULL && strcmp(dbs[i], sysdb) == 0)
			continue;
		bool in = pem != NULL && ca_present(dbs[i], BROWSER_CA_NICK, pem);
		plan_add(p, ACT_BROWSER_CA, in ? AST_IN_PLACE : AST_TODO, dbs[i], ca, NULL, NULL);
		n++;
	}
	if (n == 0)
		plan_add(p, ACT_BROWSER_CA, AST_SKIPPED, NULL, ca, NULL,
		         _("no browser NSS database found (no Firefox profile, no "
		           "~/.pki/nssdb): the browser is not set up to trust kyso-agent yet"));
	kyso_strv_free(dbs);
	free(sysdb);
	free(pem);
	free(ca);
}

/* With "sudo kyso setup" the files are created by root in the user's home:
 * hand them to the user whose agent reads them. */
static void give_to_sudo_user(const setup_opts_t *o, const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
	if (o->root[0] != '\0' || geteuid() != 0 || uid == NULL || gid == NULL)
		return;
	if (lchown(path, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)) != 0)
		kyso_warn("setup: chown %s: %s", path, strerror(errno));
}

/* Creates the agent's CA (journaled) unless it exists. */
static kyso_err_t ensure_ca(const setup_opts_t *o, const plan_t *p, journal_t *j,
                            kyso_error_t *err)
{
	char *dir = browser_agent_state_dir(o);
	if (dir == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	kyso_err_t rc = KYSO_OK;
	if (access(path, F_OK) == 0)
		goto out;
	bool new_dir = access(dir, F_OK) != 0;
	rc = jfs_mkdirs(j, dir, err);
	if (rc == KYSO_OK && new_dir && chmod(dir, 0700) != 0)
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot create %s: %s"), dir,
		                    strerror(errno));
	for (size_t i = 0; rc == KYSO_OK && i < sizeof(state_files) / sizeof(state_files[0]);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, state_files[i]);
		if (access(path, F_OK) != 0)
			rc = jfs_will_create(j, path, err);
	}
	if (rc != KYSO_OK)
		goto out;
	const char *argv[] = {p->agent_path, "--state-dir", dir, "--export-ca", "-", NULL};
	kyso_buf_t pem;
	kyso_buf_init(&pem);
	int status = -1;
	rc = kyso_spawn(argv, &pem, 1u << 16, 60 * 1000, &status, err);
	kyso_buf_free(&pem);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("%s --export-ca failed (exit %d): the agent's local CA "
		                      "could not be created"),
		                    p->agent_path, status);
	if (rc == KYSO_OK) {
		give_to_sudo_user(o, dir);
		for (size_t i = 0; i < sizeof(state_files) / sizeof(state_files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, state_files[i]);
			give_to_sudo_user(o, path);
		}
	}
out:
	free(dir);
	return rc;
}

kyso_err_t browser_ca_delete(const char *db, const char *nick, kyso_error_t *err)
{
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", db);
	if (access(db, F_OK) != 0)
		return KYSO_OK; /* the database (browser profile) is gone */
	/* every certificate under the nickname (at most a few) */
	for (int tries = 0; tries < 8; tries++) {
		bool listed = false;
		kyso_err_t rc = nick_listed(db, nick, &listed, err);
		if (rc != KYSO_OK)
			return rc;
		if (!listed)
			return KYSO_OK; /* not (or no longer) there */
		int status = -1;
		const char *del[] = {"certutil", "-D", "-d", dbarg, "-n", nick, NULL};
		rc = certutil(del, NULL, &status, err);
		if (rc != KYSO_OK)
			return rc;
		if (status != 0)
			break;
	}
	return kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
	                      _("certutil could not remove \"%s\" from the NSS database %s"), nick,
	                      db);
}

kyso_err_t apply_browser_ca(const setup_opts_t *o, plan_t *p, journal_t *j, action_t *a,
                            kyso_error_t *err)
{
	kyso_err_t rc = ensure_ca(o, p, j, err);
	if (rc != KYSO_OK)
		return rc;
	/* an older CA of ours under the same name (the agent made a new one) */
	rc = browser_ca_delete(a->target, BROWSER_CA_NICK, err);
	if (rc != KYSO_OK)
		return rc;
	rc = journal_add(j,
	                 json_pack("{s:s, s:s, s:s}", "op", "nss-cert", "db", a->target, "name",
	                           BROWSER_CA_NICK),
	                 err);
	if (rc != KYSO_OK)
		return rc;
	char dbarg[PATH_MAX + 8];
	snprintf(dbarg, sizeof(dbarg), "sql:%s", a->target);
	const char *argv[] = {"certutil", "-A", "-d", dbarg, "-n", BROWSER_CA_NICK,
	                      "-t", "C,,", "-i", a->source, NULL};
	int status = -1;
	rc = certutil(argv, NULL, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("certutil could not add the kyso-agent CA to the NSS "
		                      "database %s"),
		                    a->target);
	if (rc == KYSO_OK)
		act_set_detail(a, _("kyso-agent's local CA trusted for TLS (%s)"), a->source);
	return rc;
}
