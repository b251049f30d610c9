/* `kyso reports serve`: the collector `kyso doctor --send` uploads to
 * (libmicrohttpd; bearer token; size limit; stores the bundle, ingests it). */
#include "reports_int.h"

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	kyso_buf_t body;
	bool too_big, denied;
} upload_t;

static volatile sig_atomic_t stop_serving;

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
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static bool token_ok(const serve_t *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	size_t n = strlen(s->token);
	return strlen(h) == n && CRYPTO_memcmp(h, s->token, n) == 0;
}

static kyso_err_t store_upload(serve_t *s, const upload_t *u, char id[64], bool *added,
                               kyso_error_t *err)
{
	kyso_err_t rc =
	        kyso_reports_db_ingest(s->db, u->body.data, u->body.len, "upload", id, added, err);
	if (rc != KYSO_OK)
		return rc;
	char path[4200];
	bool zip = u->body.len >= 4 && memcmp(u->body.data, "PK\003\004", 4) == 0;
	snprintf(path, sizeof(path), "%s/%s.%s", s->store, id, zip ? "zip" : "json");
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
		if (strcmp(method, "POST") != 0)
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"POST only\"}");
		if (strcmp(url, "/api/v1/reports") != 0 && strcmp(url, "/") != 0)
			return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		kyso_buf_init(&u->body);
		u->denied = !token_ok(s, c);
		*con_cls = u;
		return MHD_YES;
	}
	if (*size > 0) {
		if (!u->denied && !u->too_big) {
			if (u->body.len + *size > s->max_size ||
			    kyso_buf_append(&u->body, data, *size) != KYSO_OK)
				u->too_big = true;
		}
		*size = 0;
		return MHD_YES;
	}
	if (u->denied) {
		kyso_warn("reports: upload refused: bad or missing token");
		return reply(c, MHD_HTTP_UNAUTHORIZED, "{\"error\":\"bad or missing token\"}");
	}
	if (u->too_big)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"larger than %zu bytes\"}",
		             s->max_size);
	char id[64] = "";
	bool added = false;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (store_upload(s, u, id, &added, &err) != KYSO_OK) {
		kyso_warn("reports: upload rejected: %s", kyso_error_message(&err));
		return reply(c,
		             err.code == KYSO_ERR_IO ? MHD_HTTP_INTERNAL_SERVER_ERROR
		                                     : MHD_HTTP_BAD_REQUEST,
		             "{\"error\":\"not a kyso doctor report\"}");
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

int reports_serve(serve_t *s, const char *cert, const char *key, kyso_error_t *err)
{
	if (mkdir(s->store, 0700) != 0 && access(s->store, W_OK) != 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot use the store directory %s"), s->store);
		return kyso_cmd_fail(false, err);
	}
	char *cert_pem = NULL, *key_pem = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
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
		                     MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
		                     key_pem, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		                     (struct sockaddr *)&s->addr, MHD_OPTION_NOTIFY_COMPLETED,
		                     on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		                     MHD_OPTION_END);
	if (d == NULL) {
		free(cert_pem);
		free(key_pem);
		kyso_error_set(err, KYSO_ERR_IO, _("cannot listen on %s (port busy?)"), s->listen);
		return kyso_cmd_fail(false, err);
	}
	if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
		kyso_warn("reports: cannot install signal handlers");
	printf(_("Collecting reports on %s://%s/api/v1/reports (store %s)\n"),
	       cert_pem != NULL ? "https" : "http", s->listen, s->store);
	fflush(stdout);
	while (!stop_serving)
		sleep(1); /* a signal ends the sleep early */
	MHD_stop_daemon(d);
	free(cert_pem);
	if (key_pem != NULL)
		kyso_memzero(key_pem, strlen(key_pem));
	free(key_pem);
	return KYSO_EXIT_OK;
}
