/* Error codes: stable ids, translated messages, exit codes. */
#include "kyso_core.h"

#include <string.h>

struct err_info {
	const char *id;
	const char *msg; /* English msgid, translated through gettext */
	kyso_exit_t exit;
};

static const struct err_info err_table[KYSO_ERR__COUNT] = {
        [KYSO_OK] = {"ok", N_("Success"), KYSO_EXIT_OK},
        [KYSO_ERR_NOMEM] = {"out-of-memory", N_("Out of memory"), KYSO_EXIT_ENV},
        [KYSO_ERR_INTERNAL] = {"internal", N_("Internal error"), KYSO_EXIT_PROBLEM},
        [KYSO_ERR_USAGE] = {"usage", N_("Invalid command-line usage"), KYSO_EXIT_USAGE},
        [KYSO_ERR_IO] = {"io", N_("File read or write failed"), KYSO_EXIT_ENV},
        [KYSO_ERR_NOT_FOUND] = {"not-found", N_("Not found"), KYSO_EXIT_PROBLEM},
        [KYSO_ERR_EXISTS] = {"exists", N_("Already exists"), KYSO_EXIT_PROBLEM},
        [KYSO_ERR_UNSUPPORTED] = {"unsupported", N_("Not supported"), KYSO_EXIT_PROBLEM},
        [KYSO_ERR_PROBLEM] = {"problem", N_("A problem was found"), KYSO_EXIT_PROBLEM},
        [KYSO_ERR_NO_PCSC_SERVICE] = {"no-pcsc-service",
                                      N_("The smart card service (PC/SC) is not running"),
                                      KYSO_EXIT_ENV},
        [KYSO_ERR_NO_READER] = {"no-reader", N_("No card reader or token is connected"),
                                KYSO_EXIT_ENV},
        [KYSO_ERR_NO_TOKEN] = {"no-token", N_("No token found"), KYSO_EXIT_ENV},
        [KYSO_ERR_MODULE_LOAD] = {"module-load", N_("The PKCS#11 driver could not be loaded"),
                                  KYSO_EXIT_ENV},
        [KYSO_ERR_CHILD_PROCESS] = {"child-process", N_("A helper program failed"), KYSO_EXIT_ENV},
        [KYSO_ERR_PIN_INCORRECT] = {"pin-incorrect", N_("Wrong PIN"), KYSO_EXIT_TOKEN},
        [KYSO_ERR_PIN_LOCKED] = {"pin-locked", N_("The token PIN is locked"), KYSO_EXIT_TOKEN},
        [KYSO_ERR_PIN_CANCELLED] = {"pin-cancelled", N_("PIN entry was cancelled"),
                                    KYSO_EXIT_TOKEN},
        [KYSO_ERR_TOKEN_REMOVED] = {"token-removed", N_("The token was removed"), KYSO_EXIT_TOKEN},
        [KYSO_ERR_KEY_NOT_FOUND] = {"key-not-found",
                                    N_("No signing key or certificate on the token"),
                                    KYSO_EXIT_TOKEN},
        [KYSO_ERR_TOKEN] = {"token", N_("The token reported an error"), KYSO_EXIT_TOKEN},
        [KYSO_ERR_BAD_INPUT] = {"bad-input", N_("Invalid input"), KYSO_EXIT_INPUT},
        [KYSO_ERR_BAD_PDF] = {"bad-pdf", N_("The file is not a valid PDF document"),
                              KYSO_EXIT_INPUT},
        [KYSO_ERR_ENCRYPTED] = {"encrypted", N_("The PDF is encrypted and needs a password"),
                                KYSO_EXIT_INPUT},
        [KYSO_ERR_BAD_PASSWORD] = {"bad-password", N_("Wrong PDF password"), KYSO_EXIT_INPUT},
        [KYSO_ERR_TOO_LARGE] = {"too-large", N_("The file is too large"), KYSO_EXIT_INPUT},
        [KYSO_ERR_BAD_IMAGE] = {"bad-image", N_("The image is not a valid PNG or JPEG file"),
                                KYSO_EXIT_INPUT},
        [KYSO_ERR_BAD_CATALOG] = {"bad-catalog", N_("The token catalog is invalid"),
                                  KYSO_EXIT_INPUT},
        [KYSO_ERR_NETWORK] = {"network", N_("Network error"), KYSO_EXIT_NETWORK},
        [KYSO_ERR_TSA] = {"tsa", N_("The time-stamp server did not answer correctly"),
                          KYSO_EXIT_NETWORK},
};

static const struct err_info *err_lookup(kyso_err_t err)
{
	if ((int)err < 0 || err >= KYSO_ERR__COUNT || err_table[err].id == NULL)
		return &err_table[KYSO_ERR_INTERNAL];
	return &err_table[err];
}

const char *kyso_err_id(kyso_err_t err)
{
	return err_lookup(err)->id;
}

const char *kyso_strerr(kyso_err_t err)
{
	return _(err_lookup(err)->msg);
}

kyso_exit_t kyso_err_exit(kyso_err_t err)
{
	return err_lookup(err)->exit;
}

void kyso_error_clear(kyso_error_t *e)
{
	if (e == NULL)
		return;
	e->code = KYSO_OK;
	e->msg[0] = '\0';
}

kyso_err_t kyso_error_set(kyso_error_t *e, kyso_err_t code, const char *fmt, ...)
{
	if (e == NULL)
		return code;
	e->code = code;
	e->msg[0] = '\0';
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		if (n < 0)
			e->msg[0] = '\0';
	}
	return code;
}

const char *kyso_error_message(const kyso_error_t *e)
{
	if (e == NULL)
		return kyso_strerr(KYSO_ERR_INTERNAL);
	if (e->msg[0] != '\0')
		return e->msg;
	return kyso_strerr(e->code);
}
