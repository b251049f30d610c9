/* The public API for callers that drive the token themselves (kyso-agent):
 * the signing certificate, PIN-pad check and raw digest signatures of an open
 * kyso_signer_t, and the visible-signature options as an opaque builder over
 * the appearance options `kyso sign` fills from its command line. */
#include "appearance.h"
#include "sign_int.h"

#include <stdlib.h>
#include <string.h>

kyso_err_t kyso_signer_cert_der(const kyso_signer_t *s, kyso_buf_t *out, kyso_error_t *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(kyso_p11_cert(kyso_signer_p11(s)), &der);
	if (len <= 0)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	if (rc != KYSO_OK)
		return kyso_error_set(err, rc, NULL);
	return KYSO_OK;
}

void kyso_signer_issuer(const kyso_signer_t *s, char *buf, size_t cap)
{
	kyso_x509_name_line(X509_get_issuer_name(kyso_p11_cert(kyso_signer_p11(s))), buf, cap);
}

bool kyso_signer_has_pinpad(const kyso_signer_t *s)
{
	return kyso_p11_has_pinpad(kyso_signer_p11(s));
}

kyso_pin_tries_t kyso_signer_pin_tries(kyso_signer_t *s)
{
	return kyso_p11_pin_tries(kyso_signer_p11(s));
}

kyso_err_t kyso_signer_login_pin(kyso_signer_t *s, const char *pin, kyso_error_t *err)
{
	return kyso_p11_login(kyso_signer_p11(s), pin, err);
}

kyso_err_t kyso_signer_sign_digest(kyso_signer_t *s, kyso_digest_t alg, const uint8_t *dgst,
                                   size_t dgst_len, kyso_buf_t *sig, kyso_error_t *err)
{
	kyso_p11_t *p = kyso_signer_p11(s);
	if (!kyso_p11_logged_in(p)) {
		kyso_err_t rc = kyso_signer_login(s, err);
		if (rc != KYSO_OK)
			return rc;
	}
	size_t cap = kyso_p11_sig_max_len(p);
	if (cap == 0)
		return kyso_error_set(err, KYSO_ERR_KEY_NOT_FOUND, NULL);
	sig->len = 0;
	if (kyso_buf_reserve(sig, cap) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	size_t len = cap;
	kyso_err_t rc =
	        kyso_p11_sign_digest(p, kyso_digest_md(alg), dgst, dgst_len, sig->data, &len, err);
	if (rc == KYSO_OK)
		sig->len = len;
	return rc;
}

/* ---- visible signature ------------------------------------------------------ */

struct kyso_visible {
	kyso_appearance_opts_t set;     /* what the caller set */
	kyso_appearance_opts_t applied; /* with the role's defaults */
	char *text, *number, *date;
};

kyso_visible_t *kyso_visible_new(void)
{
	kyso_visible_t *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	kyso_appearance_opts_init(&v->set);
	v->set.visible = true;
	return v;
}

void kyso_visible_free(kyso_visible_t **pv)
{
	if (pv == NULL || *pv == NULL)
		return;
	kyso_visible_t *v = *pv;
	free(v->text);
	free(v->number);
	free(v->date);
	free(v);
	*pv = NULL;
}

kyso_err_t kyso_visible_set_role(kyso_visible_t *v, const char *role, kyso_error_t *err)
{
	kyso_role_t r = KYSO_ROLE_NONE;
	if (role != NULL && !kyso_role_parse(role, &r))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("unknown role \"%s\""), role);
	v->set.role = r;
	return KYSO_OK;
}

void kyso_visible_set_rect(kyso_visible_t *v, long page, double x, double y, double w, double h)
{
	v->set.page = page;
	v->set.has_rect = true;
	v->set.rect_mm = false;
	v->set.rect[0] = x;
	v->set.rect[1] = y;
	v->set.rect[2] = w;
	v->set.rect[3] = h;
}

static kyso_err_t set_str(char **dst, const char **field, const char *s, kyso_error_t *err)
{
	char *copy = NULL;
	if (s != NULL && (copy = strdup(s)) == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	free(*dst);
	*dst = copy;
	*field = copy;
	return KYSO_OK;
}

kyso_err_t kyso_visible_set_text(kyso_visible_t *v, const char *text, kyso_error_t *err)
{
	return set_str(&v->text, &v->set.text, text, err);
}

kyso_err_t kyso_visible_set_number(kyso_visible_t *v, const char *number, kyso_error_t *err)
{
	return set_str(&v->number, &v->set.number, number, err);
}

kyso_err_t kyso_visible_set_date(kyso_visible_t *v, const char *date, kyso_error_t *err)
{
	return set_str(&v->date, &v->set.date, date, err);
}

const struct kyso_appearance_opts *kyso_visible_opts(kyso_visible_t *v)
{
	v->applied = v->set;
	kyso_role_defaults(&v->applied);
	return &v->applied;
}
