/* OS dialogs on POSIX: no PIN or consent dialog (the signer asks through
 * pinentry); the certificate chooser, which pinentry cannot show, is the
 * small GTK helper kyso-choose (chooser/), started as a child process like
 * pinentry: "kyso-choose TITLE TEXT OK CANCEL ITEM..." prints the chosen index and
 * exits 0, exits 1 on Cancel or close, 2 when it cannot show a window. */
#include "kyso_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHOOSE_MAX        64
#define CHOOSE_TIMEOUT_MS (5 * 60 * 1000) /* an unanswered dialog counts as Cancel */

kyso_err_t kyso_prompt_secret(const char *title, const char *message, char *pin, size_t cap,
                              kyso_error_t *err)
{
	(void)title;
	(void)message;
	if (cap > 0)
		kyso_memzero(pin, cap);
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
	                      _("No system PIN dialog on this system (use pinentry)"));
}

kyso_err_t kyso_prompt_consent(const char *title, const char *message, const char *ok,
                               const char *cancel, const char *extra, bool *extra_chosen,
                               kyso_error_t *err)
{
	(void)title;
	(void)message;
	(void)ok;
	(void)cancel;
	(void)extra;
	*extra_chosen = false;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
	                      _("No system consent dialog on this system"));
}

/* $KYSO_CHOOSER, kyso-choose beside the running program, else from PATH */
static char *chooser_path(void)
{
	const char *env = getenv("KYSO_CHOOSER");
	if (env != NULL && *env)
		return kyso_find_program(env);
	const char *dir = kyso_path_exe_dir();
	if (*dir != '\0') {
		char p[4096];
		snprintf(p, sizeof(p), "%s/kyso-choose", dir);
		if (access(p, X_OK) == 0)
			return strdup(p);
	}
	return kyso_find_program("kyso-choose");
}

kyso_err_t kyso_prompt_choose(const char *title, const char *message, const char *const *items,
                              size_t n, size_t *chosen, kyso_error_t *err)
{
	*chosen = 0;
	if (n == 0 || n > CHOOSE_MAX)
		return kyso_error_set(err, KYSO_ERR_USAGE, "kyso_prompt_choose: %zu items", n);
	if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL)
		return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
		                      _("No display: the certificate list cannot be shown."));
	char *path = chooser_path();
	if (path == NULL)
		return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
		                      _("The certificate chooser (kyso-choose) was not found."));
	const char *argv[CHOOSE_MAX + 6];
	size_t a = 0;
	argv[a++] = path;
	argv[a++] = title;
	argv[a++] = message;
	argv[a++] = _("Choose");
	argv[a++] = _("Cancel");
	for (size_t i = 0; i < n; i++)
		argv[a++] = items[i];
	argv[a] = NULL;
	kyso_buf_t out;
	kyso_buf_init(&out);
	int status = -1;
	kyso_err_t rc = kyso_spawn(argv, &out, 64, CHOOSE_TIMEOUT_MS, &status, err);
	free(path);
	if (rc != KYSO_OK) {
		kyso_buf_free(&out);
		return rc;
	}
	char num[65];
	size_t len = out.len < sizeof(num) - 1 ? out.len : sizeof(num) - 1;
	if (len > 0)
		memcpy(num, out.data, len);
	num[len] = '\0';
	kyso_buf_free(&out);
	if (status == 1)
		return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("The user cancelled."));
	char *end = NULL;
	unsigned long v = strtoul(num, &end, 10);
	if (status != 0 || end == num || (*end != '\n' && *end != '\0') || v >= n)
		return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
		                      _("The certificate chooser failed (exit %d)."), status);
	*chosen = (size_t)v;
	return KYSO_OK;
}
