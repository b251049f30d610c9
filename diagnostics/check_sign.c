/* Check 18 (--sign only): one real signature on a sample PDF, verified. */
#include "doctor_int.h"
#include "kyso_signer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void remove_tmp(const char *dir, const char *in, const char *out)
{
	if (unlink(out) != 0)
		kyso_debug("doctor: no signed sample to remove");
	if (unlink(in) != 0)
		kyso_debug("doctor: cannot remove %s", in);
	if (rmdir(dir) != 0)
		kyso_debug("doctor: cannot remove %s", dir);
}

/* The shipped sample (data/samples/sample-vi.pdf), else a generated one. */
static kyso_err_t copy_sample(const char *to, kyso_error_t *err)
{
	char from[4200];
	snprintf(from, sizeof(from), "%s/samples/sample-vi.pdf", kyso_path_data());
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_error_t e2;
	kyso_error_clear(&e2);
	if (kyso_file_read_all(from, 64u << 20, &data, &len, &e2) != KYSO_OK)
		return kyso_sample_pdf_write(to, err);
	kyso_err_t rc = kyso_file_write_atomic(to, data, len, 0600, err);
	free(data);
	return rc;
}

check_status_t kyso_doctor_check_test_signature(doctor_t *d, check_t *c)
{
	if (!d->module_ok || d->slot == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no usable token."));
	if (!d->token_usable)
		return kyso_doctor_ck_skip(
		        c, _("Skipped: the token's PIN is locked or the token is not ready "
		             "(a test would waste a PIN try)."));
	if (d->cert == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no certificate."));
	char dir[] = "/tmp/kyso-doctor.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return kyso_doctor_ck_set(c, ST_FAIL, _("Free some disk space in /tmp."), "%s",
		                          _("Cannot create a temporary directory."));
	char in[64], out[64];
	snprintf(in, sizeof(in), "%s/sample.pdf", dir);
	snprintf(out, sizeof(out), "%s/signed.pdf", dir);
	kyso_error_t err;
	kyso_error_clear(&err);
	check_status_t st;
	if (copy_sample(in, &err) != KYSO_OK) {
		st = kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."),
		                        _("The sample document cannot be made: %s"),
		                        kyso_error_message(&err));
		remove_tmp(dir, in, out);
		return st;
	}
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	so.token.module = d->module;
	so.token.token = kyso_p11_slot_token_label(d->slot);
	so.token.key_id = kyso_p11_cert_id_hex(d->cert);
	so.pin_env = d->o->pin_env;
	so.reason = "kyso doctor";
	kyso_sign_result_t res;
	memset(&res, 0, sizeof(res));
	/* the PIN is asked exactly once: kyso_sign_pdf never retries a wrong PIN */
	kyso_err_t rc = kyso_sign_pdf(&so, in, out, &res, &err);
	if (rc != KYSO_OK) {
		const char *remedy = _("Send this report to the helpdesk.");
		if (rc == KYSO_ERR_PIN_INCORRECT)
			remedy = _("The PIN was wrong: check it before trying again (few tries "
			           "are left before the token locks).");
		else if (rc == KYSO_ERR_PIN_LOCKED)
			remedy = _("Contact the certificate supplier to unlock the token.");
		else if (rc == KYSO_ERR_PIN_CANCELLED)
			remedy = _("Run again and enter the PIN when asked.");
		st = kyso_doctor_ck_set(c, ST_FAIL, remedy, _("The test signature failed: %s"),
		                        kyso_error_message(&err));
		kyso_doctor_ck_data(c, "error", json_string(kyso_err_id(rc)));
		remove_tmp(dir, in, out);
		return st;
	}
	kyso_verify_opts_t vo;
	memset(&vo, 0, sizeof(vo));
	vo.ca_files = d->o->ca_files;
	json_t *report = NULL;
	bool valid = false;
	if (kyso_verify_pdf(out, &vo, &report, &valid, &err) != KYSO_OK)
		st = kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."),
		                        _("The signed sample cannot be checked: %s"),
		                        kyso_error_message(&err));
	else if (!valid && !d->cert_ok)
		st = kyso_doctor_ck_set(
		        c, ST_WARN, _("See the certificate chain check above."), "%s",
		        _("The token signed, but the signature does not verify against the "
		          "trusted roots."));
	else if (!valid)
		st = kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."), "%s",
		                        _("The token signed, but the signature does not verify."));
	else
		st = kyso_doctor_ck_set(c, ST_PASS, "",
		                        _("Signed and verified a sample document (%zu-byte "
		                          "signature)."),
		                        res.cms_len);
	json_decref(report);
	remove_tmp(dir, in, out);
	return st;
}
