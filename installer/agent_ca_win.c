/* The agent's local CA on Windows: the agent's state directory is
 * %LOCALAPPDATA%\kyso\agent (where kyso-agent.exe keeps it by default), and
 * the CA goes into the ROOT certificate store (LocalMachine, or CurrentUser
 * with --user), which Chrome and Edge use. No file ownership to hand over
 * and no trust-store rebuild command. The platform-independent part is
 * agent_ca.c. */
#include "setup_int.h"
#include "kyso_platform.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *kyso_setup_agent_state_dir(const kyso_setup_opts_t *o)
{
	(void)o;
	char *s = NULL;
	if (asprintf(&s, "%s/agent", kyso_path_state_user()) < 0)
		return NULL;
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\\')
			*c = '/';
	return s;
}

void kyso_setup_chown_to_caller(const kyso_setup_opts_t *o, const char *path)
{
	(void)o;
	(void)path;
}

void kyso_setup_chown_path_to_caller(const kyso_setup_opts_t *o, const char *path)
{
	(void)o;
	(void)path;
}

kyso_err_t kyso_setup_ca_update(const char *root, kyso_error_t *err)
{
	(void)root;
	(void)err;
	return KYSO_OK;
}

kyso_err_t kyso_setup_ca_system_install(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                        const char *file, const char *pem, const char *old_pem,
                                        kyso_error_t *err)
{
	(void)file;
	kyso_err_t rc = kyso_setup_jtrust_add(j, !o->user, LOCAL_CA_NAME, pem, err);
	/* the store holds certificates, not a file: the CA this one replaces
	 * (renewal, or an old install's CA whose key was on disk) goes */
	kyso_trust_scope_t scope = o->user ? KYSO_TRUST_USER : KYSO_TRUST_MACHINE;
	if (rc == KYSO_OK && old_pem != NULL && !kyso_setup_pem_same_cert(old_pem, pem) &&
	    kyso_trust_has_ca(scope, LOCAL_CA_NAME, (const uint8_t *)old_pem, strlen(old_pem)))
		rc = kyso_setup_trust_remove(j, !o->user, LOCAL_CA_NAME, old_pem, err);
	return rc;
}

/* Removes dir and what is below it (mingw's nftw overflows the stack). */
static bool remove_all(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return true;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0;
	DIR *d = opendir(path);
	if (d == NULL)
		return false;
	bool ok = true;
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *sub = NULL;
		if (asprintf(&sub, "%s/%s", path, e->d_name) < 0)
			ok = false;
		else
			ok = remove_all(sub) && ok;
		free(sub);
	}
	closedir(d);
	return rmdir(path) == 0 && ok;
}

kyso_err_t kyso_setup_remove_tree(const char *path, kyso_error_t *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return KYSO_OK;
	if (!remove_all(path))
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot remove %s: %s"), path,
		                      strerror(errno));
	return KYSO_OK;
}
