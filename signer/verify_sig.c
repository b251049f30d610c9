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
	json_t *parts;
	kyso_ind_t ind;
	const char *sub;
};

const char *kyso_ind_name(kyso_ind_t i)
{
	return i == KYSO_IND_PASSED   ? "TOTAL-PASSED"
	       : i == KYSO_IND_FAILED ? "TOTAL-FAILED"
	                              : "INDETERMINATE";
}

/* One part of the verdict; the signature's is the worst part, with the
 * sub-indication of the first part that made it so. */
static json_t *part(struct check *c, const char *name, kyso_ind_t ind, const char *sub)
{
	json_t *p =
	        json_pack("{s:s, s:s?}", "indication", kyso_ind_name(ind), "sub_indication", sub);
	json_object_set_new(c->parts, name, p);
	if (ind > c->ind) {
		c->ind = ind;
		c->sub = sub;
	}
	return p;
}

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
	json_object_set_new(o, "imprint_ok", json_boolean(t->imprint_ok));
	json_object_set_new(o, "signature_ok", json_boolean(t->sig_ok));
	json_object_set_new(o, "tsa_trusted", json_boolean(t->trusted));
	json_object_set_new(o, "tsa_category",
	                    t->category ? json_string(t->category) : json_null());
	json_object_set_new(o, "error", t->error[0] ? json_string(t->error) : json_null());
	return o;
}

/* The time-stamp part: imprint and signature are integrity, the TSA's chain
 * is trust (an untrusted TSA gives no proof of existence, nothing worse). */
static void tst_part(struct check *c, const kyso_tst_check_t *t, time_t at)
{
	json_t *p;
	if (!t->imprint_ok)
		p = part(c, "timestamp", KYSO_IND_FAILED, "HASH_FAILURE");
	else if (!t->sig_ok)
		p = part(c, "timestamp", KYSO_IND_FAILED, "SIG_CRYPTO_FAILURE");
	else if (!t->trusted && t->tsa_not_after != 0 && t->tsa_not_after < at)
		p = part(c, "timestamp", KYSO_IND_INDETERMINATE, "OUT_OF_BOUNDS_NO_POE");
	else if (!t->trusted)
		p = part(c, "timestamp", KYSO_IND_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND");
	else
		p = part(c, "timestamp", KYSO_IND_PASSED, NULL);
	if (t->error[0])
		json_object_set_new(p, "detail", json_string(t->error));
}

static bool check_doc_timestamp(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, kyso_vctx_t *v,
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
		part(c, "integrity", KYSO_IND_INDETERMINATE, "FORMAT_FAILURE");
		return false;
	}
	kyso_tst_check_t t;
	time_t at = v->poe != 0 ? v->poe : v->now;
	kyso_tst_check(in->contents, in->contents_len, NULL, 0, d, dl, v->trust, at, &t);
	part(c, "integrity", t.imprint_ok && t.sig_ok ? KYSO_IND_PASSED : KYSO_IND_FAILED,
	     !t.imprint_ok ? "HASH_FAILURE"
	     : !t.sig_ok   ? "SIG_CRYPTO_FAILURE"
	                   : NULL);
	tst_part(c, &t, at);
	if (t.valid)
		v->made = t.time; /* proof of existence for what it covers */
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

static void set_chain(struct check *c, const kyso_trust_result_t *r)
{
	json_t *chain = json_array();
	for (int i = 0; r->chain != NULL && i < sk_X509_num(r->chain); i++) {
		char buf[512];
		kyso_x509_name_line(X509_get_subject_name(sk_X509_value(r->chain, i)), buf,
		                    sizeof(buf));
		json_array_append_new(chain, json_string(buf));
	}
	json_object_set_new(c->o, "chain", chain);
}

/* Signer trusted: a chain to a document anchor now, or, for a certificate
 * expired since, at the proof of existence poe. */
static bool check_chain(X509 *signer, STACK_OF(X509) * certs, kyso_vctx_t *v, time_t poe,
                        struct check *c, STACK_OF(X509) * *chain_out)
{
	kyso_trust_result_t r;
	kyso_trust_verify(v->trust, signer, certs, v->now, &r);
	bool expired = !r.ok && (r.error == X509_V_ERR_CERT_HAS_EXPIRED ||
	                         r.error == X509_V_ERR_CERT_NOT_YET_VALID);
	if (expired && poe != 0) {
		kyso_trust_result_t r2;
		kyso_trust_verify(v->trust, signer, certs, poe, &r2);
		if (r2.ok) {
			kyso_trust_result_clear(&r);
			r = r2;
			expired = false;
		} else {
			kyso_trust_result_clear(&r2);
		}
	}
	set_chain(c, &r);
	json_t *p;
	if (r.ok) {
		p = part(c, "signer_trusted", KYSO_IND_PASSED, NULL);
		json_object_set_new(c->o, "chain_error", json_null());
	} else {
		const char *why = X509_verify_cert_error_string(r.error);
		set_str(c, "chain_error", why);
		char msg[300];
		if (r.local_agent_ca) {
			p = part(c, "signer_trusted", KYSO_IND_FAILED, "CHAIN_CONSTRAINTS_FAILURE");
			snprintf(
			        msg, sizeof(msg), "%s",
			        _("The signer's certificate was issued by a kyso agent's local CA, "
			          "which only vouches for localhost: it is never trusted for "
			          "documents."));
		} else if (expired) {
			p = part(c, "signer_trusted", KYSO_IND_INDETERMINATE,
			         "OUT_OF_BOUNDS_NO_POE");
			snprintf(msg, sizeof(msg), "%s",
			         _("The signer's certificate has expired and no trusted time stamp "
			           "proves the signature existed before."));
		} else if (r.error == X509_V_ERR_CERT_SIGNATURE_FAILURE ||
		           r.error == X509_V_ERR_CERT_REVOKED) {
			p = part(c, "signer_trusted", KYSO_IND_FAILED, "SIG_CRYPTO_FAILURE");
			snprintf(msg, sizeof(msg),
			         _("The signer's certificate is not trusted: %s."), why);
		} else {
			p = part(c, "signer_trusted", KYSO_IND_INDETERMINATE,
			         "NO_CERTIFICATE_CHAIN_FOUND");
			snprintf(msg, sizeof(msg),
			         _("The signer's certificate is not trusted: %s."), why);
		}
		problem(c, msg);
	}
	json_object_set_new(p, "category", r.category ? json_string(r.category) : json_null());
	set_str(c, "root_category", r.category);
	set_bool(c, "chain_ok", r.ok);
	*chain_out = r.ok ? r.chain : NULL;
	if (!r.ok)
		kyso_trust_result_clear(&r);
	return r.ok;
}

/* The signer's status from the revocation data inside the CMS. */
static bool status_from_cms(X509 *signer, STACK_OF(X509) * chain, STACK_OF(X509) * pool,
                            CMS_ContentInfo *cms, kyso_rev_status_t *out)
{
	kyso_cms_revinfo_t ri;
	bool found = false;
	if (kyso_cms_revinfo(cms, &ri)) {
		/* the issuer the chain was built through, else one the document holds */
		X509 *issuer = chain != NULL && sk_X509_num(chain) > 1
		                       ? sk_X509_value(chain, 1)
		                       : kyso_verify_find_issuer(signer, pool, NULL);
		STACK_OF(X509) *all = sk_X509_dup(pool);
		for (int i = 1; all != NULL && chain != NULL && i < sk_X509_num(chain); i++)
			sk_X509_push(all, sk_X509_value(chain, i));
		if (issuer != NULL)
			found = kyso_rev_status(signer, issuer, all, ri.crls, ri.ncrls, ri.ocsps,
			                        ri.nocsps, out);
		sk_X509_free(all);
	}
	kyso_cms_revinfo_free(&ri);
	if (found)
		out->where = "cms";
	return found;
}

/* Certificate status at signing time, from the document's /DSS, else the
 * CMS, else online: revoked before the proof of existence fails, after it
 * passes; no data: TRY_LATER. */
static void check_status(X509 *signer, STACK_OF(X509) * chain, STACK_OF(X509) * pool,
                         CMS_ContentInfo *cms, const kyso_rev_status_t *dss, kyso_vctx_t *v,
                         time_t poe, struct check *c)
{
	kyso_rev_status_t rs = *dss;
	if (rs.status == KYSO_REV_UNKNOWN) {
		kyso_rev_status_t cs;
		if (status_from_cms(signer, chain, pool, cms, &cs))
			rs = cs;
	}
	if (rs.status == KYSO_REV_UNKNOWN && !v->offline && chain != NULL &&
	    kyso_rev_has_source(signer))
		kyso_rev_online(signer, chain, v->timeout_s, &rs);
	json_t *p;
	if (rs.status == KYSO_REV_GOOD) {
		p = part(c, "certificate_status", KYSO_IND_PASSED, NULL);
	} else if (rs.status == KYSO_REV_REVOKED) {
		if (poe != 0 && rs.revoked_at > poe) {
			p = part(c, "certificate_status", KYSO_IND_PASSED, NULL);
			json_array_append_new(
			        c->warnings,
			        json_string(_("The signer's certificate was revoked after "
			                      "the time stamp: the signature stays valid.")));
		} else if (poe != 0) {
			p = part(c, "certificate_status", KYSO_IND_FAILED, "REVOKED");
			problem(c,
			        _("The signer's certificate was revoked before the signature was "
			          "made."));
		} else {
			p = part(c, "certificate_status", KYSO_IND_INDETERMINATE, "REVOKED_NO_POE");
			problem(c,
			        _("The signer's certificate is revoked and no trusted time stamp "
			          "proves the signature was made before."));
		}
		if (rs.revoked_at != 0)
			set_time(p, "revoked_at", rs.revoked_at);
	} else if (!kyso_rev_has_source(signer)) {
		p = part(c, "certificate_status", KYSO_IND_PASSED, NULL);
		json_array_append_new(
		        c->warnings,
		        json_string(_("The signer's certificate names no OCSP responder "
		                      "or CRL: its revocation cannot be checked.")));
	} else {
		p = part(c, "certificate_status", KYSO_IND_INDETERMINATE, "TRY_LATER");
		problem(c, v->offline ? _("No revocation data for the signer's certificate in the "
		                          "document (--offline: not asked online).")
		                      : _("The signer's certificate status cannot be obtained now "
		                          "(OCSP/CRL unreachable): try again later."));
	}
	json_object_set_new(p, "status",
	                    json_string(rs.status == KYSO_REV_GOOD      ? "good"
	                                : rs.status == KYSO_REV_REVOKED ? "revoked"
	                                                                : "unknown"));
	json_object_set_new(p, "source", rs.source ? json_string(rs.source) : json_null());
	json_object_set_new(p, "from", rs.where ? json_string(rs.where) : json_null());
}

/* adbe.pkcs7.sha1: the signed content is the SHA-1 of the byte ranges. */
static void check_sha1_content(CMS_ContentInfo *cms, kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in,
                               bool *digest_ok, bool *sig_ok)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	ASN1_OCTET_STRING **pc = CMS_get0_content(cms);
	*digest_ok = pc != NULL && *pc != NULL &&
	             kyso_pdf_hash_ranges(pdf, in->byte_range, EVP_sha1(), d, &dl, &e) == KYSO_OK &&
	             (unsigned)ASN1_STRING_length(*pc) == dl &&
	             memcmp(ASN1_STRING_get0_data(*pc), d, dl) == 0;
	*sig_ok = CMS_verify(cms, NULL, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) ==
	          1;
	ERR_clear_error();
}

static bool check_cms(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, kyso_vctx_t *v,
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
		part(c, "integrity", KYSO_IND_INDETERMINATE, "FORMAT_FAILURE");
		return false;
	}
	bool sha1_content =
	        in->sub_filter != NULL && strcmp(in->sub_filter, "adbe.pkcs7.sha1") == 0;
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
	if (md == NULL || (!sha1_content &&
	                   kyso_pdf_hash_ranges(pdf, in->byte_range, md, d, &dl, &e) != KYSO_OK)) {
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
	if (sha1_content && md != NULL && signer != NULL)
		check_sha1_content(cms, pdf, in, &digest_ok, &sig_ok);
	else if (dl > 0)
		check_cms_signature(si, pkey, md, d, dl, &digest_ok, &sig_ok);
	set_bool(c, "digest_ok", digest_ok);
	set_bool(c, "signature_ok", sig_ok);
	bool br_ok = json_is_true(json_object_get(c->o, "byte_range_ok"));
	if (signer == NULL)
		part(c, "integrity", KYSO_IND_INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND");
	else if (md == NULL)
		part(c, "integrity", KYSO_IND_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE");
	else if (!digest_ok || !br_ok)
		part(c, "integrity", KYSO_IND_FAILED, "HASH_FAILURE");
	else if (!sig_ok)
		part(c, "integrity", KYSO_IND_FAILED, "SIG_CRYPTO_FAILURE");
	else
		part(c, "integrity", KYSO_IND_PASSED, NULL);
	if ((dl > 0 || sha1_content) && !digest_ok)
		problem(c, _("The document was changed after signing (digest mismatch)."));
	if (digest_ok && !sig_ok)
		problem(c, _("The signature value does not verify with the signer's key."));
	ok = ok && digest_ok && sig_ok;

	/* claimed signing time: /M, else the signing-time attribute */
	time_t t = v->now;
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
	/* proof of existence: the signature's own trusted time stamp, else a
	 * later trusted document time stamp */
	time_t poe = v->poe;
	int tsi = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	if (tsi >= 0) {
		X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, tsi);
		ASN1_TYPE *tv = X509_ATTRIBUTE_get0_type(a, 0);
		ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
		kyso_tst_check_t ts;
		time_t tat = v->poe != 0 ? v->poe : v->now;
		if (tv != NULL && tv->type == V_ASN1_SEQUENCE) {
			kyso_tst_check(ASN1_STRING_get0_data(tv->value.sequence),
			               (size_t)ASN1_STRING_length(tv->value.sequence),
			               ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv),
			               NULL, 0, v->trust, tat, &ts);
		} else {
			memset(&ts, 0, sizeof(ts));
			ts.present = true;
			snprintf(ts.error, sizeof(ts.error), "malformed time-stamp attribute");
		}
		json_object_set_new(c->o, "timestamp", tst_json(&ts));
		tst_part(c, &ts, tat);
		if (ts.valid) {
			t = ts.time;
			src = "timestamp";
			poe = ts.time;
			v->made = ts.time;
		} else {
			char msg[400];
			snprintf(msg, sizeof(msg), _("The time stamp is not valid: %s"), ts.error);
			if (ts.imprint_ok && ts.sig_ok)
				json_array_append_new(c->warnings, json_string(msg));
			else
				problem(c, msg);
		}
	} else {
		json_object_set_new(c->o, "timestamp", json_null());
	}
	set_time(c->o, "signing_time", t);
	set_str(c, "signing_time_source", src);
	if (poe != 0)
		set_time(c->o, "poe_time", poe);
	else
		json_object_set_new(c->o, "poe_time", json_null());

	kyso_rev_status_t dss_rev;
	STACK_OF(X509) *dss_certs = NULL;
	kyso_verify_ltv(pdf, in, signer, certs, c->o, &dss_rev, &dss_certs);
	if (signer != NULL) {
		bool in_validity = X509_cmp_time(X509_get0_notBefore(signer), &t) <= 0 &&
		                   X509_cmp_time(X509_get0_notAfter(signer), &t) >= 0;
		set_bool(c, "cert_valid_at_signing_time", in_validity);
		STACK_OF(X509) *pool = sk_X509_dup(certs);
		for (int i = 0; pool != NULL && i < sk_X509_num(dss_certs); i++)
			sk_X509_push(pool, sk_X509_value(dss_certs, i));
		STACK_OF(X509) *chain = NULL;
		if (!check_chain(signer, pool, v, poe, c, &chain))
			ok = false;
		check_status(signer, chain, pool, cms, &dss_rev, v, poe, c);
		sk_X509_pop_free(chain, X509_free);
		sk_X509_free(pool);
	} else {
		set_bool(c, "cert_valid_at_signing_time", false);
		set_bool(c, "chain_ok", false);
	}
	sk_X509_pop_free(dss_certs, X509_free);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ok;
}

/* The FieldMDP lock as JSON: null, or {"action", "fields"}. */
static json_t *lock_json(const kyso_pdf_sig_info_t *in)
{
	if (in->lock == KYSO_PDF_LOCK_NONE)
		return json_null();
	json_t *f = json_array();
	for (size_t i = 0; i < in->nlock_fields; i++)
		json_array_append_new(f, json_string(in->lock_fields[i]));
	return json_pack("{s:s, s:o}", "action",
	                 in->lock == KYSO_PDF_LOCK_ALL       ? "all"
	                 : in->lock == KYSO_PDF_LOCK_INCLUDE ? "include"
	                                                     : "exclude",
	                 "fields", f);
}

/* Later revisions, by what PDF allows after a signature: LTV data and
 * document time stamps always; signatures and form filling unless the
 * certification forbids them (DocMDP P=1) or the field is locked (FieldMDP);
 * annotations unless certified with P=1 or P=2; nothing else. */
static void check_changes(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, bool later_sigs_all_ts,
                          struct check *c)
{
	kyso_pdf_change_t *ch = NULL;
	size_t n = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	const char *cls = "none";
	json_t *p;
	if (kyso_pdf_changes_after(pdf, in->covered_end, &ch, &n, &e) != KYSO_OK) {
		kyso_warn("%s", kyso_error_message(&e));
		cls = "unknown";
		p = part(c, "later_changes", KYSO_IND_INDETERMINATE, "FORMAT_FAILURE");
	} else {
		bool other = false, forms = false, annots = false;
		for (size_t i = 0; i < n; i++) {
			switch (ch[i].kind) {
			case KYSO_PDF_CHANGE_OTHER:
				other = true;
				break;
			case KYSO_PDF_CHANGE_ANNOTATION:
				annots = true;
				break;
			case KYSO_PDF_CHANGE_DSS:
			case KYSO_PDF_CHANGE_XREF:
			case KYSO_PDF_CHANGE_CATALOG_FORM:
				break;
			default:
				forms = true;
			}
		}
		cls = n == 0   ? "none"
		      : other  ? "other"
		      : annots ? "annotations"
		      : forms  ? "signatures-and-forms"
		               : "ltv";
		char locked[256] = "";
		bool lock_broken =
		        !other && kyso_pdf_locked_field_changed(pdf, in, locked, sizeof(locked));
		bool mdp_forms = in->docmdp_p == 1 && (forms || annots) && !later_sigs_all_ts;
		bool mdp_annots = (in->docmdp_p == 1 || in->docmdp_p == 2) && annots;
		bool allowed = !other && !mdp_forms && !mdp_annots && !lock_broken;
		p = part(c, "later_changes", allowed ? KYSO_IND_PASSED : KYSO_IND_FAILED,
		         allowed ? NULL : "SIG_CONSTRAINTS_FAILURE");
		if (other) {
			problem(c,
			        _("Later revisions changed the document's content (pages, text or "
			          "objects), which PDF does not allow after signing."));
		} else if (mdp_forms) {
			problem(c,
			        _("The document is certified with no changes allowed, but it was "
			          "changed later."));
		} else if (mdp_annots) {
			problem(c, _("The document is certified to allow form filling only, but "
			             "comments or other annotations were added or changed later."));
		}
		if (lock_broken) {
			char msg[400];
			snprintf(msg, sizeof(msg),
			         _("The signature locks the form field \"%s\" (FieldMDP), but it "
			           "was "
			           "changed later."),
			         locked);
			problem(c, msg);
			json_object_set_new(p, "locked_field", json_string(locked));
		}
		if (allowed && annots)
			json_array_append_new(
			        c->warnings,
			        json_string(
			                _("Comments or other annotations were added or changed "
			                  "after signing: PDF allows it, but they are not part of "
			                  "what was signed and may cover the signed content.")));
	}
	json_object_set_new(p, "class", json_string(cls));
	free(ch);
	set_str(c, "later_changes", cls);
	json_object_set_new(c->o, "changed_objects", json_integer((json_int_t)n));
	json_object_set_new(c->o, "fieldmdp", lock_json(in));
}

json_t *kyso_verify_one(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in, kyso_vctx_t *v, bool *valid)
{
	struct check c = {json_object(), json_array(),    json_array(),
	                  json_object(), KYSO_IND_PASSED, NULL};
	v->made = 0;
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
		ok = check_doc_timestamp(pdf, in, v, &c) && ok;
	} else if (strcmp(sf, "ETSI.CAdES.detached") == 0 ||
	           strcmp(sf, "adbe.pkcs7.detached") == 0 || strcmp(sf, "adbe.pkcs7.sha1") == 0) {
		ok = check_cms(pdf, in, v, &c) && ok;
	} else {
		char msg[200];
		snprintf(msg, sizeof(msg), _("Signature type /SubFilter /%s is not supported."),
		         sf);
		problem(&c, msg);
		part(&c, "integrity", KYSO_IND_INDETERMINATE, "FORMAT_FAILURE");
		ok = false;
	}
	if (!json_is_true(json_object_get(c.o, "byte_range_ok")))
		part(&c, "integrity", KYSO_IND_FAILED, "HASH_FAILURE");
	json_object_set_new(c.o, "docmdp", in->docmdp_p ? json_integer(in->docmdp_p) : json_null());
	check_changes(pdf, in, v->later_all_ts, &c);
	json_object_set_new(c.o, "indication", json_string(kyso_ind_name(c.ind)));
	json_object_set_new(c.o, "sub_indication", c.sub ? json_string(c.sub) : json_null());
	json_object_set_new(c.o, "parts", c.parts);
	char *img = v->images ? kyso_verify_sig_image(pdf, in) : NULL;
	if (img != NULL)
		json_object_set_new(c.o, "image", json_string(img));
	free(img);
	ok = c.ind == KYSO_IND_PASSED;
	set_bool(&c, "valid", ok);
	json_object_set_new(c.o, "problems", c.problems);
	json_object_set_new(c.o, "warnings", c.warnings);
	*valid = ok;
	return c.o;
}
