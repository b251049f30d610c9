/* PIN prompt through pinentry, spoken to with libassuan (as gpg-agent does):
 * SETTITLE/SETDESC/SETPROMPT/SETOK/SETCANCEL, then GETPIN. The PIN arrives
 * in a percent-escaped data line, is decoded into the caller's buffer and
 * every copy is wiped. */
#include "kyso_platform.h"
#include "sign_int.h"

#include <assuan.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* percent-escapes what assuan lines cannot carry */
static void escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)in; *s && o + 4 < cap; s++) {
		if (*s == '%' || *s == '\r' || *s == '\n' || *s < 0x20) {
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

static gpg_error_t on_data(void *opaque, const void *buf, size_t len)
{
	kyso_buf_t *b = opaque;
	if (b->len + len > 256 || kyso_buf_append(b, buf, len) != KYSO_OK)
		return gpg_error(GPG_ERR_TOO_LARGE);
	return 0;
}

static void send_opt(assuan_context_t ctx, const char *cmd, const char *arg)
{
	char line[ASSUAN_LINELENGTH], esc[ASSUAN_LINELENGTH - 64];
	escape(arg, esc, sizeof(esc));
	snprintf(line, sizeof(line), "%s%s", cmd, esc);
	gpg_error_t e = assuan_transact(ctx, line, NULL, NULL, NULL, NULL, NULL, NULL);
	if (e != 0)
		kyso_debug("pinentry: %s: %s", cmd, gpg_strerror(e));
}

kyso_err_t kyso_pin_pinentry(const char *program, const kyso_pin_request_t *req, char *pin,
                             size_t cap, kyso_error_t *err)
{
	char *path = kyso_find_program(program);
	if (path == NULL)
		return kyso_error_set(
		        err, KYSO_ERR_USAGE,
		        _("pinentry program \"%s\" was not found; install pinentry or "
		          "give the PIN with --pin-env VAR."),
		        program);
	assuan_context_t ctx = NULL;
	gpg_error_t e = assuan_new(&ctx);
	if (e != 0) {
		free(path);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	const char *argv[] = {path, NULL};
	assuan_fd_t no_close[] = {assuan_fd_from_posix_fd(STDERR_FILENO), ASSUAN_INVALID_FD};
	e = assuan_pipe_connect(ctx, path, argv, no_close, NULL, NULL, 0);
	if (e != 0) {
		kyso_err_t rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                               _("pinentry (%s) could not be started: %s"), path,
		                               gpg_strerror(e));
		assuan_release(ctx);
		free(path);
		return rc;
	}
	free(path);

	if (isatty(STDIN_FILENO)) {
		const char *tty = ttyname(STDIN_FILENO);
		if (tty != NULL)
			send_opt(ctx, "OPTION ttyname=", tty);
		const char *term = getenv("TERM");
		if (term != NULL)
			send_opt(ctx, "OPTION ttytype=", term);
	}
	char desc[1024];
	if (req->description != NULL)
		snprintf(desc, sizeof(desc), "%s", req->description);
	else
		kyso_pin_describe(req, desc, sizeof(desc));
	send_opt(ctx, "SETTITLE ", _("kyso - token PIN"));
	send_opt(ctx, "SETDESC ", desc);
	send_opt(ctx, "SETPROMPT ", _("PIN:"));
	send_opt(ctx, "SETOK ", _("Sign"));
	send_opt(ctx, "SETCANCEL ", _("Cancel"));

	kyso_buf_t data;
	kyso_buf_init(&data);
	e = assuan_transact(ctx, "GETPIN", on_data, &data, NULL, NULL, NULL, NULL);
	assuan_release(ctx);
	kyso_err_t rc = KYSO_OK;
	if (e != 0) {
		if (gpg_err_code(e) == GPG_ERR_CANCELED || gpg_err_code(e) == GPG_ERR_ASS_CANCELED)
			rc = kyso_error_set(err, KYSO_ERR_PIN_CANCELLED,
			                    _("PIN entry was cancelled."));
		else
			rc = kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("pinentry failed: %s"),
			                    gpg_strerror(e));
		kyso_buf_free(&data);
		return rc;
	}
	size_t o = 0;
	for (size_t i = 0; i < data.len; i++) {
		int c = data.data[i];
		if (c == '%' && i + 2 < data.len && hexval(data.data[i + 1]) >= 0 &&
		    hexval(data.data[i + 2]) >= 0) {
			c = hexval(data.data[i + 1]) * 16 + hexval(data.data[i + 2]);
			i += 2;
		}
		if (o + 1 >= cap) {
			rc = kyso_error_set(err, KYSO_ERR_USAGE, _("The PIN is too long."));
			break;
		}
		pin[o++] = (char)c;
	}
	pin[o < cap ? o : cap - 1] = '\0';
	kyso_buf_free(&data);
	if (rc != KYSO_OK)
		kyso_memzero(pin, cap);
	return rc;
}
