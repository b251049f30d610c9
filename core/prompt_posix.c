/* OS dialogs for PIN and consent: none on Linux (the signer asks through
 * pinentry); callers fall back to their own prompt. */
#include "kyso_platform.h"

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

kyso_err_t kyso_prompt_consent(const char *title, const char *message, kyso_error_t *err)
{
	(void)title;
	(void)message;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
	                      _("No system consent dialog on this system"));
}
