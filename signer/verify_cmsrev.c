/* Revocation data a CMS signature carries itself (PAdES B-LT the Adobe
 * way, for adbe.pkcs7.detached / adbe.pkcs7.sha1, and CAdES with the data
 * in the SignedData):
 *   - the signed attribute adbe-revocationInfoArchival (1.2.840.113583.1.1.8):
 *       RevocationInfoArchival ::= SEQUENCE {
 *         crl  [0] EXPLICIT SEQUENCE OF CertificateList OPTIONAL,
 *         ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
 *         otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL }
 *   - SignedData.crls, RevocationInfoChoices (RFC 5652): CertificateList, or
 *       [1] IMPLICIT OtherRevocationInfoFormat { OID, ANY } with
 *       id-ri-ocsp-response (1.3.6.1.5.5.7.16.2): an OCSPResponse.
 * The items are only collected here; kyso_rev_status() checks who signed
 * them. The CMS is read from its DER (i2d of the parsed structure, so a BER
 * input is re-encoded with definite lengths); a malformed part is skipped. */
#include "verify_int.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

/* One DER TLV: tag byte, content, and where the whole element starts. */
typedef struct {
	unsigned tag;
	const uint8_t *start; /* the tag byte */
	const uint8_t *val;
	size_t len;
	size_t whole; /* tag + length + content */
} der_t;

/* Reads the element at *p (< end) and moves *p past it. Definite lengths,
 * one-byte tags only (all CMS needs here). */
static bool der_next(const uint8_t **p, const uint8_t *end, der_t *d)
{
	const uint8_t *q = *p;
	if (q == NULL || end - q < 2)
		return false;
	d->start = q;
	d->tag = *q++;
	if ((d->tag & 0x1f) == 0x1f)
		return false; /* multi-byte tag */
	size_t len = *q++;
	if (len & 0x80) {
		size_t n = len & 0x7f;
		if (n == 0 || n > sizeof(size_t) || (size_t)(end - q) < n)
			return false; /* indefinite or too long */
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | *q++;
	}
	if ((size_t)(end - q) < len)
		return false;
	d->val = q;
	d->len = len;
	d->whole = (size_t)(q + len - d->start);
	*p = q + len;
	return true;
}

/* The content of the element at p as a new [p, end) range. */
static bool der_enter(const uint8_t *p, const uint8_t *end, unsigned tag, const uint8_t **in,
                      const uint8_t **in_end)
{
	der_t d;
	if (!der_next(&p, end, &d) || d.tag != tag)
		return false;
	*in = d.val;
	*in_end = d.val + d.len;
	return true;
}

static bool push(kyso_pdf_blob_t **v, size_t *n, const uint8_t *data, size_t len)
{
	if (*n >= 256)
		return false; /* enough: a signature needs a handful */
	kyso_pdf_blob_t *r = realloc(*v, (*n + 1) * sizeof(**v));
	if (r == NULL)
		return false;
	*v = r;
	r[*n].data = data;
	r[*n].len = len;
	(*n)++;
	return true;
}

/* Every element of a SEQUENCE/SET content [p, end) as a blob. */
static void collect_all(const uint8_t *p, const uint8_t *end, kyso_pdf_blob_t **v, size_t *n)
{
	der_t d;
	while (p < end && der_next(&p, end, &d))
		if (!push(v, n, d.start, d.whole))
			return;
}

static const uint8_t OID_ADBE_REVINFO[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x2f, 0x01, 0x01, 0x08};
static const uint8_t OID_RI_OCSP[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02};

static bool is_oid(const der_t *d, const uint8_t *oid, size_t len)
{
	return d->tag == 0x06 && d->len == len && memcmp(d->val, oid, len) == 0;
}

/* RevocationInfoArchival (the attribute value, a SEQUENCE). */
static void adbe_archival(const uint8_t *p, const uint8_t *end, kyso_cms_revinfo_t *out)
{
	const uint8_t *in, *in_end;
	if (!der_enter(p, end, 0x30, &in, &in_end))
		return;
	der_t d;
	while (in < in_end && der_next(&in, in_end, &d)) {
		const uint8_t *s, *s_end;
		if ((d.tag == 0xa0 || d.tag == 0xa1) &&
		    der_enter(d.val, d.val + d.len, 0x30, &s, &s_end)) {
			if (d.tag == 0xa0)
				collect_all(s, s_end, &out->crls, &out->ncrls);
			else
				collect_all(s, s_end, &out->ocsps, &out->nocsps);
		}
	}
}

/* signedAttrs [0] IMPLICIT SET OF Attribute { OID, SET OF value }. */
static void signed_attrs(const uint8_t *p, const uint8_t *end, kyso_cms_revinfo_t *out)
{
	der_t a;
	while (p < end && der_next(&p, end, &a)) {
		const uint8_t *q = a.val, *q_end = a.val + a.len;
		der_t oid, vals;
		if (a.tag != 0x30 || !der_next(&q, q_end, &oid) || !der_next(&q, q_end, &vals) ||
		    vals.tag != 0x31 || !is_oid(&oid, OID_ADBE_REVINFO, sizeof(OID_ADBE_REVINFO)))
			continue;
		adbe_archival(vals.val, vals.val + vals.len, out);
	}
}

/* SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs, ... */
static void signer_info(const uint8_t *p, const uint8_t *end, kyso_cms_revinfo_t *out)
{
	der_t d;
	for (int i = 0; i < 3; i++)
		if (!der_next(&p, end, &d))
			return;
	if (der_next(&p, end, &d) && d.tag == 0xa0)
		signed_attrs(d.val, d.val + d.len, out);
}

/* crls [1] IMPLICIT RevocationInfoChoices (content of the SET). */
static void revocation_choices(const uint8_t *p, const uint8_t *end, kyso_cms_revinfo_t *out)
{
	der_t d;
	while (p < end && der_next(&p, end, &d)) {
		if (d.tag == 0x30) {
			push(&out->crls, &out->ncrls, d.start, d.whole);
		} else if (d.tag == 0xa1) {
			/* OtherRevocationInfoFormat { otherRevInfoFormat OID, otherRevInfo ANY } */
			const uint8_t *q = d.val, *q_end = d.val + d.len;
			der_t oid, info;
			if (der_next(&q, q_end, &oid) && der_next(&q, q_end, &info) &&
			    is_oid(&oid, OID_RI_OCSP, sizeof(OID_RI_OCSP)) && info.tag == 0x30)
				push(&out->ocsps, &out->nocsps, info.start, info.whole);
		}
	}
}

bool kyso_cms_revinfo_der(const uint8_t *der, size_t len, kyso_cms_revinfo_t *out)
{
	const uint8_t *end = der + len, *p, *p_end, *sd, *sd_end;
	der_t d;
	/* ContentInfo { contentType, [0] EXPLICIT SignedData } */
	if (der == NULL || !der_enter(der, end, 0x30, &p, &p_end) || !der_next(&p, p_end, &d) ||
	    d.tag != 0x06 || !der_enter(p, p_end, 0xa0, &sd, &sd_end) ||
	    !der_enter(sd, sd_end, 0x30, &p, &p_end))
		return false;
	/* version, digestAlgorithms, encapContentInfo */
	for (int i = 0; i < 3; i++)
		if (!der_next(&p, p_end, &d))
			return false;
	while (p < p_end && der_next(&p, p_end, &d)) {
		if (d.tag == 0xa1) {
			revocation_choices(d.val, d.val + d.len, out);
		} else if (d.tag == 0x31) { /* signerInfos: the first one */
			const uint8_t *s, *s_end;
			if (der_enter(d.val, d.val + d.len, 0x30, &s, &s_end))
				signer_info(s, s_end, out);
		}
	}
	return out->ncrls + out->nocsps > 0;
}

bool kyso_cms_revinfo(CMS_ContentInfo *cms, kyso_cms_revinfo_t *out)
{
	memset(out, 0, sizeof(*out));
	unsigned char *der = NULL;
	int n = cms != NULL ? i2d_CMS_ContentInfo(cms, &der) : -1;
	ERR_clear_error();
	if (n <= 0)
		return false;
	out->der = der;
	return kyso_cms_revinfo_der(der, (size_t)n, out);
}

void kyso_cms_revinfo_free(kyso_cms_revinfo_t *r)
{
	free(r->crls);
	free(r->ocsps);
	OPENSSL_free(r->der);
	memset(r, 0, sizeof(*r));
}
