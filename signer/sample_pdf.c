/* Vietnamese sample document (`kyso sign --sample`). */
#include "kyso_signer.h"

kyso_err_t kyso_sample_pdf_write(const char *path, kyso_error_t *err)
{
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
	                      _("The sample document generator is not available yet (%s)."), path);
}
