/* Checks 10-14: certificate present, key pair, validity, chain, revocation. */
#include "doctor_int.h"
#include "kyso_trust.h"
#include "net_int.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPIRY_WARN_DAYS 30

static X509 *cert_x509(const kyso_p11_cert_t *c)
{
	size_t len = 0;
	const uint8_t *der = kyso_p11_cert_der(c, &len);
	const unsigned char *p = der;
	return der != NULL ? d2i_X509(NULL, &p, (long)len) : NULL;
}

/* Registers the personal parts of a certificate for redaction. */
static void personal_of_cert(const kyso_p11_cert_t *pc, X509 *x)
{
	kyso_doctor_personal(kyso_p11_cert_subject(pc));
	kyso_doctor_personal(kyso_p11_cert_label(pc));
	const kyso_p11_key_t *k = kyso_p11_cert_key(pc);
	if (k != NULL)
		kyso_doctor_personal(kyso_p11_key_label(k));
	if (x == NULL)
		return;
	X509_NAME *name = X509_get_subject_name(x);
	static const int nids[] = {NID_commonName,   NID_pkcs9_emailAddress, NID_userId,
	                           NID_serialNumber, NID_givenName,          NID_surname};
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		bool personal = false;
		for (size_t k2 = 0; k2 < sizeof(nids) / sizeof(nids[0]); k2++)
			personal |= nids[k2] == nid;
		if (!personal)
			continue;
		unsigned char *u = NULL;
		if (ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e)) < 0)
			continue;
		kyso_doctor_personal((char *)u);
		const char *colon = strchr((char *)u, ':'); /* "CCCD:0123..." -> the number too */
		if (colon != NULL)
			kyso_doctor_personal(colon + 1);
		OPENSSL_free(u);
	}
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; san != NULL && i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type == GEN_EMAIL)
			kyso_doctor_personal((const char *)ASN1_STRING_get0_data(g->d.rfc822Name));
	}
	GENERAL_NAMES_free(san);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	kyso_doctor_personal(hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The first value of nid in name, UTF-8 (OPENSSL_free), or NULL. */
static unsigned char *name_entry(X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *u = NULL;
	if (i < 0 ||
	    ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) < 0)
		return NULL;
	return u;
}

/* "O / OU" (or "O") of the subject into out ("" when it has no O). */
static void cert_org(X509 *x, char *out, size_t cap)
{
	out[0] = '\0';
	if (x == NULL)
		return;
	X509_NAME *name = X509_get_subject_name(x);
	unsigned char *o = name_entry(name, NID_organizationName);
	unsigned char *ou = name_entry(name, NID_organizationalUnitName);
	if (o != NULL && *o != '\0')
		snprintf(out, cap, "%s%s%s", (char *)o, ou != NULL && *ou != '\0' ? " / " : "",
		         ou != NULL ? (char *)ou : "");
	OPENSSL_free(o);
	OPENSSL_free(ou);
}

check_status_t kyso_doctor_check_cert_present(doctor_t *d, check_t *c)
{
	if (d->slot == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no token to look at."));
	if (kyso_p11_slot_objects_error(d->slot) != NULL)
		return kyso_doctor_ck_set(c, ST_FAIL, _("Pull the token out and plug it in again."),
		                          _("The token's objects cannot be listed: %s"),
		                          kyso_p11_slot_objects_error(d->slot));
	d->cert = kyso_p11_slot_signing_cert(d->slot);
	size_t n = kyso_p11_slot_cert_count(d->slot);
	for (size_t i = 0; i < n; i++) {
		const kyso_p11_cert_t *pc = kyso_p11_slot_cert_at(d->slot, i);
		if (kyso_p11_cert_is_ca(pc))
			continue; /* CA names are not personal */
		X509 *x = cert_x509(pc);
		personal_of_cert(pc, x);
		X509_free(x);
	}
	if (d->cert == NULL) {
		const kyso_p11_cert_t *first = NULL;
		for (size_t i = 0; i < n && first == NULL; i++)
			if (!kyso_p11_cert_is_ca(kyso_p11_slot_cert_at(d->slot, i)))
				first = kyso_p11_slot_cert_at(d->slot, i);
		d->cert = first;
	}
	if (d->cert == NULL)
		return kyso_doctor_ck_set_remedy(
		        c, ST_FAIL, _("The token holds no signing certificate."),
		        _("Have your certificate supplier (%s) load the certificate."),
		        kyso_doctor_token_cas(d));
	json_object_set_new(d->facts, "subject", json_string(kyso_p11_cert_subject(d->cert)));
	kyso_doctor_ck_data(c, "subject", json_string(kyso_p11_cert_subject(d->cert)));
	kyso_doctor_ck_data(c, "issuer", json_string(kyso_p11_cert_issuer(d->cert)));
	kyso_doctor_ck_data(c, "label", json_string(kyso_p11_cert_label(d->cert)));
	X509 *x = cert_x509(d->cert);
	BIGNUM *bn = x != NULL ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	kyso_doctor_ck_data(c, "serial", hex != NULL ? json_string(hex) : NULL);
	cert_org(x, d->cert_org, sizeof(d->cert_org));
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return kyso_doctor_ck_set(c, ST_PASS, "", _("Certificate of %s"),
	                          kyso_p11_cert_subject(d->cert));
}

check_status_t kyso_doctor_check_cert_key_pair(doctor_t *d, check_t *c)
{
	if (d->cert == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no certificate."));
	kyso_p11_pairing_t p = kyso_p11_cert_pairing(d->cert);
	kyso_doctor_ck_data(c, "pairing", json_string(kyso_p11_pairing_id(p)));
	switch (p) {
	case KYSO_P11_PAIR_ID_AND_KEY:
	case KYSO_P11_PAIR_KEY_ONLY:
		return kyso_doctor_ck_set(
		        c, ST_PASS, "", "%s",
		        _("The private key on the token matches the certificate."));
	case KYSO_P11_PAIR_ID_ONLY:
		return kyso_doctor_ck_set(
		        c, ST_PASS, "", "%s",
		        _("A private key with the certificate's ID is on the token (its "
		          "public part is only readable after the PIN)."));
	case KYSO_P11_PAIR_MISMATCH:
		return kyso_doctor_ck_set_remedy(
		        c, ST_FAIL,
		        _("The key with the certificate's ID is another key: signatures "
		          "would not verify."),
		        _("Have your certificate supplier (%s) load the right "
		          "certificate."),
		        kyso_doctor_token_cas(d));
	case KYSO_P11_PAIR_NONE:
	default:
		if (kyso_p11_slot_token_flags(d->slot) & KYSO_P11_TOKEN_LOGIN_REQUIRED)
			return kyso_doctor_ck_set(
			        c, ST_PASS, "", "%s",
			        _("The private key is hidden until the PIN is entered (normal "
			          "for this token); run with --sign to try it."));
		return kyso_doctor_ck_set_remedy(
		        c, ST_FAIL, _("No private key belongs to the certificate."),
		        _("Have your certificate supplier (%s) check the token."),
		        kyso_doctor_token_cas(d));
	}
}

static void date_of(const ASN1_TIME *t, char *buf, size_t cap)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, cap, "%d/%m/%Y", &tm) == 0)
		snprintf(buf, cap, "?");
}

check_status_t kyso_doctor_check_cert_validity(doctor_t *d, check_t *c)
{
	if (d->cert == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no certificate."));
	X509 *x = cert_x509(d->cert);
	if (x == NULL)
		return kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."), "%s",
		                          _("The certificate cannot be read."));
	char from[32], to[32];
	date_of(X509_get0_notBefore(x), from, sizeof(from));
	date_of(X509_get0_notAfter(x), to, sizeof(to));
	kyso_doctor_ck_data(c, "not_after", json_string(kyso_p11_cert_not_after(d->cert)));
	int days = 0, secs = 0;
	check_status_t st;
	const char *cas = kyso_doctor_token_cas(d);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		st = kyso_doctor_ck_set(c, ST_FAIL, NULL, _("The certificate expired on %s."), to);
		kyso_doctor_ck_remedy(c, _("Renew the certificate with your supplier (%s)."), cas);
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		st = kyso_doctor_ck_set(c, ST_FAIL, NULL,
		                        _("The certificate is only valid from %s."), from);
		kyso_doctor_ck_remedy(
		        c, "%s",
		        _("Check the computer's date; if it is right, wait until that day or ask "
		          "the supplier."));
	} else if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1 &&
	           days < EXPIRY_WARN_DAYS) {
		st = kyso_doctor_ck_set(c, ST_WARN, NULL,
		                        _("The certificate expires on %s (in %d day(s))."), to,
		                        days);
		kyso_doctor_ck_remedy(c, _("Renew it now with your supplier (%s)."), cas);
	} else {
		st = kyso_doctor_ck_set(c, ST_PASS, "", _("Valid from %s to %s."), from, to);
	}
	X509_free(x);
	return st;
}

static char *name_line(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return NULL;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	char *s = len >= 0 ? strndup(data, (size_t)len) : NULL;
	BIO_free(b);
	return s;
}

/* VGCA RootCA G1 (data/roots/roots.tsv): SHA-1, ends 2030-03-05 */
#define VGCA_G1_SHA256 "F7BC89054CEC7F12730D7B8CD3EB7955B163835087E5EB873EDFB584763B3F90"

static bool is_vgca_g1(X509 *x)
{
	unsigned char md[32];
	unsigned int n = 0;
	char hex[65] = "";
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return false;
	kyso_hex_encode(md, n, hex);
	return strcasecmp(hex, VGCA_G1_SHA256) == 0;
}

/* The token's certificate chained to the document trust anchors (shipped
 * Vietnamese roots, roots.d, --ca) or the OS store (Windows: ROOT), with the
 * token's CA certificates and the shipped intermediates as helpers. */
check_status_t kyso_doctor_check_cert_chain(doctor_t *d, check_t *c)
{
	if (d->cert == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no certificate."));
	X509 *x = cert_x509(d->cert);
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	kyso_trust_opts_t to = {d->o->ca_files, false, true};
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_trust_t *t = x != NULL && untrusted != NULL ? kyso_trust_new(&to, &e) : NULL;
	kyso_trust_result_t r = {0};
	check_status_t st = ST_FAIL;
	if (t == NULL) {
		st = kyso_doctor_ck_set(c, ST_FAIL, _("Send this report to the helpdesk."), "%s",
		                        x == NULL ? _("The certificate cannot be read.")
		                                  : kyso_error_message(&e));
		goto out;
	}
	kyso_doctor_ck_data(c, "anchors", json_incref(kyso_trust_sources(t)));
	kyso_doctor_ck_data(c, "system_roots", json_integer(kyso_trust_system_roots(t)));
	for (size_t i = 0; i < kyso_p11_slot_cert_count(d->slot); i++) {
		const kyso_p11_cert_t *pc = kyso_p11_slot_cert_at(d->slot, i);
		X509 *ix = pc != d->cert ? cert_x509(pc) : NULL;
		if (ix != NULL && sk_X509_push(untrusted, ix) <= 0)
			X509_free(ix);
	}
	/* validity has its own check */
	kyso_trust_verify(t, x, untrusted, 0, &r);
	int n = r.chain != NULL ? sk_X509_num(r.chain) : 0;
	X509 *top = n > 0 ? sk_X509_value(r.chain, n - 1) : NULL;
	char *top_name = top != NULL ? name_line(X509_get_subject_name(top)) : NULL;
	char *issuer = name_line(X509_get_issuer_name(top != NULL ? top : x));
	if (r.ok) {
		kyso_doctor_ck_data(c, "root", json_string(top_name));
		kyso_doctor_ck_data(c, "root_category",
		                    r.category ? json_string(r.category) : json_null());
		bool g1 = top != NULL && is_vgca_g1(top);
		st = kyso_doctor_ck_set(
		        c, g1 ? ST_WARN : ST_PASS, "",
		        _("Chains to the trusted root %s (%d certificate(s)); root category: %s."),
		        top_name != NULL ? top_name : "?", n, kyso_trust_category_text(r.category));
		if (g1)
			kyso_doctor_ck_remedy(
			        c, "%s",
			        _("This root (VGCA RootCA G1) uses SHA-1 and ends on 2030-03-05: "
			          "ask the Government Cipher Committee for a certificate under "
			          "RootCA "
			          "G2 before then."));
	} else if (r.local_agent_ca) {
		st = kyso_doctor_ck_set(
		        c, ST_FAIL, NULL, "%s",
		        _("The certificate was issued by a kyso agent's local CA: it is not a "
		          "signing certificate."));
	} else {
		kyso_doctor_ck_data(c, "openssl_error",
		                    json_string(X509_verify_cert_error_string(r.error)));
		st = kyso_doctor_ck_set(
		        c, ST_FAIL, NULL,
		        _("The certificate does not chain to a trusted root: %s (issuer %s)."),
		        X509_verify_cert_error_string(r.error), issuer != NULL ? issuer : "?");
		kyso_doctor_ck_remedy(
		        c,
		        _("Install the root and intermediate certificates of your supplier (%s): "
		          "put them in %s, or add them with --ca FILE; if the issuer above "
		          "is not a Vietnamese CA you know, this certificate is not for signing "
		          "documents."),
		        kyso_doctor_token_cas(d), kyso_path_roots_local());
	}
	free(top_name);
	free(issuer);
	d->cert_ok = r.ok;
out:
	kyso_trust_result_clear(&r);
	kyso_trust_free(&t);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(x);
	return st;
}

/* The issuer of x among the CA certificates on the token (caller frees), or NULL. */
static X509 *token_issuer(const doctor_t *d, X509 *x)
{
	for (size_t i = 0; i < kyso_p11_slot_cert_count(d->slot); i++) {
		const kyso_p11_cert_t *pc = kyso_p11_slot_cert_at(d->slot, i);
		if (!kyso_p11_cert_is_ca(pc))
			continue;
		X509 *ca = cert_x509(pc);
		if (ca != NULL && X509_check_issued(ca, x) == X509_V_OK)
			return ca;
		X509_free(ca);
	}
	return NULL;
}

/* First http(s) URI of the CRL distribution points, malloc'ed. */
static char *crl_url(X509 *x)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	char *url = NULL;
	for (int i = 0; dps != NULL && url == NULL && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *gns = dp->distpoint->name.fullname;
		for (int k = 0; url == NULL && k < sk_GENERAL_NAME_num(gns); k++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, k);
			if (g->type == GEN_URI)
				url = strdup((const char *)ASN1_STRING_get0_data(g->d.ia5));
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return url;
}

check_status_t kyso_doctor_check_cert_revocation(doctor_t *d, check_t *c)
{
	if (d->cert == NULL)
		return kyso_doctor_ck_skip(c, _("Skipped: no certificate."));
	if (d->o->offline)
		return kyso_doctor_ck_skip(c, _("Skipped: --offline."));
	X509 *x = cert_x509(d->cert);
	char *url = x != NULL ? crl_url(x) : NULL;
	if (url == NULL) {
		X509_free(x);
		return kyso_doctor_ck_skip(c, _("The certificate names no CRL to check."));
	}
	kyso_doctor_ck_data(c, "crl", json_string(url));
	kyso_buf_t body;
	kyso_buf_init(&body);
	char msg[256] = "";
	long code = 0;
	check_status_t st;
	if (kyso_doctor_net_get(url, kyso_doctor_timeout_ms(d), 8u << 20, &body, &code, msg,
	                        sizeof(msg)) != 0 ||
	    code != 200) {
		st = kyso_doctor_ck_set(
		        c, ST_WARN,
		        _("Check the Internet connection (a proxy or firewall may block it)."),
		        _("The revocation list %s cannot be fetched: %s"), url,
		        msg[0] != '\0' ? msg : "HTTP error");
	} else {
		const unsigned char *p = body.data;
		X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)body.len);
		if (crl == NULL) {
			BIO *b = BIO_new_mem_buf(body.data, (int)body.len);
			crl = b != NULL ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
			BIO_free(b);
		}
		X509_REVOKED *rev = NULL;
		X509 *issuer = crl != NULL ? token_issuer(d, x) : NULL;
		EVP_PKEY *ik = issuer != NULL ? X509_get0_pubkey(issuer) : NULL;
		if (crl == NULL)
			st = kyso_doctor_ck_set(c, ST_WARN, _("Send this report to the helpdesk."),
			                        _("The revocation list %s cannot be read."), url);
		else if (ik == NULL || X509_CRL_verify(crl, ik) != 1)
			st = kyso_doctor_ck_set(
			        c, ST_WARN, _("Send this report to the helpdesk."),
			        _("The revocation list %s is not signed by the certificate's "
			          "issuer "
			          "(or the issuer is not on the token)."),
			        url);
		else if (X509_CRL_get0_by_cert(crl, &rev, x) == 1)
			st = kyso_doctor_ck_set_remedy(
			        c, ST_FAIL, _("The certificate has been revoked."),
			        _("Ask your supplier (%s) for a new certificate."),
			        kyso_doctor_token_cas(d));
		else
			st = kyso_doctor_ck_set(c, ST_PASS, "", _("Not on the revocation list %s."),
			                        url);
		X509_free(issuer);
		ERR_clear_error();
		X509_CRL_free(crl);
	}
	kyso_buf_free(&body);
	free(url);
	X509_free(x);
	return st;
}
