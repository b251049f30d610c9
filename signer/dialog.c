/* The one pinentry (Assuan) client of kyso: `kyso sign`'s PIN prompt and
 * kyso-agent's consent + PIN dialogs (kyso_signer.h, "dialogs"). A PIN entry
 * (GETPIN) or a confirmation with up to three buttons (CONFIRM, SETNOTOK for
 * the extra choice); the meaning of each answer is documented at
 * kyso_dialog_run. The PIN arrives in a data line (libassuan undoes its
 * percent escapes); every copy
 * is wiped, also libassuan's own (its context and line buffers come from
 * wiping allocation hooks). A multi-threaded caller (the agent) installs
 * libassuan system hooks that start pinentry with posix_spawn. */
#include "kyso_platform.h"
#include "sign_int.h"

#include <assuan.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIN_MAX 256

static void escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)in; *s && o + 4 < cap; s++) {
		if (*s == '%' || *s == 0x7F || *s < 0x20) {
			snprintf(out + o, cap - o, "%%%02X", *s);
			o += 3;
		} else {
			out[o++] = (char)*s;
		}
	}
	out[o] = '\0';
}

/* the PIN's data line, kept in a fixed buffer that is wiped afterwards */
typedef struct {
	char d[PIN_MAX * 3];
	size_t len;
} pin_data_t;

static gpg_error_t on_data(void *opaque, const void *buf, size_t len)
{
	pin_data_t *p = opaque;
	if (p->len + len > sizeof(p->d))
		return gpg_error(GPG_ERR_TOO_LARGE);
	memcpy(p->d + p->len, buf, len);
	p->len += len;
	return 0;
}

/* libassuan's memory for a dialog: every block is wiped when it is freed
 * (the size sits in front of it) */
#define HDR sizeof(max_align_t)

static void *w_malloc(size_t n)
{
	unsigned char *p = malloc(HDR + n);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static size_t w_size(const void *q)
{
	size_t n;
	memcpy(&n, (const unsigned char *)q - HDR, sizeof(n));
	return n;
}

static void w_free(void *q)
{
	if (q == NULL)
		return;
	OPENSSL_cleanse(q, w_size(q));
	free((unsigned char *)q - HDR);
}

static void *w_realloc(void *q, size_t n)
{
	if (q == NULL)
		return w_malloc(n);
	void *r = w_malloc(n);
	if (r == NULL)
		return NULL;
	size_t old = w_size(q);
	memcpy(r, q, old < n ? old : n);
	w_free(q);
	return r;
}

static struct assuan_malloc_hooks wiping = {w_malloc, w_realloc, w_free};

/* a setting; pinentries that do not know one go on without it. true when
 * pinentry accepted it. */
static bool send_opt(assuan_context_t ctx, const char *cmd, const char *arg)
{
	if (arg == NULL)
		return false;
	char line[ASSUAN_LINELENGTH], esc[ASSUAN_LINELENGTH - 64];
	escape(arg, esc, sizeof(esc));
	snprintf(line, sizeof(line), "%s%s", cmd, esc);
	gpg_error_t e = assuan_transact(ctx, line, NULL, NULL, NULL, NULL, NULL, NULL);
	if (e != 0)
		kyso_debug("pinentry: %s: %s", cmd, gpg_strerror(e));
	return e == 0;
}

/* status lines of CONFIRM: "BUTTON_INFO close" = the window's close button */
static gpg_error_t on_status(void *opaque, const char *line)
{
	bool *closed = opaque;
	if (strncmp(line, "BUTTON_INFO", 11) == 0 && strstr(line + 11, "close") != NULL)
		*closed = true;
	return 0;
}

/* the PIN of the data line: libassuan has already undone its percent
 * escapes (decoding them again would turn a PIN "12%41" into "12A") */
static kyso_err_t take_pin(const pin_data_t *data, char *pin, size_t cap, kyso_error_t *err)
{
	if (data->len + 1 > cap || memchr(data->d, '\0', data->len) != NULL) {
		kyso_memzero(pin, cap);
		return kyso_error_set(err, KYSO_ERR_USAGE, _("The PIN is too long."));
	}
	memcpy(pin, data->d, data->len);
	pin[data->len] = '\0';
	return KYSO_OK;
}

/* The OS's own dialogs (Windows: the credential dialog and a task dialog;
 * KYSO_ERR_UNSUPPORTED elsewhere). */
static kyso_err_t os_dialog(const kyso_dialog_t *d, char *pin, size_t cap,
                            kyso_dialog_button_t *button, kyso_error_t *err)
{
	*button = KYSO_DIALOG_OK;
	if (d->getpin) {
		char text[4096];
		snprintf(text, sizeof(text), "%s\n\n%s", d->desc != NULL ? d->desc : "",
		         d->prompt != NULL ? d->prompt : "");
		return kyso_prompt_secret(d->title, text, pin, cap, err);
	}
	bool extra = false;
	kyso_err_t rc = kyso_prompt_consent(d->title, d->desc != NULL ? d->desc : "", d->ok,
	                                    d->cancel, d->extra, &extra, err);
	if (rc == KYSO_OK && extra)
		*button = KYSO_DIALOG_EXTRA;
	return rc;
}

static bool interactive(void)
{
	return isatty(STDIN_FILENO) || getenv("DISPLAY") != NULL ||
	       getenv("WAYLAND_DISPLAY") != NULL;
}

/* What a CONFIRM/GETPIN answer means (kyso_signer.h, kyso_dialog_run) */
static kyso_err_t answer(const kyso_dialog_t *d, gpg_error_t e, bool notok_shown, bool closed,
                         kyso_dialog_button_t *button, kyso_error_t *err)
{
	*button = KYSO_DIALOG_OK;
	if (e == 0)
		return KYSO_OK;
	gpg_err_code_t c = gpg_err_code(e);
	if (!d->getpin && d->extra != NULL && notok_shown && !closed &&
	    c == GPG_ERR_NOT_CONFIRMED) {
		*button = KYSO_DIALOG_EXTRA;
		return KYSO_OK;
	}
	if (c == GPG_ERR_CANCELED || c == GPG_ERR_ASS_CANCELED || c == GPG_ERR_NOT_CONFIRMED ||
	    c == GPG_ERR_TIMEOUT)
		return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("PIN entry was cancelled."));
	return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("pinentry failed: %s"),
	                      gpg_strerror(e));
}

kyso_err_t kyso_dialog_run(const char *program, const kyso_dialog_t *d, char *pin, size_t cap,
                           kyso_dialog_button_t *button, kyso_error_t *err)
{
	*button = KYSO_DIALOG_OK;
	if (d->getpin && cap > 0)
		pin[0] = '\0';
	if (program == NULL) {
		kyso_err_t rc = os_dialog(d, pin, cap, button, err);
		if (rc != KYSO_ERR_UNSUPPORTED)
			return rc;
		kyso_error_clear(err); /* no dialogs of the OS here (Linux): pinentry */
		if (!interactive())
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("No PIN: not running interactively. Give the PIN "
			                        "with --pin-env VAR."));
		program = "pinentry";
	}
	char *path = kyso_find_program(program);
	if (path == NULL)
		return kyso_error_set(
		        err, KYSO_ERR_USAGE,
		        _("pinentry program \"%s\" was not found; install pinentry or "
		          "give the PIN with --pin-env VAR."),
		        program);
	assuan_context_t ctx = NULL;
	assuan_log_cb_t log_cb = NULL;
	void *log_data = NULL;
	assuan_get_log_cb(&log_cb, &log_data);
	if (assuan_new_ext(&ctx, assuan_get_gpg_err_source(), &wiping, log_cb, log_data) != 0) {
		free(path);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	const char *argv[] = {path, NULL};
	/* pinentry's stderr goes to ours (a HANDLE on Windows) */
	assuan_fd_t keep[] = {assuan_fd_from_posix_fd(STDERR_FILENO), ASSUAN_INVALID_FD};
	gpg_error_t e = assuan_pipe_connect(ctx, path, argv, keep, NULL, NULL, 0);
	if (e != 0) {
		kyso_err_t rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                               _("pinentry (%s) could not be started: %s"), path,
		                               gpg_strerror(e));
		assuan_release(ctx);
		free(path);
		return rc;
	}
	free(path);
	if (isatty(STDIN_FILENO)) { /* a terminal pinentry (curses, tty) draws there */
		const char *tty = ttyname(STDIN_FILENO);
		if (tty != NULL)
			send_opt(ctx, "OPTION ttyname=", tty);
		const char *term = getenv("TERM");
		if (term != NULL)
			send_opt(ctx, "OPTION ttytype=", term);
	}
	send_opt(ctx, "SETTITLE ", d->title);
	send_opt(ctx, "SETDESC ", d->desc);
	if (d->getpin)
		send_opt(ctx, "SETPROMPT ", d->prompt);
	send_opt(ctx, "SETOK ", d->ok);
	send_opt(ctx, "SETCANCEL ", d->cancel);
	bool notok_shown = !d->getpin && send_opt(ctx, "SETNOTOK ", d->extra);

	pin_data_t data;
	data.len = 0;
	bool closed = false;
	e = assuan_transact(ctx, d->getpin ? "GETPIN" : "CONFIRM", d->getpin ? on_data : NULL,
	                    &data, NULL, NULL, on_status, &closed);
	assuan_release(ctx);
	kyso_err_t rc = answer(d, e, notok_shown, closed, button, err);
	if (rc == KYSO_OK && d->getpin)
		rc = take_pin(&data, pin, cap, err);
	kyso_memzero(&data, sizeof(data));
	if (rc != KYSO_OK && d->getpin && cap > 0)
		kyso_memzero(pin, cap);
	return rc;
}

kyso_err_t kyso_dialog_choose(const char *title, const char *text, const char *const *items,
                              size_t n, size_t *chosen, kyso_error_t *err)
{
	return kyso_prompt_choose(title, text, items, n, chosen, err);
}
