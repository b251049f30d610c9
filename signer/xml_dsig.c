/* XMLDSig enveloped signatures (e-invoice style) with the key on the token.
 *
 * xmlsec1 (OpenSSL back end) builds the Signature from a template: it runs the
 * transforms (enveloped-signature, C14N), computes the DigestValue and
 * canonicalises SignedInfo. xmlsec can only sign with a key it holds, and ours
 * stays on the PKCS#11 token; so xmlsec signs once with a throw-away RSA key
 * while keeping the canonical SignedInfo it signed
 * (XMLSEC_DSIG_FLAGS_STORE_SIGNATURE); that buffer is hashed and signed on the
 * token, and the token's value replaces the SignatureValue. KeyInfo carries
 * the signing certificate. Nothing here canonicalises XML itself. */
#include "kyso_signer.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#define XML_MAX ((size_t)50 * 1024 * 1024)

static once_flag init_once = ONCE_FLAG_INIT;
static bool init_ok;

static void xml_init(void)
{
	xmlInitParser();
	init_ok = xmlSecInit() >= 0 && xmlSecCheckVersion() == 1 &&
	          xmlSecCryptoAppInit(NULL) >= 0 && xmlSecCryptoInit() >= 0;
}

bool kyso_xml_available(void)
{
	return true;
}

/* the first element with this local name (depth first), NULL = none */
static xmlNodePtr find_element(xmlNodePtr n, const char *name)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(n->name, BAD_CAST name) == 0)
			return n;
		xmlNodePtr c = find_element(n->children, name);
		if (c != NULL)
			return c;
	}
	return NULL;
}

/* "A/B/C": the first A, its first descendant B, ...; a plain name: the first
 * element with that name */
static xmlNodePtr find_path(xmlNodePtr root, const char *path)
{
	char seg[128];
	xmlNodePtr n = root;
	bool first = true;
	while (n != NULL && *path) {
		size_t k = strcspn(path, "/");
		if (k == 0 || k >= sizeof(seg))
			return NULL;
		memcpy(seg, path, k);
		seg[k] = '\0';
		n = find_element(first ? n : n->children, seg);
		first = false;
		path += k;
		if (*path == '/')
			path++;
	}
	return n;
}

/* registers the Id attribute whose value is id as an XML ID (for URI="#id") */
static bool register_id(xmlDocPtr doc, xmlNodePtr n, const char *id)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
			if (xmlStrcasecmp(a->name, BAD_CAST "id") != 0)
				continue;
			xmlChar *v = xmlNodeListGetString(doc, a->children, 1);
			bool hit = v != NULL && xmlStrcmp(v, BAD_CAST id) == 0;
			xmlFree(v);
			if (hit) {
				if (xmlGetID(doc, BAD_CAST id) == NULL)
					xmlAddID(NULL, doc, BAD_CAST id, a);
				return true;
			}
		}
		if (register_id(doc, n->children, id))
			return true;
	}
	return false;
}

static kyso_err_t xml_fail(kyso_error_t *err, const char *what)
{
	return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("XML signing: %s."), what);
}

/* The template: Signature (C14N 2001, rsa-sha256/384/512) with one Reference
 * (enveloped-signature + C14N) and an empty KeyInfo. */
static xmlNodePtr make_template(xmlDocPtr doc, xmlNodePtr parent, const kyso_xml_opts_t *o,
                                kyso_digest_t alg)
{
	xmlSecTransformId sig = alg == KYSO_DIGEST_SHA512   ? xmlSecTransformRsaSha512Id
	                        : alg == KYSO_DIGEST_SHA384 ? xmlSecTransformRsaSha384Id
	                                                    : xmlSecTransformRsaSha256Id;
	xmlSecTransformId dg = alg == KYSO_DIGEST_SHA512   ? xmlSecTransformSha512Id
	                       : alg == KYSO_DIGEST_SHA384 ? xmlSecTransformSha384Id
	                                                   : xmlSecTransformSha256Id;
	xmlNodePtr signode = xmlSecTmplSignatureCreate(doc, xmlSecTransformInclC14NId, sig, NULL);
	if (signode == NULL)
		return NULL;
	xmlAddChild(parent, signode);
	char uri[300] = "";
	if (o != NULL && o->ref_id != NULL && *o->ref_id)
		snprintf(uri, sizeof(uri), "#%s", o->ref_id);
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(signode, dg, NULL, BAD_CAST uri, NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformInclC14NId) == NULL)
		return NULL;
	return signode;
}

/* KeyInfo/X509Data/X509Certificate with the signing certificate */
static bool add_key_info(xmlNodePtr signode, const kyso_buf_t *der)
{
	xmlNodePtr ki = xmlSecTmplSignatureEnsureKeyInfo(signode, NULL);
	xmlNodePtr x509 = ki != NULL ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	xmlNodePtr c = x509 != NULL ? xmlSecTmplX509DataAddCertificate(x509) : NULL;
	xmlChar *b = c != NULL ? xmlSecBase64Encode(der->data, (xmlSecSize)der->len, 0) : NULL;
	if (b == NULL)
		return false;
	xmlNodeSetContent(c, b);
	xmlFree(b);
	return true;
}

/* xmlsec signs SignedInfo with a throw-away key, keeping what it signed */
static kyso_err_t dummy_sign(xmlNodePtr signode, kyso_buf_t *signed_info, kyso_error_t *err)
{
	xmlSecKeyPtr key = xmlSecKeyGenerate(xmlSecKeyDataRsaId, 2048, xmlSecKeyDataTypePrivate);
	xmlSecDSigCtxPtr ctx = key != NULL ? xmlSecDSigCtxCreate(NULL) : NULL;
	if (ctx == NULL) {
		xmlSecKeyDestroy(key);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	ctx->signKey = key; /* owned by ctx now */
	ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNATURE;
	kyso_err_t rc = KYSO_OK;
	if (xmlSecDSigCtxSign(ctx, signode) < 0) {
		rc = xml_fail(err, _("the signature could not be built (reference not found?)"));
	} else {
		xmlSecBufferPtr pre = xmlSecDSigCtxGetPreSignBuffer(ctx);
		if (pre == NULL || xmlSecBufferGetSize(pre) == 0)
			rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "xmlsec kept no SignedInfo");
		else
			kyso_buf_append(signed_info, xmlSecBufferGetData(pre),
			                (size_t)xmlSecBufferGetSize(pre));
	}
	xmlSecDSigCtxDestroy(ctx);
	return rc;
}

/* the token's signature of the canonical SignedInfo into SignatureValue */
static kyso_err_t token_value(kyso_signer_t *s, xmlNodePtr signode, kyso_digest_t alg,
                              const kyso_buf_t *signed_info, kyso_error_t *err)
{
	const EVP_MD *md = alg == KYSO_DIGEST_SHA512   ? EVP_sha512()
	                   : alg == KYSO_DIGEST_SHA384 ? EVP_sha384()
	                                               : EVP_sha256();
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	if (EVP_Digest(signed_info->data, signed_info->len, dg, &dl, md, NULL) != 1)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "digest failed");
	kyso_buf_t sig;
	kyso_buf_init(&sig);
	kyso_err_t rc = kyso_signer_sign_digest(s, alg, dg, dl, &sig, err);
	xmlNodePtr sv = rc == KYSO_OK
	                        ? xmlSecFindNode(signode, xmlSecNodeSignatureValue, xmlSecDSigNs)
	                        : NULL;
	xmlChar *b = sv != NULL ? xmlSecBase64Encode(sig.data, (xmlSecSize)sig.len, 0) : NULL;
	if (rc == KYSO_OK && b == NULL)
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "no SignatureValue");
	if (b != NULL)
		xmlNodeSetContent(sv, b);
	xmlFree(b);
	kyso_buf_free(&sig);
	return rc;
}

static kyso_err_t rsa_only(const kyso_buf_t *der, kyso_error_t *err)
{
	const unsigned char *q = der->data;
	X509 *x = d2i_X509(NULL, &q, (long)der->len);
	EVP_PKEY *pk = x != NULL ? X509_get0_pubkey(x) : NULL;
	bool rsa = pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	X509_free(x);
	if (!rsa)
		return kyso_error_set(
		        err, KYSO_ERR_UNSUPPORTED,
		        _("XML signing needs an RSA key; this token's key is not RSA."));
	return KYSO_OK;
}

kyso_err_t kyso_xml_sign(kyso_signer_t *s, const uint8_t *xml, size_t len, const kyso_xml_opts_t *o,
                         kyso_buf_t *out, kyso_error_t *err)
{
	call_once(&init_once, xml_init);
	if (!init_ok)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "xmlsec cannot be initialised");
	if (len == 0 || len > XML_MAX || len > INT32_MAX)
		return xml_fail(err, _("the XML document is empty or larger than 50 MB"));
	kyso_digest_t alg = o != NULL && o->digest != 0 ? o->digest : KYSO_DIGEST_SHA256;
	kyso_buf_t der, si;
	kyso_buf_init(&der);
	kyso_buf_init(&si);
	kyso_err_t rc = kyso_signer_cert_der(s, &der, err);
	if (rc == KYSO_OK)
		rc = rsa_only(&der, err);
	if (rc != KYSO_OK) {
		kyso_buf_free(&der);
		return rc;
	}
	/* no network, no DTD loading, no entity expansion */
	xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr parent = root;
	if (root == NULL)
		rc = xml_fail(err, _("the data is not well-formed XML"));
	if (rc == KYSO_OK && o != NULL && o->parent != NULL && *o->parent) {
		parent = find_path(root, o->parent);
		if (parent == NULL)
			rc = xml_fail(err,
			              _("the element that receives the signature was not found"));
	}
	if (rc == KYSO_OK && o != NULL && o->ref_id != NULL && *o->ref_id &&
	    !register_id(doc, root, o->ref_id))
		rc = xml_fail(err, _("the element to sign (Id) was not found"));
	xmlNodePtr signode = rc == KYSO_OK ? make_template(doc, parent, o, alg) : NULL;
	if (rc == KYSO_OK && signode == NULL)
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (rc == KYSO_OK)
		rc = dummy_sign(signode, &si, err);
	if (rc == KYSO_OK)
		rc = token_value(s, signode, alg, &si, err);
	if (rc == KYSO_OK && !add_key_info(signode, &der))
		rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (rc == KYSO_OK) {
		xmlChar *txt = NULL;
		int n = 0;
		xmlDocDumpMemoryEnc(doc, &txt, &n, "UTF-8");
		out->len = 0;
		if (txt == NULL || n <= 0)
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		else
			rc = kyso_buf_append(out, txt, (size_t)n);
		xmlFree(txt);
	}
	xmlFreeDoc(doc);
	kyso_buf_free(&der);
	kyso_buf_free(&si);
	return rc;
}
