/* Internal: small libcurl helpers of the doctor and `kyso reports`. */
#ifndef KYSO_NET_INT_H
#define KYSO_NET_INT_H
#include "kyso_core.h"

/* GET url into body (at most max bytes). 0 when an HTTP answer came back
 * (*code set), -1 with msg otherwise. */
int net_get(const char *url, int timeout_ms, size_t max, kyso_buf_t *body, long *code, char *msg,
            size_t msg_cap);
typedef enum {
	NET_OK = 0,
	NET_REFUSED,     /* nothing listens there */
	NET_UNREACHABLE, /* name unknown, timed out */
	NET_UNTRUSTED,   /* TLS certificate not verified against the given CA */
	NET_PROTOCOL,    /* something answered, but not as expected */
	NET_CLOSED,      /* the peer closed the connection / gave no answer in time */
	NET_ERROR,       /* local failure */
} net_status_t;

/* GET url over HTTPS verified against cafile (NULL: system store). Fills
 * *code and body on an HTTP answer; returns the status. */
net_status_t net_get_verified(const char *url, const char *cafile, int timeout_ms, size_t max,
                              kyso_buf_t *body, long *code, char *msg, size_t msg_cap);

#define NET_WS_MAX_MSG 4

typedef struct {
	const char *host; /* "localhost", "127.0.0.1", "::1" */
	int port;
	const char *path;            /* "/plugin" */
	const char *origin;          /* Origin header, NULL for none */
	const char *cafile;          /* trust anchor for the server, NULL: system store */
	const char *const *messages; /* text frames to send, each answered; NULL-terminated */
	int timeout_ms;              /* connect, and each read/write */
} net_ws_request_t;

typedef struct {
	net_status_t status;
	int http_status;               /* of a refused upgrade */
	char *replies[NET_WS_MAX_MSG]; /* the answer to each message (malloc'ed) */
	char error[256];
	uint64_t ms;
} net_ws_result_t;

/* One WebSocket session over TLS: upgrade, then each message and its answer. */
void net_ws_exchange(const net_ws_request_t *rq, net_ws_result_t *r);
void net_ws_result_free(net_ws_result_t *r);

/* Is this URL's host a loopback address (127.0.0.0/8, ::1, localhost)? */
bool net_url_is_loopback(const char *url);
#endif
