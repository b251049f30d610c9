/* Choosing the signing certificate (and its private key) on the tokens. */
#include "p11_int.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_CANDIDATES 16

struct candidate {
	PKCS11_SLOT *slot;
	PKCS11_CERT *cert;
};

bool kyso_p11_cert_is_signing(X509 *x)
{
	if (x == NULL || X509_check_ca(x) != 0)
		return false;
	uint32_t ku = X509_get_key_usage(x);
	if (ku == UINT32_MAX) /* no keyUsage extension: any use */
		return true;
	return (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

static bool cert_valid_now(X509 *x)
{
	return X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
	       X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
}

static bool parse_slot_id(const char *s, unsigned long *out)
{
	char *end = NULL;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

/* the certificate's serial number is hex (any case, leading zeros ignored) */
static bool serial_is(X509 *x, const char *hex)
{
	if (x == NULL)
		return false;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *have = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (have == NULL)
		return false;
	/* BN_bn2hex prints whole bytes ("02A0…"), pages may drop the zero */
	const char *h = have;
	while (*h == '0' && h[1] != '\0')
		h++;
	while (*hex == '0' && hex[1] != '\0')
		hex++;
	bool same = strcasecmp(h, hex) == 0;
	OPENSSL_free(have);
	return same;
}

static bool cert_matches(const kyso_token_sel_t *sel, const uint8_t *id, size_t id_len,
                         PKCS11_CERT *c)
{
	if (sel->serial != NULL && !serial_is(c->x509, sel->serial))
		return false;
	if (sel->key_id != NULL && (c->id_len != id_len || memcmp(c->id, id, id_len) != 0))
		return false;
	if (sel->cert_label != NULL && (c->label == NULL || strcmp(c->label, sel->cert_label) != 0))
		return false;
	if (sel->key_id == NULL && sel->cert_label == NULL)
		return kyso_p11_cert_is_signing(c->x509);
	return c->x509 != NULL;
}

static void describe(const struct candidate *c, char *buf, size_t cap)
{
	char subj[256], hex[2 * 64 + 1] = "";
	kyso_x509_name_line(X509_get_subject_name(c->cert->x509), subj, sizeof(subj));
	if (c->cert->id_len <= 64)
		kyso_hex_encode(c->cert->id, c->cert->id_len, hex);
	snprintf(buf, cap, "token \"%s\" --key-id %s: %s",
	         c->slot->token->label != NULL ? c->slot->token->label : "", hex, subj);
}

/* a name's CN in UTF-8 ("" without one) */
static void name_cn(const X509_NAME *n, char *buf, size_t cap)
{
	buf[0] = '\0';
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *u = NULL;
	if (i < 0 ||
	    ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i))) < 0)
		return;
	snprintf(buf, cap, "%s", (const char *)u);
	OPENSSL_free(u);
}

/* one line of the chooser: holder, issuer, end of validity, serial, token */
static void choice_line(const struct candidate *c, char *buf, size_t cap)
{
	X509 *x = c->cert->x509;
	char subj[200], iss[200], until[32] = "?", serial[80] = "";
	name_cn(X509_get_subject_name(x), subj, sizeof(subj));
	if (subj[0] == '\0')
		kyso_x509_name_line(X509_get_subject_name(x), subj, sizeof(subj));
	name_cn(X509_get_issuer_name(x), iss, sizeof(iss));
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(until, sizeof(until), "%d/%m/%Y", &tm);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (hex != NULL)
		snprintf(serial, sizeof(serial), "%.64s", hex);
	OPENSSL_free(hex);
	snprintf(buf, cap, _("%s — issued by %s — valid until %s — serial %s (token \"%s\")"), subj,
	         iss, until, serial, c->slot->token->label != NULL ? c->slot->token->label : "");
}

/* Several signing certificates: the user picks one (kyso_dialog_choose).
 * KYSO_ERR_UNSUPPORTED when no chooser can be shown. */
static kyso_err_t ask_choice(const struct candidate *cand, size_t n, size_t *chosen,
                             kyso_error_t *err)
{
	char lines[MAX_CANDIDATES][600];
	const char *items[MAX_CANDIDATES];
	for (size_t i = 0; i < n; i++) {
		choice_line(&cand[i], lines[i], sizeof(lines[i]));
		items[i] = lines[i];
	}
	return kyso_dialog_choose(_("kyso - choose a certificate"),
	                          _("The token holds several signing certificates. Choose the "
	                            "one to sign with:"),
	                          items, n, chosen, err);
}

static kyso_err_t take(kyso_p11_t *p, const struct candidate *c, kyso_error_t *err)
{
	p->slot = c->slot;
	p->slot_id = PKCS11_get_slotid_from_slot(c->slot);
	p->cert = c->cert;
	p->label = strdup(c->slot->token->label != NULL ? c->slot->token->label : "");
	p->x509 = X509_dup(c->cert->x509);
	p->others = sk_X509_new_null();
	if (p->label == NULL || p->x509 == NULL || p->others == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	p->pub = X509_get_pubkey(p->x509);
	if (p->pub == NULL)
		return kyso_error_set(err, KYSO_ERR_KEY_NOT_FOUND,
		                      _("The certificate's public key cannot be read."));
	kyso_err_t rc = kyso_p11_check_key_type(p->pub, err);
	if (rc != KYSO_OK)
		return rc;
	PKCS11_CERT *certs = NULL;
	unsigned int n = 0;
	if (PKCS11_enumerate_certs(c->slot->token, &certs, &n) < 0) {
		ERR_clear_error();
		n = 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (&certs[i] == c->cert || certs[i].x509 == NULL)
			continue;
		X509 *dup = X509_dup(certs[i].x509);
		if (dup == NULL || !sk_X509_push(p->others, dup)) {
			X509_free(dup);
			return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		}
	}
	return KYSO_OK;
}

kyso_err_t kyso_p11_pick_cert(kyso_p11_t *p, const kyso_token_sel_t *sel, kyso_error_t *err)
{
	uint8_t id[256];
	size_t id_len = 0;
	unsigned long want_slot = 0;
	if (sel->key_id != NULL) {
		ssize_t r = kyso_hex_decode(sel->key_id, id, sizeof(id));
		if (r <= 0)
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--key-id takes the key's CKA_ID in hex, not \"%s\"."),
			        sel->key_id);
		id_len = (size_t)r;
	}
	if (sel->slot != NULL && !parse_slot_id(sel->slot, &want_slot))
		return kyso_error_set(err, KYSO_ERR_USAGE, _("--slot takes a slot ID, not \"%s\"."),
		                      sel->slot);

	struct candidate cand[MAX_CANDIDATES];
	size_t ncand = 0, ntokens = 0, npresent = 0;
	for (unsigned int i = 0; i < p->nslots; i++) {
		PKCS11_SLOT *s = &p->slots[i];
		if (s->token == NULL || !s->token->initialized)
			continue;
		npresent++;
		if (sel->slot != NULL && PKCS11_get_slotid_from_slot(s) != want_slot)
			continue;
		if (sel->token != NULL &&
		    (s->token->label == NULL || strcmp(s->token->label, sel->token) != 0))
			continue;
		ntokens++;
		PKCS11_CERT *certs = NULL;
		unsigned int n = 0;
		if (PKCS11_enumerate_certs(s->token, &certs, &n) < 0) {
			unsigned long ckr;
			kyso_err_t rc = kyso_p11_last_error(KYSO_ERR_TOKEN, &ckr);
			return kyso_error_set(err, rc,
			                      _("Cannot list the certificates of token \"%s\" "
			                        "(CKR 0x%lX)."),
			                      s->token->label, ckr);
		}
		for (unsigned int k = 0; k < n && ncand < MAX_CANDIDATES; k++)
			if (cert_matches(sel, id, id_len, &certs[k]))
				cand[ncand++] = (struct candidate){s, &certs[k]};
	}
	if (ntokens == 0) {
		if (npresent > 0 && (sel->token != NULL || sel->slot != NULL))
			return kyso_error_set(err, KYSO_ERR_NO_TOKEN,
			                      _("No token matches --token/--slot in module %s."),
			                      p->module);
		return kyso_error_set(err, KYSO_ERR_NO_TOKEN,
		                      _("No token is present in module %s. Plug in the token."),
		                      p->module);
	}
	if (ncand == 0) {
		if (sel->key_id != NULL || sel->cert_label != NULL)
			return kyso_error_set(err, KYSO_ERR_KEY_NOT_FOUND,
			                      _("No certificate matches --key-id/--cert-label."));
		return kyso_error_set(err, KYSO_ERR_KEY_NOT_FOUND,
		                      _("No signing certificate was found on the token."));
	}
	if (ncand > 1) {
		/* several: keep the ones valid now */
		size_t k = 0;
		for (size_t i = 0; i < ncand; i++)
			if (cert_valid_now(cand[i].cert->x509))
				cand[k++] = cand[i];
		if (k > 1 && sel->choose) {
			size_t chosen = 0;
			kyso_error_t cerr;
			kyso_error_clear(&cerr);
			kyso_err_t rc = ask_choice(cand, k, &chosen, &cerr);
			if (rc == KYSO_OK)
				return take(p, &cand[chosen], err);
			if (rc != KYSO_ERR_UNSUPPORTED) {
				if (err != NULL)
					*err = cerr;
				return rc;
			}
			kyso_info("no certificate chooser: %s", kyso_error_message(&cerr));
		}
		if (k != 1) {
			char a[300], b[300];
			describe(&cand[0], a, sizeof(a));
			describe(&cand[1], b, sizeof(b));
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("Several signing certificates were found (%s; %s; ...). "
			          "Choose one with --token and --key-id or --cert-label."),
			        a, b);
		}
	}
	return take(p, &cand[0], err);
}

kyso_err_t kyso_p11_find_private_key(kyso_p11_t *p, kyso_error_t *err)
{
	if (p->priv != NULL)
		return KYSO_OK;
	PKCS11_KEY *keys = NULL, *key = NULL;
	unsigned int n = 0;
	if (PKCS11_enumerate_keys(p->slot->token, &keys, &n) < 0) {
		unsigned long ckr;
		kyso_err_t rc = kyso_p11_last_error(KYSO_ERR_TOKEN, &ckr);
		return kyso_error_set(err, rc,
		                      _("Cannot list the keys of token \"%s\" (CKR 0x%lX)."),
		                      kyso_p11_token_label(p), ckr);
	}
	for (unsigned int i = 0; i < n && key == NULL; i++)
		if (keys[i].isPrivate && p->cert->id_len > 0 && keys[i].id_len == p->cert->id_len &&
		    memcmp(keys[i].id, p->cert->id, p->cert->id_len) == 0)
			key = &keys[i];
	if (key == NULL) {
		key = PKCS11_find_key(p->cert);
		ERR_clear_error();
	}
	if (key == NULL || !key->isPrivate)
		return kyso_error_set(
		        err, KYSO_ERR_KEY_NOT_FOUND,
		        _("The private key of the certificate is not on token \"%s\"."),
		        kyso_p11_token_label(p));
	p->priv = PKCS11_get_private_key(key);
	if (p->priv == NULL) {
		unsigned long ckr;
		kyso_err_t rc = kyso_p11_last_error(KYSO_ERR_KEY_NOT_FOUND, &ckr);
		return kyso_error_set(err, rc,
		                      _("The private key on token \"%s\" cannot be used "
		                        "(CKR 0x%lX)."),
		                      kyso_p11_token_label(p), ckr);
	}
	return KYSO_OK;
}
