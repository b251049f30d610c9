/* RFC 3161 over HTTP (libcurl): request with nonce + certReq, POST with
 * optional basic auth and timeouts, reply checked by kyso_tsa_check_reply(). */
#include "tsa_int.h"

#define CURL_DISABLE_TYPECHECK /* calls go through function pointers */
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <string.h>

#define TSA_MAX_REPLY ((size_t)1 << 20)

static kyso_err_t make_request(const EVP_MD *md, const uint8_t *digest, size_t dlen, uint64_t nonce,
                               kyso_buf_t *out, kyso_error_t *err)
{
	kyso_err_t rc = KYSO_ERR_INTERNAL;
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int len = 0;
	if (req == NULL || mi == NULL || alg == NULL || n == NULL)
		goto out;
	X509_ALGOR_set_md(alg, md);
	if (!TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)digest, (int)dlen) ||
	    !TS_REQ_set_version(req, 1) || !TS_REQ_set_msg_imprint(req, mi) ||
	    !ASN1_INTEGER_set_uint64(n, nonce) || !TS_REQ_set_nonce(req, n) ||
	    !TS_REQ_set_cert_req(req, 1))
		goto out;
	len = i2d_TS_REQ(req, &der);
	if (len > 0 && kyso_buf_append(out, der, (size_t)len) == KYSO_OK)
		rc = KYSO_OK;
out:
	if (rc != KYSO_OK)
		kyso_error_set(err, rc, "cannot build the time-stamp request");
	OPENSSL_free(der);
	ASN1_INTEGER_free(n);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	ERR_clear_error();
	return rc;
}

struct sink {
	kyso_buf_t *b;
	bool too_big;
	size_t max; /* 0 = TSA_MAX_REPLY */
};

static size_t sink_write(char *p, size_t sz, size_t n, void *ctx)
{
	struct sink *s = ctx;
	if (s->b->len + sz * n > (s->max ? s->max : TSA_MAX_REPLY)) {
		s->too_big = true;
		return 0;
	}
	return kyso_buf_append(s->b, p, sz * n) == KYSO_OK ? sz * n : 0;
}

/* libcurl is loaded on first use (dlopen), like HarfBuzz: a program that
 * links it directly pulls in some 28 shared libraries (GnuTLS, Kerberos,
 * LDAP, ...) at every start, time stamp or not. */
static struct {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static kyso_err_t curl_load(kyso_error_t *err)
{
	static void *lib;
	if (lib != NULL)
		return KYSO_OK;
	static const char *const names[] = {"libcurl.so.4", "libcurl.so", "libcurl-4.dll",
	                                    "libcurl.dll"};
	void *h = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && h == NULL; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return kyso_error_set(err, KYSO_ERR_NETWORK,
		                      _("Cannot load libcurl for the time stamp: %s"), dlerror());
	*(void **)&cu.easy_init = dlsym(h, "curl_easy_init");
	*(void **)&cu.easy_setopt = dlsym(h, "curl_easy_setopt");
	*(void **)&cu.easy_perform = dlsym(h, "curl_easy_perform");
	*(void **)&cu.easy_getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&cu.easy_strerror = dlsym(h, "curl_easy_strerror");
	*(void **)&cu.easy_cleanup = dlsym(h, "curl_easy_cleanup");
	*(void **)&cu.slist_append = dlsym(h, "curl_slist_append");
	*(void **)&cu.slist_free_all = dlsym(h, "curl_slist_free_all");
	if (cu.easy_init == NULL || cu.easy_setopt == NULL || cu.easy_perform == NULL ||
	    cu.easy_getinfo == NULL || cu.easy_strerror == NULL || cu.easy_cleanup == NULL ||
	    cu.slist_append == NULL || cu.slist_free_all == NULL) {
		dlclose(h);
		return kyso_error_set(err, KYSO_ERR_NETWORK,
		                      _("Cannot load libcurl for the time stamp: %s"),
		                      "missing symbol");
	}
	lib = h;
	return KYSO_OK;
}

static kyso_err_t post(const kyso_tsa_opts_t *o, const kyso_buf_t *q, kyso_buf_t *reply,
                       kyso_error_t *err)
{
	kyso_err_t lrc = curl_load(err);
	if (lrc != KYSO_OK)
		return lrc;
	CURL *c = cu.easy_init();
	if (c == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	struct curl_slist *h = cu.slist_append(NULL, "Content-Type: application/timestamp-query");
	struct curl_slist *h2 =
	        h != NULL ? cu.slist_append(h, "Accept: application/timestamp-reply") : NULL;
	if (h2 == NULL) {
		cu.slist_free_all(h);
		cu.easy_cleanup(c);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	h = h2;
	struct sink s = {reply, false, 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	cu.easy_setopt(c, CURLOPT_URL, o->url);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	cu.easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_USERAGENT, "kyso/" KYSO_VERSION);
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cu.easy_setopt(c, CURLOPT_POSTFIELDS, q->data);
	cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &s);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (o->user != NULL) {
		cu.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cu.easy_setopt(c, CURLOPT_USERNAME, o->user);
		cu.easy_setopt(c, CURLOPT_PASSWORD, o->pass != NULL ? o->pass : "");
	}
	CURLcode cr = cu.easy_perform(c);
	long code = 0;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	char *ctype = NULL;
	cu.easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	kyso_err_t rc = KYSO_OK;
	if (s.too_big)
		rc = kyso_error_set(err, KYSO_ERR_TSA,
		                    _("The time-stamp server's reply is too large."));
	else if (cr != CURLE_OK)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("Cannot reach the time-stamp server %s: %s"), o->url,
		                    errbuf[0] ? errbuf : cu.easy_strerror(cr));
	else if (code == 401 || code == 403)
		rc = kyso_error_set(err, KYSO_ERR_TSA,
		                    o->user != NULL
		                            ? _("The time-stamp server %s refused the user name or "
		                                "password (HTTP %ld).")
		                            : _("The time-stamp server %s needs a user name and "
		                                "password (HTTP %ld); use --tsa-user and "
		                                "--tsa-pass-env."),
		                    o->url, code);
	else if (code != 200)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK,
		                    _("The time-stamp server %s answered HTTP %ld."), o->url, code);
	else if (ctype == NULL || strncmp(ctype, "application/timestamp-reply", 27) != 0)
		rc = kyso_error_set(err, KYSO_ERR_TSA,
		                    _("The time-stamp server %s did not send a time-stamp reply "
		                      "(Content-Type %s)."),
		                    o->url, ctype != NULL ? ctype : "-");
	cu.slist_free_all(h);
	cu.easy_cleanup(c);
	return rc;
}

kyso_err_t kyso_http_fetch(const char *url, const kyso_buf_t *body, const char *content_type,
                           long timeout_s, size_t max, kyso_buf_t *reply, kyso_error_t *err)
{
	kyso_err_t lrc = curl_load(err);
	if (lrc != KYSO_OK)
		return lrc;
	CURL *c = cu.easy_init();
	if (c == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	struct curl_slist *h = NULL;
	if (body != NULL && content_type != NULL) {
		char hdr[128];
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
		h = cu.slist_append(NULL, hdr);
		if (h == NULL) {
			cu.easy_cleanup(c);
			return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		}
	}
	struct sink s = {reply, false, max};
	char errbuf[CURL_ERROR_SIZE] = "";
	cu.easy_setopt(c, CURLOPT_URL, url);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	cu.easy_setopt(c, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : 30L);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_USERAGENT, "kyso/" KYSO_VERSION);
	if (h != NULL)
		cu.easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		cu.easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
		cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &s);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cr = cu.easy_perform(c);
	long code = 0;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	kyso_err_t rc = KYSO_OK;
	if (s.too_big)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("The reply from %s is too large."),
		                    url);
	else if (cr != CURLE_OK)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("Cannot reach %s: %s"), url,
		                    errbuf[0] ? errbuf : cu.easy_strerror(cr));
	else if (code != 200)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("%s answered HTTP %ld."), url, code);
	cu.slist_free_all(h);
	cu.easy_cleanup(c);
	return rc;
}

kyso_err_t kyso_tsa_stamp(const kyso_tsa_opts_t *o, const EVP_MD *md, const uint8_t *data,
                          size_t data_len, kyso_buf_t *token, kyso_error_t *err)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (!EVP_Digest(data, data_len, digest, &dlen, md, NULL)) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "digest");
	}
	return kyso_tsa_stamp_digest(o, md, digest, dlen, token, err);
}

kyso_err_t kyso_tsa_stamp_digest(const kyso_tsa_opts_t *o, const EVP_MD *md, const uint8_t *digest,
                                 unsigned dlen, kyso_buf_t *token, kyso_error_t *err)
{
	uint64_t nonce = 0;
	if (RAND_bytes((unsigned char *)&nonce, sizeof(nonce)) != 1) {
		ERR_clear_error();
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "digest/nonce");
	}
	nonce >>= 1; /* positive, fits INTEGER without a sign byte issue */
	kyso_buf_t q, reply;
	kyso_buf_init(&q);
	kyso_buf_init(&reply);
	kyso_err_t rc = make_request(md, digest, dlen, nonce, &q, err);
	if (rc == KYSO_OK)
		rc = post(o, &q, &reply, err);
	if (rc == KYSO_OK)
		rc = kyso_tsa_check_reply(reply.data, reply.len, md, digest, dlen, nonce, token,
		                          err);
	kyso_buf_free(&q);
	kyso_buf_free(&reply);
	return rc;
}
