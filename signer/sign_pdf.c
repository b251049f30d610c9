/* Signing a PDF with a token: the library entry points behind `kyso sign`.
 * Order: open the PDF (input errors before any PIN prompt), log in (PIN
 * asked once, never retried), size /Contents from the real CMS size, stream
 * the incremental update into a temp file next to OUT while hashing the
 * ByteRange, sign on the token, fill /Contents, rename over OUT. */
#include "sign_int.h"
#include "pdf.h"
#include "tsa_int.h"
#include "appearance.h"
#include "ltv_int.h"
#include "kyso_platform.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct kyso_signer {
	kyso_sign_opts_t o;
	kyso_p11_t *p11;
	STACK_OF(X509) * chain;
	char subject[512];
};

kyso_err_t kyso_signer_open(const kyso_sign_opts_t *o, kyso_signer_t **out, kyso_error_t *err)
{
	*out = NULL;
	kyso_signer_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	s->o = *o;
	kyso_err_t rc = kyso_p11_open(&o->token, &s->p11, err);
	if (rc != KYSO_OK)
		goto fail;
	X509 *cert = kyso_p11_cert(s->p11);
	kyso_x509_name_line(X509_get_subject_name(cert), s->subject, sizeof(s->subject));
	kyso_redact_personal(s->subject);
	STACK_OF(X509) *pool = sk_X509_new_null();
	if (pool == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		goto fail;
	}
	STACK_OF(X509) *others = kyso_p11_other_certs(s->p11);
	for (int i = 0; i < sk_X509_num(others); i++)
		sk_X509_push(pool, sk_X509_value(others, i)); /* borrowed */
	STACK_OF(X509) *extra = sk_X509_new_null();
	if (extra == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	else if (o->chain_file != NULL)
		rc = kyso_cms_load_certs(o->chain_file, extra, err);
	for (int i = 0; rc == KYSO_OK && i < sk_X509_num(extra); i++)
		sk_X509_push(pool, sk_X509_value(extra, i));
	if (rc == KYSO_OK)
		rc = kyso_cms_chain(cert, pool, &s->chain, err);
	sk_X509_free(pool);
	sk_X509_pop_free(extra, X509_free);
	if (rc != KYSO_OK)
		goto fail;
	*out = s;
	return KYSO_OK;
fail:
	kyso_signer_free(&s);
	return rc;
}

void kyso_signer_free(kyso_signer_t **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	kyso_signer_t *s = *sp;
	kyso_p11_free(&s->p11);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
	*sp = NULL;
}

const char *kyso_signer_token_label(const kyso_signer_t *s)
{
	return kyso_p11_token_label(s->p11);
}

const char *kyso_signer_subject(const kyso_signer_t *s)
{
	return s->subject;
}

kyso_p11_t *kyso_signer_p11(const kyso_signer_t *s)
{
	return s->p11;
}

kyso_err_t kyso_signer_login(kyso_signer_t *s, kyso_error_t *err)
{
	if (kyso_p11_logged_in(s->p11))
		return kyso_p11_login(s->p11, NULL, err); /* finds the key */
	if (kyso_p11_has_pinpad(s->p11)) {
		kyso_info("token has a PIN pad: enter the PIN on the reader");
		return kyso_p11_login(s->p11, NULL, err);
	}
	kyso_pin_tries_t tries = kyso_p11_pin_tries(s->p11);
	if (tries == KYSO_PIN_TRIES_LOCKED)
		return kyso_p11_login(s->p11, NULL, err); /* reports "locked", sends nothing */
	kyso_pin_request_t req = {
	        .token_label = kyso_p11_token_label(s->p11),
	        .cert_subject = s->subject,
	        .tries = tries,
	};
	char desc[1024];
	kyso_pin_describe(&req, desc, sizeof(desc));
	req.description = desc;
	char pin[256];
	kyso_err_t rc = kyso_pin_get(&s->o, &req, pin, sizeof(pin), err);
	if (rc == KYSO_OK)
		rc = kyso_p11_login(s->p11, pin, err);
	kyso_memzero(pin, sizeof(pin));
	return rc;
}

/* PAdES B-T: the CMS builder's time-stamp hook (ctx: the options). */
static kyso_err_t tsa_hook(void *ctx, const EVP_MD *md, const uint8_t *sig, size_t sig_len,
                           kyso_buf_t *token, kyso_error_t *err)
{
	const kyso_sign_opts_t *o = ctx;
	kyso_tsa_opts_t t = {o->tsa_url, o->tsa_user, o->tsa_pass, o->tsa_timeout};
	kyso_err_t rc = kyso_tsa_stamp(&t, md, sig, sig_len, token, err);
	if (rc != KYSO_OK && o->tsa_optional) {
		kyso_warn(_("%s — signing without a time stamp (PAdES B-B) as --tsa-optional "
		            "allows."),
		          err->msg);
		kyso_error_clear(err);
		return KYSO_ERR_UNSUPPORTED;
	}
	return rc;
}

static kyso_err_t token_sign(void *ctx, const EVP_MD *md, const uint8_t *dgst, size_t dgst_len,
                             uint8_t *sig, size_t *sig_len, kyso_error_t *err)
{
	return kyso_p11_sign_digest(ctx, md, dgst, dgst_len, sig, sig_len, err);
}

/* Refuses OUT == IN unless in_place; *mode gets IN's permission bits. */
static kyso_err_t check_paths(const char *in, const char *out, bool in_place, unsigned *mode,
                              kyso_error_t *err)
{
	struct stat si;
	if (stat(in, &si) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot open %s: %s"), in,
		                      strerror(errno));
	*mode = (unsigned)(si.st_mode & 0666);
	if (!in_place && kyso_same_file(in, out))
		return kyso_error_set(
		        err, KYSO_ERR_USAGE,
		        _("The output is the input file; use --in-place to replace it."));
	return KYSO_OK;
}

static kyso_pdf_t *open_input(const char *in, const char *out, const kyso_sign_opts_t *o,
                              unsigned *mode, kyso_error_t *err)
{
	if (check_paths(in, out, o->in_place, mode, err) != KYSO_OK)
		return NULL;
	kyso_pdf_t *pdf = kyso_pdf_open(in, o->password, o->max_size, err);
	if (pdf == NULL) {
		if (err->code == KYSO_OK)
			kyso_error_set(err, KYSO_ERR_BAD_PDF, NULL);
		return NULL;
	}
	for (size_t i = 0; i < kyso_pdf_warning_count(pdf); i++)
		kyso_warn("%s: %s", in, kyso_pdf_warning(pdf, i));
	kyso_error_t e2;
	kyso_error_clear(&e2);
	if (kyso_pdf_docmdp(pdf, &e2) == 1) {
		kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		               _("%s is certified with no changes allowed (DocMDP P=1); a new "
		                 "signature would break its certification."),
		               in);
		kyso_pdf_free(&pdf);
		return NULL;
	}
	return pdf;
}

/* PAdES B-LT: the time stamp's certificates join the collected data, then a
 * second incremental update adds the /DSS with a /VRI entry for this
 * signature (key: SHA-1 of its whole /Contents, padding included). */
static kyso_err_t add_ltv(kyso_ltv_t *ltv, FILE *f, const char *name, const char *password,
                          const kyso_buf_t *der, size_t contents_size, uint64_t *file_size,
                          kyso_error_t *err)
{
	STACK_OF(X509) *tsa = NULL;
	kyso_err_t rc = kyso_ltv_tsa_certs(der->data, der->len, &tsa, err);
	for (int i = 0; rc == KYSO_OK && i < sk_X509_num(tsa); i++) {
		X509 *x = sk_X509_value(tsa, i);
		if (X509_check_issued(x, x) != X509_V_OK &&
		    X509_check_purpose(x, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1)
			rc = kyso_ltv_collect(ltv, x, tsa, true, err);
	}
	sk_X509_pop_free(tsa, X509_free);
	if (rc != KYSO_OK)
		return rc;
	uint8_t *contents = calloc(1, contents_size);
	if (contents == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	memcpy(contents, der->data, der->len);
	uint8_t sha1[EVP_MAX_MD_SIZE];
	unsigned sl = 0;
	char key[2 * EVP_MAX_MD_SIZE + 1];
	if (!EVP_Digest(contents, contents_size, sha1, &sl, EVP_sha1(), NULL)) {
		free(contents);
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "SHA-1");
	}
	free(contents);
	kyso_hex_encode(sha1, sl, key);
	kyso_pdf_dss_t d;
	rc = kyso_ltv_dss(ltv, &d, err);
	d.vri_key = key;
	kyso_pdf_t *pdf =
	        rc == KYSO_OK ? kyso_pdf_open_stream(f, name, password, UINT64_MAX, err) : NULL;
	if (pdf == NULL)
		return err->code != KYSO_OK ? err->code : KYSO_ERR_IO;
	rc = kyso_pdf_append_dss(pdf, &d, f, file_size, err);
	kyso_pdf_free(&pdf);
	return rc;
}

/* Signs the opened pdf (taken over and freed) into out; af and pre (taken
 * over too): out's temporary file with pdf's bytes already on their way
 * (kyso_pdf_prefix_start), or NULL. */
static kyso_err_t sign_opened(kyso_signer_t *s, kyso_pdf_t *pdf, unsigned mode, const char *out,
                              kyso_atomic_file_t *af, kyso_pdf_prefix_t *pre,
                              kyso_sign_result_t *res, kyso_error_t *err)
{
	kyso_err_t rc;
	kyso_buf_t der;
	kyso_buf_init(&der);
	kyso_appearance_t *app = NULL;
	kyso_ltv_t *ltv = NULL;
	long page = -1;
	time_t when = s->o.signing_time != 0 ? s->o.signing_time : time(NULL);

	/* visible appearance before the PIN: bad image/page/rect fail first */
	if (s->o.appearance != NULL && s->o.appearance->visible) {
		rc = kyso_appearance_build(s->o.appearance, pdf, kyso_p11_cert(s->p11), when,
		                           s->o.reason, s->o.location, &app, &page, err);
		if (rc != KYSO_OK)
			goto out;
	}

	/* B-LT: revocation data before the PIN; a source down fails here */
	if (s->o.ltv) {
		rc = kyso_ltv_new(s->o.crl_files, s->o.tsa_timeout, &ltv, err);
		if (rc == KYSO_OK)
			rc = kyso_ltv_collect(ltv, kyso_p11_cert(s->p11), s->chain, false, err);
		if (rc != KYSO_OK)
			goto out;
	}

	rc = kyso_signer_login(s, err);
	if (rc != KYSO_OK)
		goto out;

	const EVP_MD *md = kyso_digest_md(s->o.digest);
	kyso_cms_signer_t cs = {
	        .cert = kyso_p11_cert(s->p11),
	        .chain = s->chain,
	        .md = md,
	        .sig_max_len = kyso_p11_sig_max_len(s->p11),
	        .sign = token_sign,
	        .sign_ctx = s->p11,
	        .timestamp = s->o.tsa_url != NULL ? tsa_hook : NULL,
	        .timestamp_ctx = &s->o,
	};
	size_t cms_size = 0;
	rc = kyso_cms_size(&cs, &cms_size, err);
	if (rc != KYSO_OK)
		goto out;
	if (s->o.tsa_url != NULL)
		cms_size += KYSO_TSA_RESERVE;

	kyso_pdf_sig_params_t params = {
	        .field_name = s->o.field_name,
	        .sub_filter = "ETSI.CAdES.detached",
	        .contents_size = cms_size,
	        .signing_time = when,
	        .name = s->o.name,
	        .reason = s->o.reason,
	        .location = s->o.location,
	        .contact_info = s->o.contact_info,
	        .page = page,
	        .appearance = app != NULL ? kyso_appearance_get(app) : NULL,
	        .all_pages = app != NULL && s->o.appearance->all_pages,
	};
	if (app != NULL)
		params.stamps = kyso_appearance_stamps(app, &params.nstamps);
	params.prefix = pre;
	if (af == NULL)
		af = kyso_atomic_file_new(out, mode, err);
	if (af == NULL) {
		rc = err->code;
		goto out;
	}
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	kyso_pdf_sig_slot_t slot;
	rc = kyso_pdf_sig_prepare(pdf, &params, kyso_atomic_file_stream(af), md, digest, &dlen,
	                          &slot, err);
	kyso_pdf_prefix_free(&pre);
	if (rc != KYSO_OK)
		goto out;
	/* every byte but the signature is written: the disk makes them durable
	 * while the token signs (issue 21; the commit then syncs one page) */
	kyso_atomic_file_sync_start(af);
	rc = kyso_cms_build(&cs, digest, dlen, &der, err);
	if (rc != KYSO_OK)
		goto out;
	if (der.len > cms_size) {
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL,
		                    "CMS of %zu bytes is larger than its estimate %zu", der.len,
		                    cms_size);
		goto out;
	}
	rc = kyso_pdf_sig_fill(kyso_atomic_file_stream(af), &slot, der.data, der.len, err);
	if (rc != KYSO_OK)
		goto out;
	if (ltv != NULL) {
		rc = add_ltv(ltv, kyso_atomic_file_stream(af), out, s->o.password, &der, cms_size,
		             &slot.file_size, err);
		if (rc != KYSO_OK)
			goto out;
	}
	kyso_pdf_free(&pdf); /* before the rename: --in-place replaces the input */
	rc = kyso_atomic_file_commit(&af, err);
	if (rc != KYSO_OK)
		goto out;
	if (res != NULL) {
		memset(res, 0, sizeof(*res));
		snprintf(res->signer_subject, sizeof(res->signer_subject), "%s", s->subject);
		snprintf(res->field_name, sizeof(res->field_name), "%s",
		         s->o.field_name != NULL ? s->o.field_name : "");
		res->cms_len = der.len;
		res->contents_size = cms_size;
		res->out_size = slot.file_size;
	}
out:
	kyso_pdf_prefix_free(&pre); /* before its file and its input close */
	if (af != NULL)
		kyso_atomic_file_abort(&af);
	kyso_pdf_free(&pdf);
	kyso_buf_free(&der);
	kyso_appearance_free(&app);
	kyso_ltv_free(&ltv);
	ERR_clear_error();
	return rc;
}

kyso_err_t kyso_signer_sign_pdf(kyso_signer_t *s, const char *in, const char *out,
                                kyso_sign_result_t *res, kyso_error_t *err)
{
	unsigned mode = 0644;
	kyso_pdf_t *pdf = open_input(in, out, &s->o, &mode, err);
	if (pdf == NULL)
		return err->code;
	return sign_opened(s, pdf, mode, out, NULL, NULL, res, err);
}

kyso_err_t kyso_sign_pdf(const kyso_sign_opts_t *o, const char *in, const char *out,
                         kyso_sign_result_t *res, kyso_error_t *err)
{
	/* the input first: a bad PDF is reported before the token is touched */
	unsigned mode = 0644;
	kyso_pdf_t *pdf = open_input(in, out, o, &mode, err);
	if (pdf == NULL)
		return err->code;
	/* the input's bytes head for the output while the token opens (issue 21);
	 * without memory for that, sign_opened copies them itself */
	kyso_atomic_file_t *af = kyso_atomic_file_new(out, mode, err);
	if (af == NULL) {
		kyso_pdf_free(&pdf);
		return err->code;
	}
	kyso_pdf_prefix_t *pre =
	        kyso_pdf_prefix_start(pdf, kyso_atomic_file_stream(af), kyso_digest_md(o->digest));
	kyso_signer_t *s = NULL;
	kyso_err_t rc = kyso_signer_open(o, &s, err);
	if (rc == KYSO_OK && s != NULL) {
		rc = sign_opened(s, pdf, mode, out, af, pre, res, err);
	} else {
		kyso_pdf_prefix_free(&pre);
		kyso_atomic_file_abort(&af);
		kyso_pdf_free(&pdf);
	}
	kyso_signer_free(&s);
	return rc;
}

kyso_err_t kyso_signer_sign_cms(kyso_signer_t *s, kyso_digest_t alg, const uint8_t *dgst,
                                size_t dgst_len, kyso_buf_t *der, kyso_error_t *err)
{
	const EVP_MD *md = kyso_digest_md(alg);
	if (md == NULL || (size_t)EVP_MD_get_size(md) != dgst_len)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("The digest does not have the length of %s."),
		                      kyso_digest_name(alg));
	kyso_err_t rc = kyso_signer_login(s, err);
	if (rc != KYSO_OK)
		return rc;
	kyso_cms_signer_t cs = {
	        .cert = kyso_p11_cert(s->p11),
	        .chain = s->chain,
	        .md = md,
	        .sig_max_len = kyso_p11_sig_max_len(s->p11),
	        .sign = token_sign,
	        .sign_ctx = s->p11,
	};
	der->len = 0;
	return kyso_cms_build(&cs, dgst, dgst_len, der, err);
}
