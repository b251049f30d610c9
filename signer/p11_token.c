/* PKCS#11 token: load the module through libp11, keep the chosen slot,
 * read the PIN state, log in. */
#include "kyso_middleware.h"
#include "p11_int.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static kyso_err_t set_ckr_error(kyso_error_t *err, kyso_err_t code, unsigned long ckr,
                                const char *what)
{
	if (code == KYSO_ERR_TOKEN_REMOVED)
		return kyso_error_set(err, code, _("The token was removed (%s, CKR 0x%lX)."), what,
		                      ckr);
	if (ckr != 0)
		return kyso_error_set(err, code, _("The token refused %s (CKR 0x%lX)."), what, ckr);
	return kyso_error_set(err, code, _("The token refused %s."), what);
}

kyso_err_t kyso_p11_open(const kyso_token_sel_t *sel, kyso_p11_t **out, kyso_error_t *err)
{
	*out = NULL;
	kyso_p11_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_p11_module_resolve(sel->module, &p->module, err);
	if (rc != KYSO_OK)
		goto fail;
	/* loaded once here to name the real reason when it cannot be; the
	 * handle stays open (libp11 then gets the same mapping) and gives our
	 * function list for C_GetTokenInfo */
	void *fl = NULL;
	rc = kyso_p11_module_load(p->module, &p->dl, &fl, NULL, err);
	if (rc != KYSO_OK)
		goto fail;
	p->fl = fl;
	p->ctx = PKCS11_CTX_new();
	if (p->ctx == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto fail;
	}
	if (PKCS11_CTX_load(p->ctx, p->module) < 0) {
		unsigned long ckr;
		kyso_p11_last_error(KYSO_ERR_MODULE_LOAD, &ckr);
		rc = kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		                    _("PKCS#11 module %s failed to initialise (CKR 0x%lX)."),
		                    p->module, ckr);
		PKCS11_CTX_free(p->ctx);
		p->ctx = NULL;
		goto fail;
	}
	if (PKCS11_enumerate_slots(p->ctx, &p->slots, &p->nslots) < 0) {
		unsigned long ckr;
		rc = kyso_p11_last_error(KYSO_ERR_TOKEN, &ckr);
		set_ckr_error(err, rc, ckr, _("listing the slots"));
		goto fail;
	}
	rc = kyso_p11_pick_cert(p, sel, err);
	if (rc != KYSO_OK)
		goto fail;
	*out = p;
	return KYSO_OK;
fail:
	kyso_p11_free(&p);
	return rc;
}

void kyso_p11_free(kyso_p11_t **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	kyso_p11_t *p = *pp;
	EVP_PKEY_free(p->priv);
	EVP_PKEY_free(p->pub);
	X509_free(p->x509);
	sk_X509_pop_free(p->others, X509_free);
	free(p->label);
	if (p->ctx != NULL) {
		if (p->slots != NULL)
			PKCS11_release_all_slots(p->ctx, p->slots, p->nslots);
		PKCS11_CTX_unload(p->ctx);
		PKCS11_CTX_free(p->ctx);
	}
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->module);
	free(p);
	*pp = NULL;
}

kyso_pin_tries_t kyso_p11_pin_tries(kyso_p11_t *p)
{
	CK_TOKEN_INFO info;
	memset(&info, 0, sizeof(info));
	CK_FLAGS f = 0;
	if (p->fl != NULL && p->fl->C_GetTokenInfo((CK_SLOT_ID)p->slot_id, &info) == CKR_OK) {
		f = info.flags;
	} else if (p->slot != NULL && p->slot->token != NULL) {
		const PKCS11_TOKEN *t = p->slot->token;
		f = (t->userPinLocked ? CKF_USER_PIN_LOCKED : 0) |
		    (t->userPinFinalTry ? CKF_USER_PIN_FINAL_TRY : 0) |
		    (t->userPinCountLow ? CKF_USER_PIN_COUNT_LOW : 0);
	}
	if (f & CKF_USER_PIN_LOCKED)
		return KYSO_PIN_TRIES_LOCKED;
	if (f & CKF_USER_PIN_FINAL_TRY)
		return KYSO_PIN_TRIES_FINAL;
	if (f & CKF_USER_PIN_COUNT_LOW)
		return KYSO_PIN_TRIES_LOW;
	return KYSO_PIN_TRIES_OK;
}

bool kyso_p11_has_pinpad(const kyso_p11_t *p)
{
	return p->slot != NULL && p->slot->token != NULL && p->slot->token->secureLogin;
}

bool kyso_p11_logged_in(kyso_p11_t *p)
{
	int res = 0;
	if (p->slot == NULL || PKCS11_is_logged_in(p->slot, 0, &res) != 0) {
		ERR_clear_error();
		return false;
	}
	return res != 0;
}

static kyso_err_t pin_locked_error(kyso_p11_t *p, kyso_error_t *err)
{
	return kyso_error_set(err, KYSO_ERR_PIN_LOCKED,
	                      _("The PIN of token \"%s\" is locked. Unlock it with the PUK or "
	                        "the issuer's tool; kyso did not try the PIN."),
	                      kyso_p11_token_label(p));
}

kyso_err_t kyso_p11_login(kyso_p11_t *p, const char *pin, kyso_error_t *err)
{
	if (kyso_p11_logged_in(p))
		return kyso_p11_find_private_key(p, err);
	if (kyso_p11_pin_tries(p) == KYSO_PIN_TRIES_LOCKED)
		return pin_locked_error(p, err);
	ERR_clear_error();
	if (PKCS11_login(p->slot, 0, pin) != 0) {
		unsigned long ckr;
		kyso_err_t rc = kyso_p11_last_error(KYSO_ERR_TOKEN, &ckr);
		if (rc == KYSO_ERR_PIN_INCORRECT) {
			kyso_pin_tries_t t = kyso_p11_pin_tries(p);
			if (t == KYSO_PIN_TRIES_LOCKED)
				return kyso_error_set(
				        err, KYSO_ERR_PIN_LOCKED,
				        _("Wrong PIN for token \"%s\"; the PIN is now locked."),
				        kyso_p11_token_label(p));
			const char *tt = kyso_pin_tries_text(t);
			return kyso_error_set(err, KYSO_ERR_PIN_INCORRECT,
			                      _("Wrong PIN for token \"%s\".%s%s Not retried."),
			                      kyso_p11_token_label(p), tt[0] ? " " : "", tt);
		}
		if (rc == KYSO_ERR_PIN_LOCKED)
			return pin_locked_error(p, err);
		return set_ckr_error(err, rc, ckr, _("the login"));
	}
	return kyso_p11_find_private_key(p, err);
}
