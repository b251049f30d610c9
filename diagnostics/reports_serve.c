/* `kyso reports serve`: the collector `kyso doctor --send` uploads to
 * (libmicrohttpd, a pool of worker threads with one store connection each;
 * bearer token; size limit; 429 when saturated) and the dashboard at `/`. */
#include "reports_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The collector: what the caller asked for, and what it is derived into. */
typedef struct {
	kyso_reports_serve_opts_t o;
	bool tls;
	struct sockaddr_in addr;
} serve_t;

typedef struct {
	kyso_buf_t body;
	bool too_big, denied, counted, login;
} upload_t;

static volatile sig_atomic_t stop_serving;
static atomic_uint inflight;
/* one store connection per worker thread, opened on its first request */
static _Thread_local kyso_reports_db_t *thread_db;
static kyso_reports_db_t *opened[KYSO_REPORTS_MAX_THREADS + 1];
static atomic_uint n_opened;
static char session[65]; /* the dashboard cookie: HMAC(token, fixed text) */

static void on_signal(int sig)
{
	(void)sig; /* the handler only records that one arrived */
	stop_serving = 1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (code == MHD_HTTP_TOO_MANY_REQUESTS || code == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "2");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* A page (takes the malloc'ed body). */
static enum MHD_Result page(struct MHD_Connection *c, unsigned code, const char *type, char *body,
                            size_t len, const char *cookie, const char *location)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	                        "form-action 'self'; frame-ancestors 'none'");
	if (cookie != NULL)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	if (location != NULL)
		MHD_add_response_header(r, "Location", location);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result html(struct MHD_Connection *c, unsigned code, char *body)
{
	if (body == NULL)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"error\":\"report store\"}");
	return page(c, code, "text/html; charset=utf-8", body, strlen(body), NULL, NULL);
}

static kyso_reports_db_t *worker_db(const serve_t *s)
{
	if (thread_db != NULL)
		return thread_db;
	unsigned slot = atomic_fetch_add(&n_opened, 1);
	if (slot >= KYSO_REPORTS_MAX_THREADS) {
		atomic_fetch_sub(&n_opened, 1);
		return NULL;
	}
	kyso_error_t err;
	kyso_error_clear(&err);
	thread_db = kyso_reports_db_open(s->o.db_url, &err);
	if (thread_db == NULL)
		kyso_warn("reports: %s", kyso_error_message(&err));
	opened[slot] = thread_db;
	return thread_db;
}

static bool token_ok(const serve_t *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	size_t n = strlen(s->o.token);
	return strlen(h) == n && CRYPTO_memcmp(h, s->o.token, n) == 0;
}

static bool session_ok(const serve_t *s, struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "kyso_session");
	return token_ok(s, c) ||
	       (v != NULL && strlen(v) == 64 && CRYPTO_memcmp(v, session, 64) == 0);
}

static void make_session(const char *token)
{
	static const char text[] = "kyso reports dashboard session";
	unsigned char mac[32];
	unsigned len = 0;
	if (HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)text,
	         sizeof(text) - 1, mac, &len) == NULL)
		len = 0;
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(session + 2 * i, 3, "%02x", mac[i]);
}

/* The token field of the login form. */
static bool form_token_ok(const serve_t *s, const kyso_buf_t *body)
{
	char v[600];
	bool ok = body->data != NULL && kyso_reports_form_value((const char *)body->data, body->len,
	                                                        "token", v, sizeof(v));
	size_t t = strlen(s->o.token);
	ok = ok && strlen(v) == t && CRYPTO_memcmp(v, s->o.token, t) == 0;
	kyso_memzero(v, sizeof(v));
	return ok;
}

static void query_filter(struct MHD_Connection *c, kyso_reports_filter_t *f)
{
	memset(f, 0, sizeof(*f));
	f->days = 30;
	f->org = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
	f->token_type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	f->os = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "os");
	f->version = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version");
	f->check = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "check");
	const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
	if (d != NULL) {
		char *end;
		long v = strtol(d, &end, 10);
		if (*end == '\0' && v >= 0 && v <= 36500)
			f->days = (int)v;
	}
}

static enum MHD_Result on_get(serve_t *s, struct MHD_Connection *c, const char *url)
{
	if (!session_ok(s, c))
		return html(c, strcmp(url, "/") == 0 ? MHD_HTTP_OK : MHD_HTTP_UNAUTHORIZED,
		            kyso_reports_dash_login(false));
	kyso_reports_db_t *db = worker_db(s);
	if (db == NULL)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"error\":\"report store\"}");
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_reports_filter_t f;
	query_filter(c, &f);
	if (strcmp(url, "/") == 0)
		return html(c, MHD_HTTP_OK, kyso_reports_dash_home(db, &f, &err));
	if (strcmp(url, "/cause") == 0)
		return html(c, MHD_HTTP_OK, kyso_reports_dash_cause(db, &f, &err));
	if (strcmp(url, "/api/v1/summary") == 0) {
		json_t *j = kyso_reports_db_summary(db, &f, &err);
		char *t = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (t == NULL)
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			             "{\"error\":\"report store\"}");
		return page(c, MHD_HTTP_OK, "application/json", t, strlen(t), NULL, NULL);
	}
	if (strncmp(url, "/report/", 8) == 0) {
		json_t *r = kyso_reports_db_get(db, url + 8, &err);
		if (r == NULL)
			return reply(c,
			             err.code == KYSO_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND
			                                            : MHD_HTTP_SERVICE_UNAVAILABLE,
			             "{\"error\":\"no such report\"}");
		char *p = kyso_doctor_html(r);
		json_decref(r);
		return html(c, MHD_HTTP_OK, p);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
}

static enum MHD_Result on_login(serve_t *s, struct MHD_Connection *c, const upload_t *u)
{
	if (!form_token_ok(s, &u->body)) {
		kyso_warn("reports: dashboard login refused");
		return html(c, MHD_HTTP_UNAUTHORIZED, kyso_reports_dash_login(true));
	}
	char cookie[160];
	snprintf(cookie, sizeof(cookie), "kyso_session=%s; Path=/; HttpOnly; SameSite=Strict%s",
	         session, s->tls ? "; Secure" : "");
	char *body = strdup("");
	if (body == NULL)
		return MHD_NO;
	return page(c, MHD_HTTP_SEE_OTHER, "text/plain", body, 0, cookie, "/");
}

static kyso_err_t store_upload(serve_t *s, const upload_t *u, char id[64], bool *added,
                               kyso_error_t *err)
{
	kyso_reports_db_t *db = worker_db(s);
	if (db == NULL)
		return kyso_error_set(err, KYSO_ERR_IO, "%s",
		                      _("the report store is not reachable"));
	kyso_err_t rc =
	        kyso_reports_db_ingest(db, u->body.data, u->body.len, "upload", id, added, err);
	/* a known report keeps its first bundle: the store's copy is never replaced */
	if (rc != KYSO_OK || !*added || s->o.store == NULL)
		return rc;
	char path[4200];
	bool zip = u->body.len >= 4 && memcmp(u->body.data, "PK\003\004", 4) == 0;
	snprintf(path, sizeof(path), "%s/%s.%s", s->o.store, id, zip ? "zip" : "json");
	return kyso_file_write_atomic(path, u->body.data, u->body.len, 0600, err);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
	serve_t *s = cls;
	(void)version; /* any HTTP version */
	upload_t *u = *con_cls;
	if (u == NULL) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return on_get(s, c, url);
		if (strcmp(method, "POST") != 0)
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"GET or POST\"}");
		bool login = strcmp(url, "/login") == 0;
		if (!login && strcmp(url, "/api/v1/reports") != 0 && strcmp(url, "/") != 0)
			return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
		/* saturated: the sender keeps the bundle and comes back later */
		if (!login && atomic_fetch_add(&inflight, 1) >= s->o.max_inflight) {
			atomic_fetch_sub(&inflight, 1);
			return reply(c, MHD_HTTP_TOO_MANY_REQUESTS,
			             "{\"error\":\"busy, retry later\"}");
		}
		u = calloc(1, sizeof(*u));
		if (u == NULL) {
			if (!login)
				atomic_fetch_sub(&inflight, 1);
			return MHD_NO;
		}
		kyso_buf_init(&u->body);
		u->login = login;
		u->counted = !login;
		u->denied = !login && !token_ok(s, c);
		*con_cls = u;
		return MHD_YES;
	}
	if (*size > 0) {
		if (!u->denied && !u->too_big) {
			if (u->body.len + *size > (u->login ? 1024 : s->o.max_size) ||
			    kyso_buf_append(&u->body, data, *size) != KYSO_OK)
				u->too_big = true;
		}
		*size = 0;
		return MHD_YES;
	}
	if (u->login)
		return u->too_big ? reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{}") : on_login(s, c, u);
	if (u->denied) {
		kyso_warn("reports: upload refused: bad or missing token");
		return reply(c, MHD_HTTP_UNAUTHORIZED, "{\"error\":\"bad or missing token\"}");
	}
	if (u->too_big)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"larger than %zu bytes\"}",
		             s->o.max_size);
	char id[64] = "";
	bool added = false;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (store_upload(s, u, id, &added, &err) != KYSO_OK) {
		kyso_warn("reports: upload rejected: %s", kyso_error_message(&err));
		if (err.code == KYSO_ERR_IO || err.code == KYSO_ERR_NETWORK ||
		    err.code == KYSO_ERR_EXISTS)
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			             "{\"error\":\"report store unavailable, retry later\"}");
		return reply(c, MHD_HTTP_BAD_REQUEST, "{\"error\":\"not a kyso doctor report\"}");
	}
	kyso_info("reports: received %s (%s)", id, added ? "new" : "already known");
	return reply(c, added ? MHD_HTTP_CREATED : MHD_HTTP_OK, "{\"id\":\"%s\",\"added\":%s}", id,
	             added ? "true" : "false");
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	(void)cls; /* nothing per daemon */
	(void)c;
	(void)toe;
	upload_t *u = *con_cls;
	if (u != NULL) {
		if (u->counted)
			atomic_fetch_sub(&inflight, 1);
		kyso_buf_free(&u->body);
		free(u);
	}
	*con_cls = NULL;
}

static char *read_pem(const char *path, kyso_error_t *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (kyso_file_read_all(path, 1u << 20, &data, &len, err) != KYSO_OK)
		return NULL;
	char *s = realloc(data, len + 1);
	if (s == NULL) {
		free(data);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

static int serve_run(serve_t *s, const char *cert, const char *key, kyso_error_t *err)
{
	if (s->o.store != NULL && mkdir(s->o.store, 0700) != 0 && access(s->o.store, W_OK) != 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot use the store directory %s"),
		               s->o.store);
		return kyso_cmd_fail(false, err);
	}
	char *cert_pem = NULL, *key_pem = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	make_session(s->o.token);
	s->tls = cert != NULL;
	if (cert != NULL || key != NULL) {
		cert_pem = cert != NULL ? read_pem(cert, err) : NULL;
		key_pem = key != NULL ? read_pem(key, err) : NULL;
		if (cert_pem == NULL || key_pem == NULL) {
			free(cert_pem);
			free(key_pem);
			if (err->code == KYSO_OK)
				kyso_error_set(err, KYSO_ERR_USAGE, "%s",
				               _("--cert and --key go together"));
			return kyso_cmd_fail(false, err);
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_Daemon *d;
	if (cert_pem != NULL)
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		                     (struct sockaddr *)&s->addr, MHD_OPTION_NOTIFY_COMPLETED,
		                     on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		                     MHD_OPTION_THREAD_POOL_SIZE, s->o.threads,
		                     MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
		                     key_pem, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		                     (struct sockaddr *)&s->addr, MHD_OPTION_NOTIFY_COMPLETED,
		                     on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		                     MHD_OPTION_THREAD_POOL_SIZE, s->o.threads, MHD_OPTION_END);
	if (d == NULL) {
		free(cert_pem);
		free(key_pem);
		kyso_error_set(err, KYSO_ERR_IO, _("cannot listen on %s (port busy?)"),
		               s->o.listen);
		return kyso_cmd_fail(false, err);
	}
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
		kyso_warn("reports: cannot install signal handlers");
	printf(_("Collecting reports on %s://%s/api/v1/reports (store %s)\n"),
	       cert_pem != NULL ? "https" : "http", s->o.listen,
	       s->o.store != NULL ? s->o.store : "-");
	printf(_("Dashboard: %s://%s/\n"), cert_pem != NULL ? "https" : "http", s->o.listen);
	fflush(stdout);
	while (!stop_serving)
		sleep(1); /* a signal ends the sleep early */
	MHD_stop_daemon(d);
	unsigned n = atomic_load(&n_opened);
	for (unsigned i = 0; i < n && i < KYSO_REPORTS_MAX_THREADS; i++)
		kyso_reports_db_close(&opened[i]);
	free(cert_pem);
	if (key_pem != NULL)
		kyso_memzero(key_pem, strlen(key_pem));
	free(key_pem);
	return KYSO_EXIT_OK;
}

int kyso_reports_serve(const kyso_reports_serve_opts_t *o, const char *cert, const char *key,
                       kyso_error_t *err)
{
	serve_t s;
	memset(&s, 0, sizeof(s));
	s.o = *o;
	const char *colon = o->listen != NULL ? strrchr(o->listen, ':') : NULL;
	char host[64];
	long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
	if (colon == NULL || (size_t)(colon - o->listen) >= sizeof(host) || port < 1 ||
	    port > 65535) {
		kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		               _("serve needs --listen ADDRESS:PORT, e.g. 127.0.0.1:8443"));
		return kyso_cmd_fail(false, err);
	}
	memcpy(host, o->listen, (size_t)(colon - o->listen));
	host[colon - o->listen] = '\0';
	s.addr.sin_family = AF_INET;
	s.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &s.addr.sin_addr) != 1) {
		kyso_error_set(err, KYSO_ERR_USAGE, _("--listen: %s is not an IPv4 address"), host);
		return kyso_cmd_fail(false, err);
	}
	return serve_run(&s, cert, key, err);
}
