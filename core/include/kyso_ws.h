/* kyso_ws: the one small TLS client of kyso for its own loopback services
 * (kyso-agent): a WebSocket session (RFC 6455) or one HTTP GET, the server's
 * certificate verified against a given CA and host name. Used by `kyso
 * setup` (does the agent it started answer?) and `kyso doctor`. */
#ifndef KYSO_WS_H
#define KYSO_WS_H

#include "kyso_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	KYSO_NET_OK = 0,
	KYSO_NET_REFUSED,     /* nothing listens there */
	KYSO_NET_UNREACHABLE, /* name unknown, timed out */
	KYSO_NET_UNTRUSTED,   /* TLS certificate not verified against the given CA */
	KYSO_NET_PROTOCOL,    /* something answered, but not as expected */
	KYSO_NET_CLOSED,      /* the peer closed the connection / gave no answer in time */
	KYSO_NET_ERROR,       /* local failure */
} kyso_net_status_t;

#define KYSO_WS_MAX_MSG 4

typedef struct {
	const char *host; /* name the certificate must have: "localhost", "127.0.0.1", "::1" */
	int port;
	const char *path;            /* "/plugin" */
	const char *origin;          /* Origin header, NULL for none */
	const char *cafile;          /* trust anchor for the server, NULL: system store */
	const char *const *messages; /* text frames to send, each answered; NULL-terminated */
	int timeout_ms;              /* connect, and each read/write */
	const char *user_agent;      /* NULL: "kyso/<version>" */
	const char *address;         /* where to connect; NULL: host */
} kyso_ws_request_t;

typedef struct {
	kyso_net_status_t status;
	int http_status;                /* of a refused upgrade */
	char *replies[KYSO_WS_MAX_MSG]; /* the answer to each message (malloc'ed) */
	char error[256];
	uint64_t ms;
} kyso_ws_result_t;

/* One WebSocket session over TLS: upgrade, then each message and its answer. */
void kyso_ws_exchange(const kyso_ws_request_t *rq, kyso_ws_result_t *r);
void kyso_ws_result_free(kyso_ws_result_t *r);

/* GET path over TLS (HTTP/1.1, Connection: close); *answer gets the whole
 * response, status line and headers included (at most max bytes, NUL
 * added). error names a failure. */
kyso_net_status_t kyso_tls_get(const kyso_ws_request_t *rq, size_t max, kyso_buf_t *answer,
                               char *error, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
