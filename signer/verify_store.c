/* Trust anchors for verification: --ca files and the installed ones. */
#include "verify_int.h"

#include <openssl/err.h>

kyso_err_t kyso_verify_store(const kyso_verify_opts_t *o, X509_STORE **out, kyso_error_t *err)
{
	X509_STORE *st = X509_STORE_new();
	if (st == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	for (size_t i = 0; o->ca_files != NULL && o->ca_files[i] != NULL; i++) {
		STACK_OF(X509) *certs = sk_X509_new_null();
		kyso_err_t rc = certs != NULL ? kyso_cms_load_certs(o->ca_files[i], certs, err)
		                              : kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		for (int k = 0; rc == KYSO_OK && k < sk_X509_num(certs); k++)
			if (!X509_STORE_add_cert(st, sk_X509_value(certs, k)))
				ERR_clear_error(); /* duplicates are fine */
		sk_X509_pop_free(certs, X509_free);
		if (rc != KYSO_OK) {
			X509_STORE_free(st);
			return rc;
		}
	}
	if (!o->no_system_anchors && !X509_STORE_set_default_paths(st))
		kyso_warn("cannot load the installed trust anchors");
	ERR_clear_error();
	*out = st;
	return KYSO_OK;
}
