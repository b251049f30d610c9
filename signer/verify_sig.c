/* Checking one PDF signature: ByteRange, digest, CMS signature, certificate
 * chain at signing time, time stamp, and what later revisions changed. */
#include "verify_int.h"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <stdlib.h>
#include <string.h>

struct check {
	json_t *o;
	json_t *problems;
	json_t *warnings;
};

static void problem(struct check *c, const char *msg)
{
	json_array_append_new(c->problems, json_string(msg));
}

static void set_bool(struct check *c, const char *key, bool v)
{
	json_object_set_new(c->o, key, json_boolean(v));
}

static void set_str(struct check *c, const char *key, const char *v)
{
	json_object_set_new(c->o, key, v != NULL ? json_string(v) : json_null());
}

static void set_time(json_t *o, const char *key, time_t t)
{
	char iso[32];
	kyso_time_iso(t, iso, sizeof(iso));
	json_object_set_new(o, key, json_string(iso));
}

/* ByteRange: [0, '<' of /Contents, just past '>', rest of the revision]. */
static bool check_byte_range(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, struct check *c)
{
	const uint64_t *br = in->byte_range;
	uint64_t size = kyso_pdf_file_size(pdf);
	json_t *a = json_array();
	for (int i = 0; i < 4; i++)
		json_array_append_new(a, json_integer((json_int_t)br[i]));
	json_object_set_new(c->o, "byte_range", a);
	bool ok = in->byte_range_ok && br[0] == 0 && br[1] < br[2] && br[2] + br[3] <= size &&
	          br[2] + br[3] >= br[2];
	/* the gap must be exactly the /Contents hex string */
	if (ok && in->contents_offset != 0 && in->contents_offset != br[1])
		ok = false;
	if (ok && in->contents_len > 0 && br[2] - br[1] < 2 * in->contents_len + 2)
		ok = false;
	if (ok && in->revision < 0)
		ok = false; /* does not end at a revision's %%EOF */
	const kyso_pdf_revision_t *revs = NULL;
	size_t nrev = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	bool whole = false;
	if (kyso_pdf_revisions(pdf, &revs, &nrev, &e) == KYSO_OK && nrev > 0)
		whole = in->covered_end == revs[nrev - 1].eof_end || in->covered_end == size;
	set_bool(c, "byte_range_ok", ok);
	set_bool(c, "covers_whole_file", ok && whole);
	json_object_set_new(c->o, "revision",
	                    in->revision >= 0 ? json_integer(in->revision + 1) : json_null());
	json_object_set_new(c->o, "revisions", json_integer((json_int_t)nrev));
	if (!ok)
		problem(c, _("The /ByteRange does not cover the file except /Contents."));
	return ok;
}

static const char *changes_class(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, size_t *count,
                                 bool *annots_only)
{
	kyso_pdf_change_t *ch = NULL;
	size_t n = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	*count = 0;
	*annots_only = true;
	if (kyso_pdf_changes_after(pdf, in->covered_end, &ch, &n, &e) != KYSO_OK) {
		kyso_warn("%s", kyso_error_message(&e));
		return "unknown";
	}
	*count = n;
	bool other = false;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].kind == KYSO_PDF_CHANGE_OTHER)
			other = true;
		if (ch[i].kind != KYSO_PDF_CHANGE_PAGE_ANNOTS)
			*annots_only = false;
	}
	free(ch);
	if (n == 0)
		return "none";
	return other ? "other" : "signatures-and-forms";
}

/* MD of a time-stamp token's imprint (for document time stamps). */
static const EVP_MD *tst_md(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *tok = d2i_PKCS7(NULL, &p, (long)len);
	TS_TST_INFO *ti = tok != NULL ? PKCS7_to_TS_TST_INFO(tok) : NULL;
	const EVP_MD *md = NULL;
	if (ti != NULL)
		md = EVP_get_digestbyobj(
		        TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(ti))->algorithm);
	TS_TST_INFO_free(ti);
	PKCS7_free(tok);
	ERR_clear_error();
	return md;
}

static json_t *tst_json(const kyso_tst_check_t *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "valid", json_boolean(t->valid));
	if (t->time != 0)
		set_time(o, "time", t->time);
	else
		json_object_set_new(o, "time", json_null());
	json_object_set_new(o, "tsa", json_string(t->tsa));
	json_object_set_new(o, "error", t->error[0] ? json_string(t->error) : json_null());
	return o;
}

static bool check_doc_timestamp(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509_STORE *store,
                                struct check *c)
{
	const EVP_MD *md = tst_md(in->contents, in->contents_len);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (md == NULL || kyso_pdf_hash_ranges(pdf, in->byte_range, md, d, &dl, &e) != KYSO_OK) {
		problem(c, _("The document time stamp cannot be read."));
		set_bool(c, "digest_ok", false);
		return false;
	}
	kyso_tst_check_t t;
	kyso_tst_check(in->contents, in->contents_len, NULL, 0, d, dl, store, &t);
	json_object_set_new(c->o, "timestamp", tst_json(&t));
	set_bool(c, "digest_ok", t.valid || strstr(t.error, "imprint") == NULL);
	set_bool(c, "signature_ok", t.valid);
	set_str(c, "hash", EVP_MD_get0_name(md));
	if (t.time != 0) {
		set_time(c->o, "signing_time", t.time);
		set_str(c, "signing_time_source", "timestamp");
	}
	if (!t.valid)
		problem(c, t.error);
	return t.valid;
}

static json_t *cert_json(X509 *x)
{
	char buf[512];
	json_t *o = json_object();
	kyso_x509_name_line(X509_get_subject_name(x), buf, sizeof(buf));
	json_object_set_new(o, "subject", json_string(buf));
	kyso_x509_name_line(X509_get_issuer_name(x), buf, sizeof(buf));
	json_object_set_new(o, "issuer", json_string(buf));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	json_object_set_new(o, "serial", json_string(hex != NULL ? hex : ""));
	OPENSSL_free(hex);
	BN_free(bn);
	time_t t;
	if (kyso_asn1_time_to_time_t(X509_get0_notBefore(x), &t))
		set_time(o, "not_before", t);
	if (kyso_asn1_time_to_time_t(X509_get0_notAfter(x), &t))
		set_time(o, "not_after", t);
	return o;
}

/* The digest of the signed content vs message-digest, and the signature. */
static void check_cms_signature(CMS_SignerInfo *si, EVP_PKEY *pkey, const EVP_MD *md,
                                const uint8_t *d, unsigned dl, bool *digest_ok, bool *sig_ok)
{
	*digest_ok = *sig_ok = false;
	if (CMS_signed_get_attr_count(si) > 0) {
		ASN1_OCTET_STRING *m = CMS_signed_get0_data_by_OBJ(
		        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
		*digest_ok = m != NULL && (unsigned)ASN1_STRING_length(m) == dl &&
		             memcmp(ASN1_STRING_get0_data(m), d, dl) == 0;
		*sig_ok = pkey != NULL && CMS_SignerInfo_verify(si) == 1;
	} else if (pkey != NULL) {
		/* no signed attributes: the signature is over the content digest */
		ASN1_OCTET_STRING *s = CMS_SignerInfo_get0_signature(si);
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pkey, NULL);
		bool ok = c != NULL && EVP_PKEY_verify_init(c) == 1 &&
		          EVP_PKEY_CTX_set_signature_md(c, md) == 1 &&
		          EVP_PKEY_verify(c, ASN1_STRING_get0_data(s),
		                          (size_t)ASN1_STRING_length(s), d, dl) == 1;
		EVP_PKEY_CTX_free(c);
		*digest_ok = *sig_ok = ok;
	}
	ERR_clear_error();
}

/* Chain of signer to a trust anchor at time t. */
static bool check_chain(X509 *signer, STACK_OF(X509) * certs, X509_STORE *store, time_t t,
                        struct check *c)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	json_t *chain = json_array();
	bool ok = false;
	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, signer, certs)) {
		X509_STORE_CTX_set_time(ctx, 0, t);
		ok = X509_verify_cert(ctx) == 1;
		STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
		for (int i = 0; ch != NULL && i < sk_X509_num(ch); i++) {
			char buf[512];
			kyso_x509_name_line(X509_get_subject_name(sk_X509_value(ch, i)), buf,
			                    sizeof(buf));
			json_array_append_new(chain, json_string(buf));
		}
		if (!ok) {
			const char *why =
			        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
			set_str(c, "chain_error", why);
			char msg[300];
			snprintf(msg, sizeof(msg),
			         _("The signer's certificate is not trusted: %s."), why);
			problem(c, msg);
		} else {
			json_object_set_new(c->o, "chain_error", json_null());
		}
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	json_object_set_new(c->o, "chain", chain);
	set_bool(c, "chain_ok", ok);
	return ok;
}

static bool check_cms(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509_STORE *store,
                      struct check *c)
{
	const unsigned char *p = in->contents;
	CMS_ContentInfo *cms =
	        in->contents != NULL ? d2i_CMS_ContentInfo(NULL, &p, (long)in->contents_len) : NULL;
	STACK_OF(CMS_SignerInfo) *sis = cms != NULL ? CMS_get0_SignerInfos(cms) : NULL;
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		ERR_clear_error();
		CMS_ContentInfo_free(cms);
		problem(c, _("/Contents is not a CMS signature with one signer."));
		set_bool(c, "digest_ok", false);
		set_bool(c, "signature_ok", false);
		return false;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	CMS_set1_signers_certs(cms, NULL, 0);
	ERR_clear_error();
	EVP_PKEY *pkey = NULL;
	X509 *signer = NULL;
	X509_ALGOR *dig = NULL, *sig = NULL;
	CMS_SignerInfo_get0_algs(si, &pkey, &signer, &dig, &sig);
	const EVP_MD *md = dig != NULL ? EVP_get_digestbyobj(dig->algorithm) : NULL;
	bool ok = true;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	set_str(c, "hash", md != NULL ? EVP_MD_get0_name(md) : NULL);
	if (md == NULL || kyso_pdf_hash_ranges(pdf, in->byte_range, md, d, &dl, &e) != KYSO_OK) {
		problem(c, md == NULL ? _("The signature's digest algorithm is not supported.")
		                      : kyso_error_message(&e));
		ok = false;
		dl = 0;
	}
	json_object_set_new(c->o, "signer", signer != NULL ? cert_json(signer) : json_null());
	if (signer == NULL) {
		problem(c, _("The signer's certificate is not in the signature."));
		ok = false;
	}
	bool digest_ok = false, sig_ok = false;
	if (dl > 0)
		check_cms_signature(si, pkey, md, d, dl, &digest_ok, &sig_ok);
	set_bool(c, "digest_ok", digest_ok);
	set_bool(c, "signature_ok", sig_ok);
	if (dl > 0 && !digest_ok)
		problem(c, _("The document was changed after signing (digest mismatch)."));
	if (dl > 0 && digest_ok && !sig_ok)
		problem(c, _("The signature value does not verify with the signer's key."));
	ok = ok && digest_ok && sig_ok;

	/* signing time: time stamp, else /M, else signing-time attribute, else now */
	time_t t = time(NULL);
	const char *src = "now";
	time_t mt;
	ASN1_TYPE *st =
	        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_signingTime), -3, V_ASN1_ANY);
	time_t at;
	if (in->m != NULL && kyso_pdf_date_parse(in->m, &mt)) {
		t = mt;
		src = "M";
	} else if (st != NULL &&
	           (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME) &&
	           kyso_asn1_time_to_time_t((ASN1_TIME *)st->value.asn1_string, &at)) {
		t = at;
		src = "signing-time";
	}
	int tsi = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	if (tsi >= 0) {
		X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, tsi);
		ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(a, 0);
		ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
		kyso_tst_check_t ts;
		if (v != NULL && v->type == V_ASN1_SEQUENCE) {
			kyso_tst_check(ASN1_STRING_get0_data(v->value.sequence),
			               (size_t)ASN1_STRING_length(v->value.sequence),
			               ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv),
			               NULL, 0, store, &ts);
		} else {
			memset(&ts, 0, sizeof(ts));
			ts.present = true;
			snprintf(ts.error, sizeof(ts.error), "malformed time-stamp attribute");
		}
		json_object_set_new(c->o, "timestamp", tst_json(&ts));
		if (ts.valid) {
			t = ts.time;
			src = "timestamp";
		} else {
			char msg[400];
			snprintf(msg, sizeof(msg), _("The time stamp is not valid: %s"), ts.error);
			problem(c, msg);
			ok = false;
		}
	} else {
		json_object_set_new(c->o, "timestamp", json_null());
	}
	set_time(c->o, "signing_time", t);
	set_str(c, "signing_time_source", src);

	if (signer != NULL) {
		bool in_validity = X509_cmp_time(X509_get0_notBefore(signer), &t) <= 0 &&
		                   X509_cmp_time(X509_get0_notAfter(signer), &t) >= 0;
		set_bool(c, "cert_valid_at_signing_time", in_validity);
		if (!in_validity) {
			problem(c,
			        _("The signer's certificate was not valid at the signing time."));
			ok = false;
		}
		if (!check_chain(signer, certs, store, t, c))
			ok = false;
	} else {
		set_bool(c, "cert_valid_at_signing_time", false);
		set_bool(c, "chain_ok", false);
	}
	kyso_verify_ltv(pdf, in, signer, certs, c->o);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ok;
}

json_t *kyso_verify_one(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, X509_STORE *store,
                        bool *valid)
{
	struct check c = {json_object(), json_array(), json_array()};
	set_str(&c, "field", in->field_name);
	set_str(&c, "sub_filter", in->sub_filter);
	set_str(&c, "type", in->is_doc_timestamp ? "doc-timestamp" : "signature");
	set_str(&c, "name", in->name);
	set_str(&c, "reason", in->reason);
	set_str(&c, "location", in->location);
	set_str(&c, "m", in->m);
	bool ok = check_byte_range(pdf, in, &c);
	const char *sf = in->sub_filter != NULL ? in->sub_filter : "";
	json_object_set_new(c.o, "ltv", json_null());
	if (in->is_doc_timestamp || strcmp(sf, "ETSI.RFC3161") == 0) {
		json_object_set_new(c.o, "signer", json_null());
		ok = check_doc_timestamp(pdf, in, store, &c) && ok;
	} else if (strcmp(sf, "ETSI.CAdES.detached") == 0 ||
	           strcmp(sf, "adbe.pkcs7.detached") == 0) {
		ok = check_cms(pdf, in, store, &c) && ok;
	} else {
		char msg[200];
		snprintf(msg, sizeof(msg), _("Signature type /SubFilter /%s is not supported."),
		         sf);
		problem(&c, msg);
		ok = false;
	}
	size_t n = 0;
	bool annots_only = true;
	const char *cls = changes_class(pdf, in, &n, &annots_only);
	set_str(&c, "later_changes", cls);
	json_object_set_new(c.o, "changed_objects", json_integer((json_int_t)n));
	json_object_set_new(c.o, "docmdp", in->docmdp_p ? json_integer(in->docmdp_p) : json_null());
	if (strcmp(cls, "other") == 0)
		json_array_append_new(
		        c.warnings, json_string(_("Later revisions changed the document's content, "
		                                  "not only signatures and form fields.")));
	/* a certified document: changes beyond what its DocMDP permits */
	if (in->docmdp_p == 1 && n > 0 && strcmp(cls, "none") != 0) {
		problem(&c, _("The document is certified with no changes allowed, but it was "
		              "changed later."));
		ok = false;
	} else if (in->docmdp_p >= 2 && strcmp(cls, "other") == 0) {
		problem(&c, _("The document is certified, but later changes go beyond what the "
		              "certification allows."));
		ok = false;
	}
	set_bool(&c, "valid", ok);
	json_object_set_new(c.o, "problems", c.problems);
	json_object_set_new(c.o, "warnings", c.warnings);
	*valid = ok;
	return c.o;
}
