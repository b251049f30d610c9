/* kyso-test-revcms: a detached CMS signature (SHA-256, signed attributes)
 * that carries revocation data itself, as Adobe and CAdES signers do, so
 * that kyso verify's reading of it can be checked:
 *   kyso-test-revcms attr|crls TBS CERT KEY CHAIN OUT.der [crl:FILE|ocsp:FILE]...
 * attr: the items go into the signed attribute adbe-revocationInfoArchival
 *       (1.2.840.113583.1.1.8: SEQUENCE { [0] CRLs, [1] OCSPResponses });
 * crls: into SignedData.crls (RevocationInfoChoices): CRLs as they are,
 *       OCSP responses as OtherRevocationInfoFormat id-ri-ocsp-response.
 * FILE: DER (CRLs may be PEM). Test tool only. */
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	unsigned char *p;
	size_t n;
} buf_t;

static void put(buf_t *b, const void *d, size_t n)
{
	if (n == 0)
		return;
	b->p = realloc(b->p, b->n + n);
	if (b->p == NULL)
		exit(3);
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

/* tag, length, content */
static void tlv(buf_t *b, unsigned char tag, const unsigned char *d, size_t n)
{
	unsigned char h[6];
	size_t k = 0;
	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
	} else {
		unsigned char l[4];
		size_t m = 0;
		for (size_t v = n; v > 0; v >>= 8)
			l[m++] = (unsigned char)(v & 0xff);
		h[k++] = (unsigned char)(0x80 | m);
		while (m > 0)
			h[k++] = l[--m];
	}
	put(b, h, k);
	put(b, d, n);
}

static bool read_file(const char *path, buf_t *out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	unsigned char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		put(out, tmp, n);
	fclose(f);
	return out->n > 0;
}

/* A CRL file (PEM or DER) as DER. */
static bool crl_der(const char *path, buf_t *out)
{
	buf_t raw = {0};
	if (!read_file(path, &raw))
		return false;
	const unsigned char *p = raw.p;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)raw.n);
	if (c == NULL) {
		BIO *b = BIO_new_mem_buf(raw.p, (int)raw.n);
		c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	free(raw.p);
	unsigned char *d = NULL;
	int n = c != NULL ? i2d_X509_CRL(c, &d) : -1;
	X509_CRL_free(c);
	if (n <= 0)
		return false;
	put(out, d, (size_t)n);
	OPENSSL_free(d);
	return true;
}

/* One DER element at *p: its tag, content and whole length. */
static bool next(const unsigned char **p, const unsigned char *end, unsigned char *tag,
                 const unsigned char **val, size_t *len, size_t *whole)
{
	const unsigned char *s = *p, *q = *p;
	if (end - q < 2)
		return false;
	*tag = *q++;
	size_t l = *q++;
	if (l & 0x80) {
		size_t m = l & 0x7f;
		l = 0;
		while (m-- > 0)
			l = (l << 8) | *q++;
	}
	*val = q;
	*len = l;
	*whole = (size_t)(q + l - s);
	*p = q + l;
	return *p <= end;
}

/* ContentInfo DER with an [1] crls field holding extra (before signerInfos). */
static bool add_choices(const unsigned char *der, size_t len, const buf_t *extra, buf_t *out)
{
	const unsigned char *p = der, *v, *end = der + len;
	unsigned char tag;
	size_t l, w;
	/* ContentInfo SEQUENCE { OID, [0] { SignedData SEQUENCE } } */
	if (!next(&p, end, &tag, &v, &l, &w) || tag != 0x30)
		return false;
	const unsigned char *ci = v, *ci_end = v + l, *oid;
	size_t oid_w;
	if (!next(&ci, ci_end, &tag, &oid, &l, &oid_w))
		return false;
	const unsigned char *oid_start = oid - 2;
	if (!next(&ci, ci_end, &tag, &v, &l, &w) || tag != 0xa0)
		return false;
	const unsigned char *sd = v, *sd_end = v + l;
	if (!next(&sd, sd_end, &tag, &v, &l, &w) || tag != 0x30)
		return false;
	const unsigned char *f = v, *f_end = v + l;
	buf_t body = {0};
	bool done = false;
	for (int idx = 0; f < f_end; idx++) {
		const unsigned char *start = f;
		if (!next(&f, f_end, &tag, &v, &l, &w))
			return false;
		if (tag == 0xa1) { /* existing crls: append */
			buf_t c = {0};
			put(&c, v, l);
			put(&c, extra->p, extra->n);
			tlv(&body, 0xa1, c.p, c.n);
			free(c.p);
			done = true;
		} else {
			/* signerInfos (after version, digestAlgorithms, encapContentInfo
			 * and the optional certificates): crls go before */
			if (tag == 0x31 && idx >= 3 && !done) {
				tlv(&body, 0xa1, extra->p, extra->n);
				done = true;
			}
			put(&body, start, w);
		}
	}
	buf_t sdseq = {0}, explicit0 = {0}, cibody = {0};
	tlv(&sdseq, 0x30, body.p, body.n);
	tlv(&explicit0, 0xa0, sdseq.p, sdseq.n);
	put(&cibody, oid_start, oid_w);
	put(&cibody, explicit0.p, explicit0.n);
	tlv(out, 0x30, cibody.p, cibody.n);
	free(body.p);
	free(sdseq.p);
	free(explicit0.p);
	free(cibody.p);
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 7 || (strcmp(argv[1], "attr") != 0 && strcmp(argv[1], "crls") != 0)) {
		fprintf(stderr, "usage: kyso-test-revcms attr|crls TBS CERT KEY CHAIN OUT.der "
		                "[crl:FILE|ocsp:FILE]...\n");
		return 2;
	}
	bool attr = strcmp(argv[1], "attr") == 0;
	BIO *cb = BIO_new_file(argv[3], "r"), *kb = BIO_new_file(argv[4], "r"),
	    *chb = BIO_new_file(argv[5], "r"), *in = BIO_new_file(argv[2], "rb");
	X509 *cert = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *x;
	while (chb != NULL && (x = PEM_read_bio_X509(chb, NULL, NULL, NULL)) != NULL)
		sk_X509_push(chain, x);
	ERR_clear_error();
	if (cert == NULL || key == NULL || in == NULL) {
		fprintf(stderr, "kyso-test-revcms: cannot read the inputs\n");
		return 1;
	}
	/* the items: CRLs and OCSP responses apart */
	buf_t crls = {0}, ocsps = {0};
	for (int i = 7; i < argc; i++) {
		buf_t one = {0};
		bool ok = strncmp(argv[i], "crl:", 4) == 0    ? crl_der(argv[i] + 4, &one)
		          : strncmp(argv[i], "ocsp:", 5) == 0 ? read_file(argv[i] + 5, &one)
		                                              : false;
		if (!ok) {
			fprintf(stderr, "kyso-test-revcms: bad item %s\n", argv[i]);
			return 1;
		}
		if (argv[i][0] == 'c') {
			put(&crls, one.p, one.n);
		} else if (attr) {
			put(&ocsps, one.p, one.n);
		} else {
			/* [1] { id-ri-ocsp-response, OCSPResponse } */
			static const unsigned char oid[] = {0x06, 0x08, 0x2b, 0x06, 0x01,
			                                    0x05, 0x05, 0x07, 0x10, 0x02};
			buf_t o = {0};
			put(&o, oid, sizeof(oid));
			put(&o, one.p, one.n);
			tlv(&ocsps, 0xa1, o.p, o.n);
			free(o.p);
		}
		free(one.p);
	}
	unsigned flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, chain, NULL, flags);
	CMS_SignerInfo *si =
	        cms != NULL ? CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) : NULL;
	if (si == NULL) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	if (attr) {
		buf_t seq = {0}, a = {0}, s = {0};
		if (crls.n > 0) {
			tlv(&s, 0x30, crls.p, crls.n);
			tlv(&seq, 0xa0, s.p, s.n);
			free(s.p);
			s = (buf_t){0};
		}
		if (ocsps.n > 0) {
			tlv(&s, 0x30, ocsps.p, ocsps.n);
			tlv(&seq, 0xa1, s.p, s.n);
			free(s.p);
		}
		tlv(&a, 0x30, seq.p, seq.n);
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113583.1.1.8", 1);
		if (CMS_signed_add1_attr_by_OBJ(si, obj, V_ASN1_SEQUENCE, a.p, (int)a.n) != 1) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
		ASN1_OBJECT_free(obj);
		free(seq.p);
		free(a.p);
	}
	if (CMS_final(cms, in, NULL, flags) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);
	buf_t out = {0};
	if (n <= 0)
		return 1;
	if (!attr) {
		buf_t extra = {0};
		put(&extra, crls.p, crls.n);
		put(&extra, ocsps.p, ocsps.n);
		if (extra.n > 0 && !add_choices(der, (size_t)n, &extra, &out))
			return 1;
		if (extra.n == 0)
			put(&out, der, (size_t)n);
		free(extra.p);
	} else {
		put(&out, der, (size_t)n);
	}
	FILE *f = fopen(argv[6], "wb");
	if (f == NULL || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0)
		return 1;
	OPENSSL_free(der);
	free(out.p);
	free(crls.p);
	free(ocsps.p);
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(cb);
	BIO_free(kb);
	BIO_free(chb);
	BIO_free(in);
	return 0;
}
