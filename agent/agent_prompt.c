/* The agent's own pinentry dialogs (libassuan; started with posix_spawn, see
 * agent_spawn_posix.c, or CreateProcess on Windows): a PIN entry (GETPIN) or a
 * confirmation with up to three buttons (CONFIRM with SETNOTOK), which the consent + PIN-cache
 * design of docs/agent.md needs and `kyso sign`'s plain PIN prompt does not offer. The PIN arrives
 * percent-escaped in a data line; every copy is wiped, also libassuan's own (its context and line
 * buffers come from wiping allocation hooks). */
#include "agent.h"
#include "kyso_platform.h"

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
		if (*s == '%' || *s < 0x20) {
			snprintf(out + o, cap - o, "%%%02X", *s);
			o += 3;
		} else {
			out[o++] = (char)*s;
		}
	}
	out[o] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
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

/* a setting; pinentries that do not know one (old SETNOTOK) go on without */
static void send_opt(assuan_context_t ctx, const char *cmd, const char *arg)
{
	if (arg == NULL)
		return;
	char line[ASSUAN_LINELENGTH], esc[ASSUAN_LINELENGTH - 64];
	escape(arg, esc, sizeof(esc));
	snprintf(line, sizeof(line), "%s%s", cmd, esc);
	gpg_error_t e = assuan_transact(ctx, line, NULL, NULL, NULL, NULL, NULL, NULL);
	if (e != 0)
		kyso_debug("pinentry: %s: %s", cmd, gpg_strerror(e));
}

static kyso_err_t decode_pin(const pin_data_t *data, char *pin, size_t cap, kyso_error_t *err)
{
	size_t o = 0;
	for (size_t i = 0; i < data->len; i++) {
		int c = (unsigned char)data->d[i];
		if (c == '%' && i + 2 < data->len && hexval(data->d[i + 1]) >= 0 &&
		    hexval(data->d[i + 2]) >= 0) {
			c = hexval(data->d[i + 1]) * 16 + hexval(data->d[i + 2]);
			i += 2;
		}
		if (o + 1 >= cap) {
			kyso_memzero(pin, cap);
			return kyso_error_set(err, KYSO_ERR_USAGE, _("The PIN is too long."));
		}
		pin[o++] = (char)c;
	}
	pin[o] = '\0';
	return KYSO_OK;
}

/* The OS's own dialogs (Windows: the credential dialog and a message box;
 * KYSO_ERR_UNSUPPORTED elsewhere). A yes/no box has no third button: the
 * "remember the PIN" choice is offered by pinentry only. */
static kyso_err_t os_dialog(const ag_dialog_t *d, char *pin, size_t cap, ag_button_t *button,
                            kyso_error_t *err)
{
	*button = AG_BUTTON_OK;
	char text[4096];
	if (d->getpin) {
		snprintf(text, sizeof(text), "%s\n\n%s", d->desc != NULL ? d->desc : "",
		         d->prompt != NULL ? d->prompt : "");
		return kyso_prompt_secret(d->title, text, pin, cap, err);
	}
	return kyso_prompt_consent(d->title, d->desc != NULL ? d->desc : "", err);
}

kyso_err_t ag_dialog_run(const char *program, const ag_dialog_t *d, char *pin, size_t cap,
                         ag_button_t *button, kyso_error_t *err)
{
	*button = AG_BUTTON_OK;
	if (program == NULL) {
		kyso_err_t rc = os_dialog(d, pin, cap, button, err);
		if (rc != KYSO_ERR_UNSUPPORTED)
			return rc;
		kyso_error_clear(err); /* no dialogs of the OS here (Linux): pinentry */
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
	send_opt(ctx, "SETTITLE ", d->title);
	send_opt(ctx, "SETDESC ", d->desc);
	if (d->getpin)
		send_opt(ctx, "SETPROMPT ", d->prompt);
	send_opt(ctx, "SETOK ", d->ok);
	send_opt(ctx, "SETCANCEL ", d->cancel);
	if (!d->getpin)
		send_opt(ctx, "SETNOTOK ", d->notok);

	pin_data_t data;
	data.len = 0;
	e = assuan_transact(ctx, d->getpin ? "GETPIN" : "CONFIRM", d->getpin ? on_data : NULL,
	                    &data, NULL, NULL, NULL, NULL);
	assuan_release(ctx);
	kyso_err_t rc = KYSO_OK;
	if (e != 0 && !d->getpin && d->notok != NULL && gpg_err_code(e) == GPG_ERR_NOT_CONFIRMED) {
		*button = AG_BUTTON_NOTOK;
	} else if (e != 0) {
		if (gpg_err_code(e) == GPG_ERR_CANCELED ||
		    gpg_err_code(e) == GPG_ERR_ASS_CANCELED ||
		    gpg_err_code(e) == GPG_ERR_NOT_CONFIRMED)
			rc = kyso_error_set(err, KYSO_ERR_PIN_CANCELLED,
			                    _("PIN entry was cancelled."));
		else
			rc = kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("pinentry failed: %s"),
			                    gpg_strerror(e));
	} else if (d->getpin) {
		rc = decode_pin(&data, pin, cap, err);
	}
	kyso_memzero(&data, sizeof(data));
	return rc;
}
