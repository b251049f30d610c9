/* Where the PIN comes from: an environment variable (automation), the
 * caller's callback (the agent), or the dialog client of dialog.c (the OS's
 * own PIN dialog where it has one (Windows), or pinentry). */
#include "sign_int.h"
#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *kyso_pin_tries_text(kyso_pin_tries_t t)
{
	switch (t) {
	case KYSO_PIN_TRIES_LOW:
		return _("Few PIN tries are left.");
	case KYSO_PIN_TRIES_FINAL:
		return _("Only one PIN try is left: a wrong PIN will lock the token.");
	case KYSO_PIN_TRIES_LOCKED:
		return _("The PIN is locked.");
	case KYSO_PIN_TRIES_OK:
	default:
		return "";
	}
}

void kyso_pin_describe(const kyso_pin_request_t *req, char *buf, size_t cap)
{
	const char *tt = kyso_pin_tries_text(req->tries);
	snprintf(buf, cap, _("Enter the PIN of token \"%s\" to sign as:\n%s"),
	         req->token_label != NULL ? req->token_label : "",
	         req->cert_subject != NULL ? req->cert_subject : "");
	if (tt[0] != '\0') {
		size_t l = strlen(buf);
		snprintf(buf + l, cap - l, "\n\n%s", tt);
	}
}

/* Asks the user through the one dialog client (dialog.c): the configured
 * pinentry, else the OS's own PIN dialog (Windows), else pinentry when
 * interactive. */
static kyso_err_t pin_ask(const kyso_sign_opts_t *o, const kyso_pin_request_t *req, char *pin,
                          size_t cap, kyso_error_t *err)
{
	const char *prog = o->pinentry != NULL ? o->pinentry : getenv("KYSO_PINENTRY");
	if (prog != NULL && *prog == '\0')
		prog = NULL;
	char desc[1024];
	if (req->description != NULL)
		snprintf(desc, sizeof(desc), "%s", req->description);
	else
		kyso_pin_describe(req, desc, sizeof(desc));
	/* the credential dialog's caption is "kyso" (tests/windows find it by it) */
	kyso_dialog_t d = {.getpin = true,
	                   .title = prog != NULL ? _("kyso - token PIN") : "kyso",
	                   .desc = desc,
	                   .prompt = _("PIN:"),
	                   .ok = _("Sign"),
	                   .cancel = _("Cancel")};
	kyso_dialog_button_t b;
	return kyso_dialog_run(prog, &d, pin, cap, &b, err);
}

kyso_err_t kyso_pin_get(const kyso_sign_opts_t *o, const kyso_pin_request_t *req, char *pin,
                        size_t cap, kyso_error_t *err)
{
	kyso_err_t rc;
	pin[0] = '\0';
	if (o->pin_env != NULL) {
		const char *v = getenv(o->pin_env);
		if (v == NULL || v[0] == '\0')
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--pin-env: the environment variable %s is not set."),
			        o->pin_env);
		if (strlen(v) >= cap)
			return kyso_error_set(err, KYSO_ERR_USAGE, _("The PIN is too long."));
		memcpy(pin, v, strlen(v) + 1);
		rc = KYSO_OK;
	} else if (o->pin_fn != NULL) {
		rc = o->pin_fn(o->pin_ctx, req, pin, cap, err);
	} else {
		rc = pin_ask(o, req, pin, cap, err);
	}
	if (rc != KYSO_OK) {
		kyso_memzero(pin, cap);
		return rc;
	}
	pin[cap - 1] = '\0';
	if (pin[0] == '\0')
		return kyso_error_set(err, KYSO_ERR_PIN_CANCELLED, _("No PIN was entered."));
	kyso_redact_secret(pin);
	return KYSO_OK;
}
