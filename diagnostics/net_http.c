/* libcurl helpers: GET, the TSA probe (a real RFC 3161 query, whose HTTP
 * Date header also serves the clock check), the agent probe. */
#include "doctor_int.h"
#include "net_int.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_TSA "http://tsa.ca.gov.vn"

typedef struct {
	kyso_buf_t *body;
	size_t max;
} sink_t;

static size_t on_body(char *ptr, size_t size, size_t n, void *ctx)
{
	sink_t *s = ctx;
	size_t len = size * n;
	if (s->body == NULL)
		return len;
	if (s->body->len + len > s->max || kyso_buf_append(s->body, ptr, len) != KYSO_OK)
		return 0;
	return len;
}

typedef struct {
	long long date;
	char content_type[128];
} hdrs_t;

static size_t on_header(char *ptr, size_t size, size_t n, void *ctx)
{
	hdrs_t *h = ctx;
	size_t len = size * n;
	char line[256];
	size_t l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, ptr, l);
	line[l] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "Date:", 5) == 0) {
		time_t t = curl_getdate(line + 5, NULL);
		if (t > 0)
			h->date = (long long)t;
	} else if (strncasecmp(line, "Content-Type:", 13) == 0) {
		const char *v = line + 13;
		while (*v == ' ')
			v++;
		kyso_str_printf(h->content_type, sizeof(h->content_type), "%s", v);
	}
	return len;
}

static int perform(CURL *h, const char *url, int timeout_ms, sink_t *sink, hdrs_t *hd, long *code,
                   char *msg, size_t cap)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, hd);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kyso-doctor/" KYSO_VERSION_STRING);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(msg, cap, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	return 0;
}

int kyso_doctor_net_get(const char *url, int timeout_ms, size_t max, kyso_buf_t *body, long *code,
                        char *msg, size_t msg_cap)
{
	CURL *h = curl_easy_init();
	if (h == NULL) {
		snprintf(msg, msg_cap, "curl_easy_init failed");
		return -1;
	}
	sink_t sink = {body, max};
	hdrs_t hd = {0, ""};
	int rc = perform(h, url, timeout_ms, &sink, &hd, code, msg, msg_cap);
	curl_easy_cleanup(h);
	return rc;
}

kyso_net_status_t kyso_doctor_net_get_verified(const char *url, const char *cafile, int timeout_ms,
                                               size_t max, kyso_buf_t *body, long *code, char *msg,
                                               size_t msg_cap)
{
	CURL *h = curl_easy_init();
	if (h == NULL) {
		snprintf(msg, msg_cap, "curl_easy_init failed");
		return KYSO_NET_ERROR;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	sink_t sink = {body, max};
	hdrs_t hd = {0, ""};
	if (cafile != NULL) {
		curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kyso-doctor/" KYSO_VERSION_STRING);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	CURLcode rc = curl_easy_perform(h);
	kyso_net_status_t st = KYSO_NET_OK;
	if (rc != CURLE_OK)
		snprintf(msg, msg_cap, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_OK:
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
		break;
	case CURLE_COULDNT_CONNECT:
		st = KYSO_NET_REFUSED;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		st = KYSO_NET_UNTRUSTED;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
		st = KYSO_NET_UNREACHABLE;
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		st = KYSO_NET_CLOSED;
		break;
	default:
		st = KYSO_NET_PROTOCOL;
		break;
	}
	curl_easy_cleanup(h);
	return st;
}

/* 127.x.y.z written as four decimal numbers (not a name starting "127.") */
static bool is_ipv4_loopback(const char *h)
{
	int parts = 0;
	for (const char *p = h; *p != '\0'; parts++) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || end - p > 3 || v > 255 || (parts == 0 && v != 127))
			return false;
		if (*end == '.' && parts < 3)
			end++;
		else if (*end != '\0')
			return false;
		p = end;
	}
	return parts == 4;
}

bool kyso_doctor_net_url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool lo = false;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		lo = is_ipv4_loopback(host) || strcmp(host, "[::1]") == 0 ||
		     strcmp(host, "localhost") == 0;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return lo;
}

int kyso_doctor_timeout_ms(const doctor_t *d)
{
	return d->o->timeout_ms > 0 ? d->o->timeout_ms : 5000;
}

static const char *tsa_url(doctor_t *d)
{
	if (d->o->tsa_url != NULL)
		return d->o->tsa_url;
	const char *cfg = d->config != NULL ? d->config->tsa_url : NULL;
	return cfg != NULL ? cfg : DEFAULT_TSA;
}

/* DER of an RFC 3161 request for SHA-256("kyso doctor"). */
static unsigned char *ts_query(int *len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char text[] = "kyso doctor";
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char *der = NULL;
	*len = 0;
	if (req != NULL && imp != NULL && alg != NULL &&
	    EVP_Digest(text, sizeof(text) - 1, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
	    TS_MSG_IMPRINT_set_algo(imp, alg) == 1 &&
	    TS_MSG_IMPRINT_set_msg(imp, md, (int)mdlen) == 1 && TS_REQ_set_version(req, 1) == 1 &&
	    TS_REQ_set_msg_imprint(req, imp) == 1 && TS_REQ_set_cert_req(req, 1) == 1)
		*len = i2d_TS_REQ(req, &der);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	return *len > 0 ? der : NULL;
}

/* genTime of a granted time stamp (the TSA's signed clock), 0 if none;
 * computed as an offset from local (no timegm on every platform). */
static long long tst_gen_time(TS_RESP *resp, long long local)
{
	TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
	const ASN1_GENERALIZEDTIME *gt = info != NULL ? TS_TST_INFO_get_time(info) : NULL;
	ASN1_TIME *now = gt != NULL ? ASN1_TIME_set(NULL, (time_t)local) : NULL;
	int day = 0, sec = 0;
	bool ok = now != NULL && ASN1_TIME_diff(&day, &sec, gt, now) == 1;
	ASN1_TIME_free(now);
	return ok ? local - ((long long)day * 86400 + sec) : 0;
}

void kyso_doctor_tsa_probe_run(doctor_t *d)
{
	tsa_probe_t *t = &d->tsa;
	if (t->done)
		return;
	t->done = true;
	t->ts_status = -1;
	d->tsa_url = tsa_url(d);
	int qlen = 0;
	unsigned char *q = ts_query(&qlen);
	CURL *h = curl_easy_init();
	if (q == NULL || h == NULL) {
		snprintf(t->error, sizeof(t->error), "cannot build the request");
		OPENSSL_free(q);
		curl_easy_cleanup(h);
		return;
	}
	struct curl_slist *hl =
	        curl_slist_append(NULL, "Content-Type: application/timestamp-query");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, q);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)qlen);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	kyso_buf_t body;
	kyso_buf_init(&body);
	sink_t sink = {&body, 1u << 20};
	hdrs_t hd = {0, ""};
	uint64_t t0 = kyso_now_ms();
	int rc = perform(h, d->tsa_url, kyso_doctor_timeout_ms(d), &sink, &hd, &t->http_code,
	                 t->error, sizeof(t->error));
	t->local_time = (long long)time(NULL);
	t->seconds = (double)(kyso_now_ms() - t0) / 1000.0;
	if (rc == 0) {
		t->reached = true;
		t->server_time = hd.date;
		snprintf(t->content_type, sizeof(t->content_type), "%s", hd.content_type);
		const unsigned char *p = body.data;
		TS_RESP *resp = body.len > 0 ? d2i_TS_RESP(NULL, &p, (long)body.len) : NULL;
		if (resp != NULL)
			t->ts_status = (int)ASN1_INTEGER_get(
			        TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
		t->gen_time = resp != NULL ? tst_gen_time(resp, t->local_time) : 0;
		TS_RESP_free(resp);
	}
	kyso_buf_free(&body);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	OPENSSL_free(q);
}

check_status_t kyso_doctor_check_clock_skew(doctor_t *d, check_t *c)
{
	if (d->o->offline)
		return kyso_doctor_ck_skip(c, _("Skipped: --offline."));
	kyso_doctor_tsa_probe_run(d);
	/* the time stamp's genTime (signed by the TSA), else the HTTP Date header */
	long long ref = d->tsa.gen_time != 0 ? d->tsa.gen_time : d->tsa.server_time;
	if (!d->tsa.reached || ref == 0)
		return kyso_doctor_ck_skip(
		        c, _("Skipped: the time server did not answer (see the TSA check)."));
	long long skew = d->tsa.local_time - ref;
	kyso_doctor_ck_data(c, "reference_kind",
	                    json_string(d->tsa.gen_time != 0 ? "genTime" : "Date"));
	if (d->tsa.gen_time != 0 && d->tsa.server_time != 0)
		kyso_doctor_ck_data(
		        c, "http_date_skew_seconds",
		        json_integer((json_int_t)(d->tsa.local_time - d->tsa.server_time)));
	long long abs_skew = skew < 0 ? -skew : skew;
	kyso_doctor_ck_data(c, "skew_seconds", json_integer((json_int_t)skew));
	kyso_doctor_ck_data(c, "reference", json_string(d->tsa_url));
	long long minutes = (abs_skew + 30) / 60;
	const char *dir = skew > 0 ? _("ahead") : _("behind");
	if (abs_skew >= 300)
		return kyso_doctor_ck_set(
		        c, ST_FAIL, kyso_doctor_os_clock_fix_remedy(),
		        _("The computer clock is %lld minute(s) %s (compared with %s)."), minutes,
		        dir, d->tsa_url);
	if (abs_skew >= 60)
		return kyso_doctor_ck_set(
		        c, ST_WARN, kyso_doctor_os_clock_ntp_remedy(),
		        _("The computer clock is %lld minute(s) %s (compared with %s)."), minutes,
		        dir, d->tsa_url);
	return kyso_doctor_ck_set(c, ST_PASS, "", _("The clock is right (off by %lld s from %s)."),
	                          skew, d->tsa_url);
}

check_status_t kyso_doctor_check_tsa(doctor_t *d, check_t *c)
{
	if (d->o->offline)
		return kyso_doctor_ck_skip(c, _("Skipped: --offline."));
	kyso_doctor_tsa_probe_run(d);
	const tsa_probe_t *t = &d->tsa;
	kyso_doctor_ck_data(c, "url", json_string(d->tsa_url));
	kyso_doctor_ck_data(c, "seconds", json_real(t->seconds));
	if (!t->reached)
		return kyso_doctor_ck_set(
		        c, ST_FAIL,
		        _("Check the Internet connection; if the office uses a proxy or "
		          "firewall, ask IT to allow this address."),
		        _("The time-stamp server %s cannot be reached: %s"), d->tsa_url, t->error);
	kyso_doctor_ck_data(c, "http_status", json_integer(t->http_code));
	if (t->http_code == 401 || t->http_code == 403)
		return kyso_doctor_ck_set(
		        c, ST_WARN,
		        _("Enter the TSA account (user and password) given by the CA in the "
		          "signing settings."),
		        _("The time-stamp server %s asks for an account (HTTP %ld)."), d->tsa_url,
		        t->http_code);
	if (t->http_code != 200 || t->ts_status < 0)
		return kyso_doctor_ck_set(c, ST_FAIL,
		                          _("Check the TSA address in the signing settings."),
		                          _("%s answered HTTP %ld but not with a time stamp."),
		                          d->tsa_url, t->http_code);
	if (t->ts_status > 1)
		return kyso_doctor_ck_set(
		        c, ST_FAIL, _("Check the TSA address and account in the settings."),
		        _("The time-stamp server %s refused the request (status %d)."), d->tsa_url,
		        t->ts_status);
	return kyso_doctor_ck_set(c, ST_PASS, "", _("%s gave a time stamp in %.1f s."), d->tsa_url,
	                          t->seconds);
}
