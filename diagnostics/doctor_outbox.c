/* The outbox: a bundle that could not reach the collector (no answer, 429,
 * a 5xx) stays in <state>/outbox with the collector's URL and upload token
 * beside it (NAME.zip.url, mode 0600: "URL\nTOKEN\n") until `kyso doctor --send-pending` delivers
 * it (kyso-agent runs that once a day). */
#include "doctor_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WAIT 60

const char *kyso_doctor_outbox_dir(void)
{
	static char dir[4200];
	snprintf(dir, sizeof(dir), "%s/outbox", kyso_path_state_user());
	return dir;
}

kyso_err_t kyso_doctor_send_retry(const char *bundle, const char *url, const char *token,
                                  const char *cacert, int attempts, bool *later, kyso_error_t *err)
{
	long wait = 1;
	for (int i = 1;; i++) {
		long code = 0, retry_after = 0;
		kyso_error_clear(err);
		kyso_err_t rc = kyso_doctor_send_status(bundle, url, token, cacert, 30000, &code,
		                                        &retry_after, err);
		*later = rc == KYSO_ERR_NETWORK && (code == 0 || code == 429 || code >= 500);
		if (rc == KYSO_OK || !*later || i >= attempts)
			return rc;
		long s = retry_after > 0 ? retry_after : wait;
		s = s > MAX_WAIT ? MAX_WAIT : s;
		kyso_warn("doctor: %s; trying again in %ld s", kyso_error_message(err), s);
		sleep((unsigned)s);
		wait *= 2;
	}
}

kyso_err_t kyso_doctor_outbox_keep(const char *bundle, const char *url, const char *token,
                                   bool move, char *out, size_t cap, kyso_error_t *err)
{
	const char *dir = kyso_doctor_outbox_dir();
	if (mkdir(kyso_path_state_user(), 0700) != 0 && errno != EEXIST)
		kyso_debug("doctor: cannot make %s", kyso_path_state_user());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return kyso_error_set(err, KYSO_ERR_IO, _("cannot create the folder %s"), dir);
	const char *base = strrchr(bundle, '/');
	const char *b2 = strrchr(bundle, '\\');
	base = b2 != NULL && (base == NULL || b2 > base) ? b2 : base;
	base = base != NULL ? base + 1 : bundle;
	snprintf(out, cap, "%s/%s", dir, base);
	char side[4300];
	snprintf(side, sizeof(side), "%s.url", out);
	/* the token too: kyso-agent's daily run has no KYSO_REPORT_TOKEN */
	kyso_buf_t sb;
	kyso_buf_init(&sb);
	kyso_err_t wr = kyso_buf_printf(&sb, "%s\n%s\n", url, token);
	if (wr == KYSO_OK)
		wr = kyso_file_write_atomic(side, sb.data, sb.len, 0600, err);
	else
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_memzero(sb.data, sb.len);
	kyso_buf_free(&sb);
	if (wr != KYSO_OK)
		return err->code;
	if (move && rename(bundle, out) == 0)
		return KYSO_OK;
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_err_t rc = kyso_file_read_all(bundle, 64u << 20, &data, &len, err);
	if (rc == KYSO_OK)
		rc = kyso_file_write_atomic(out, data, len, 0600, err);
	free(data);
	if (rc == KYSO_OK && move && remove(bundle) != 0)
		kyso_debug("doctor: cannot remove %s", bundle);
	return rc;
}

static bool is_zip(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && l > 4 && strcmp(n + l - 4, ".zip") == 0;
}

int kyso_doctor_send_pending(const char *url, const char *token_env, const char *cacert, bool json)
{
	const char *dir = kyso_doctor_outbox_dir();
	const char *env_tok = getenv(token_env);
	kyso_error_t err;
	kyso_error_clear(&err);
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, alphasort);
	size_t sent = 0, left = 0;
	for (int i = 0; i < n; i++) {
		char path[4400], side[4500];
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		snprintf(side, sizeof(side), "%s.url", path);
		bool zip = is_zip(list[i]->d_name);
		free(list[i]);
		if (!zip)
			continue;
		uint8_t *saved = NULL;
		size_t sl = 0;
		kyso_error_t e2;
		kyso_error_clear(&e2);
		const char *saved_tok = NULL;
		if (kyso_file_read_all(side, 4096, &saved, &sl, &e2) == KYSO_OK) {
			char *s = realloc(saved, sl + 1);
			saved = (uint8_t *)s;
			if (s != NULL) {
				s[sl] = '\0';
				size_t l1 = strcspn(s, "\r\n");
				if (s[l1] != '\0') {
					s[l1] = '\0';
					saved_tok = s + l1 + 1 + (s[l1 + 1] == '\n');
					((char *)saved_tok)[strcspn(saved_tok, "\r\n")] = '\0';
				}
			}
		}
		const char *to = url != NULL ? url : (const char *)saved;
		const char *tok = env_tok != NULL && *env_tok != '\0' ? env_tok : saved_tok;
		bool later = false;
		kyso_err_t rc;
		if (to == NULL)
			rc = kyso_error_set(&err, KYSO_ERR_USAGE,
			                    _("%s: no collector address (--send URL)"), path);
		else if (tok == NULL || *tok == '\0')
			rc = kyso_error_set(
			        &err, KYSO_ERR_USAGE,
			        _("--send: the collector token is not set (variable %s)"),
			        token_env);
		else
			rc = kyso_doctor_send_retry(path, to, tok, cacert, 3, &later, &err);
		if (rc == KYSO_OK) {
			sent++;
			if (remove(path) != 0 || (remove(side) != 0 && errno != ENOENT))
				kyso_warn("doctor: cannot remove %s", path);
			if (!json)
				printf(_("Sent %s to %s.\n"), path, to);
		} else {
			left++;
			fprintf(stderr, "%s: %s\n", path, kyso_error_message(&err));
		}
		if (saved != NULL)
			kyso_memzero(saved, sl);
		free(saved);
	}
	free(list);
	if (left == 0 && rmdir(dir) != 0 && errno != ENOENT)
		kyso_debug("doctor: %s stays", dir);
	if (json)
		kyso_json_print(json_pack("{s:I, s:I}", "sent", (json_int_t)sent, "pending",
		                          (json_int_t)left));
	else if (sent == 0 && left == 0)
		printf("%s\n", _("No report is waiting to be sent."));
	else
		printf(_("%zu report(s) sent, %zu still waiting in %s.\n"), sent, left, dir);
	return left == 0 ? KYSO_EXIT_OK : KYSO_EXIT_NETWORK;
}
