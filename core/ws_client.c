/* The TLS client of kyso_ws.h: connect to a loopback listener, verify its
 * certificate against a given CA, then a WebSocket upgrade with an Origin
 * and text frames each answered, or one HTTP GET. Blocking sockets with
 * send/receive timeouts (kyso_tcp_connect): one exchange, then close. */
#include "kyso_ws.h"
#include "kyso_platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_HEADER 8192
#define WS_MAX_REPLY  ((size_t)256 * 1024)

typedef struct {
	kyso_sock_t fd;
	SSL_CTX *ctx;
	SSL *ssl;
	uint8_t pending[WS_MAX_HEADER]; /* bytes read past the HTTP header */
	size_t npending, pos;
} ws_conn_t;

/* error text = what + arg */
static void fail(kyso_ws_result_t *r, kyso_net_status_t st, const char *what, const char *arg)
{
	r->status = st;
	snprintf(r->error, sizeof(r->error), "%s%s", what, arg != NULL ? arg : "");
}

static bool is_ip(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* TLS handshake; the peer must chain to cafile (or the system store when
 * cafile is NULL) and name host. */
static bool tls_start(ws_conn_t *c, const char *host, const char *cafile, kyso_ws_result_t *r)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL) {
		fail(r, KYSO_NET_ERROR, "", "SSL_CTX_new failed");
		return false;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	int ok = cafile != NULL ? SSL_CTX_load_verify_locations(c->ctx, cafile, NULL)
	                        : SSL_CTX_set_default_verify_paths(c->ctx);
	if (ok != 1) {
		fail(r, KYSO_NET_UNTRUSTED, "cannot read the CA certificate ", cafile);
		return false;
	}
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		fail(r, KYSO_NET_ERROR, "", "SSL_new failed");
		return false;
	}
	static const unsigned char alpn[] = "\x08http/1.1";
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
	bool ip = is_ip(host);
	if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(c->ssl, host)) != 1 ||
	    (!ip && SSL_set_tlsext_host_name(c->ssl, host) != 1) ||
	    SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn) - 1) != 0) {
		fail(r, KYSO_NET_ERROR, "", "cannot set the TLS parameters");
		return false;
	}
	if (SSL_connect(c->ssl) == 1)
		return true;
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		fail(r, KYSO_NET_UNTRUSTED, "", X509_verify_cert_error_string(v));
		return false;
	}
	char e[160];
	unsigned long code = ERR_get_error();
	ERR_error_string_n(code, e, sizeof(e));
	fail(r, KYSO_NET_PROTOCOL, "TLS handshake failed: ", code != 0 ? e : "connection closed");
	ERR_clear_error();
	return false;
}

static bool tls_write(ws_conn_t *c, const void *data, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t n = 0;
		if (SSL_write_ex(c->ssl, (const uint8_t *)data + done, len - done, &n) != 1)
			return false;
		done += n;
	}
	return true;
}

/* Reads exactly len bytes (first from what the header read left over). */
static bool tls_read(ws_conn_t *c, void *out, size_t len)
{
	uint8_t *o = out;
	while (len > 0 && c->pos < c->npending) {
		*o++ = c->pending[c->pos++];
		len--;
	}
	while (len > 0) {
		size_t n = 0;
		if (SSL_read_ex(c->ssl, o, len, &n) != 1)
			return false;
		o += n;
		len -= n;
	}
	return true;
}

static void b64(const uint8_t *in, size_t len, char *out, size_t cap)
{
	if (cap < 4 * ((len + 2) / 3) + 1) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Header value of name in the HTTP header block, copied into out. */
static bool header_value(const char *hdrs, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(hdrs, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
			continue;
		const char *v = line + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strcspn(v, "\r\n");
		snprintf(out, cap, "%.*s", (int)vl, v);
		return true;
	}
	return false;
}

static bool ws_upgrade(ws_conn_t *c, const kyso_ws_request_t *rq, kyso_ws_result_t *r)
{
	uint8_t nonce[16];
	char key[32], req[1024];
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		fail(r, KYSO_NET_ERROR, "", "no random bytes");
		return false;
	}
	b64(nonce, sizeof(nonce), key, sizeof(key));
	bool ip6 = strchr(rq->host, ':') != NULL;
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	                 "Sec-WebSocket-Version: 13\r\n%s%s%sUser-Agent: %s\r\n\r\n",
	                 rq->path, ip6 ? "[" : "", rq->host, ip6 ? "]" : "", rq->port, key,
	                 rq->origin != NULL ? "Origin: " : "", rq->origin != NULL ? rq->origin : "",
	                 rq->origin != NULL ? "\r\n" : "",
	                 rq->user_agent != NULL ? rq->user_agent : "kyso/" KYSO_VERSION);
	if (n < 0 || (size_t)n >= sizeof(req) || !tls_write(c, req, (size_t)n)) {
		fail(r, KYSO_NET_PROTOCOL, "", "cannot send the WebSocket upgrade");
		return false;
	}
	/* the header, up to the empty line; what follows is kept for the frames */
	char hdr[WS_MAX_HEADER + 1];
	size_t have = 0;
	char *end = NULL;
	while (end == NULL && have < WS_MAX_HEADER) {
		size_t got = 0;
		if (SSL_read_ex(c->ssl, hdr + have, WS_MAX_HEADER - have, &got) != 1)
			break;
		have += got;
		hdr[have] = '\0';
		end = strstr(hdr, "\r\n\r\n");
	}
	if (end == NULL) {
		fail(r, KYSO_NET_CLOSED, "",
		     have == 0 ? "the connection was closed at the WebSocket upgrade"
		               : "no complete HTTP answer to the WebSocket upgrade");
		return false;
	}
	size_t hlen = (size_t)(end - hdr) + 4;
	memcpy(c->pending, hdr + hlen, have - hlen);
	c->npending = have - hlen;
	end[2] = '\0';
	int code = 0;
	if (sscanf(hdr, "HTTP/1.%*d %d", &code) != 1 || code != 101) {
		r->http_status = code;
		char line[128];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(hdr, "\r\n"), hdr);
		fail(r, KYSO_NET_PROTOCOL, "upgrade refused: ", line);
		return false;
	}
	/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) */
	char both[96], want[64], got[128];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	snprintf(both, sizeof(both), "%s%s", key, WS_GUID);
	if (EVP_Digest(both, strlen(both), md, &mdlen, EVP_sha1(), NULL) != 1) {
		fail(r, KYSO_NET_ERROR, "", "SHA-1 failed");
		return false;
	}
	b64(md, mdlen, want, sizeof(want));
	if (!header_value(hdr, "Sec-WebSocket-Accept", got, sizeof(got)) ||
	    strcmp(got, want) != 0) {
		fail(r, KYSO_NET_PROTOCOL, "", "wrong Sec-WebSocket-Accept in the upgrade answer");
		return false;
	}
	return true;
}

/* One client frame (masked, FIN set). */
static bool ws_send(ws_conn_t *c, int opcode, const char *data, size_t len)
{
	uint8_t h[14], mask[4];
	size_t hn = 0;
	h[hn++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		h[hn++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xFFFF) {
		h[hn++] = 0x80 | 126;
		h[hn++] = (uint8_t)(len >> 8);
		h[hn++] = (uint8_t)len;
	} else {
		h[hn++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			h[hn++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (RAND_bytes(mask, sizeof(mask)) != 1)
		return false;
	memcpy(h + hn, mask, 4);
	hn += 4;
	uint8_t *body = malloc(len > 0 ? len : 1);
	if (body == NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		body[i] = (uint8_t)data[i] ^ mask[i % 4];
	bool ok = tls_write(c, h, hn) && tls_write(c, body, len);
	free(body);
	return ok;
}

/* Reads frames until a whole text message; answers pings, stops at close. */
static bool ws_receive(ws_conn_t *c, kyso_ws_result_t *r, size_t idx)
{
	kyso_buf_t msg;
	kyso_buf_init(&msg);
	for (;;) {
		uint8_t h[2];
		if (!tls_read(c, h, 2)) {
			fail(r, KYSO_NET_CLOSED, "", "no answer (connection closed or timed out)");
			break;
		}
		int op = h[0] & 0x0F;
		bool fin = (h[0] & 0x80) != 0;
		uint64_t len = h[1] & 0x7F;
		uint8_t ext[8], mask[4] = {0, 0, 0, 0};
		if (len == 126 || len == 127) {
			size_t k = len == 126 ? 2 : 8;
			if (!tls_read(c, ext, k)) {
				fail(r, KYSO_NET_CLOSED, "", "frame cut off");
				break;
			}
			len = 0;
			for (size_t i = 0; i < k; i++)
				len = len << 8 | ext[i];
		}
		if ((h[1] & 0x80) != 0 && !tls_read(c, mask, 4)) {
			fail(r, KYSO_NET_CLOSED, "", "frame cut off");
			break;
		}
		if (len > WS_MAX_REPLY || msg.len + len > WS_MAX_REPLY) {
			fail(r, KYSO_NET_PROTOCOL, "", "answer too large");
			break;
		}
		uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
		if (data == NULL || !tls_read(c, data, (size_t)len)) {
			free(data);
			fail(r, KYSO_NET_CLOSED, "", "frame cut off");
			break;
		}
		for (size_t i = 0; i < len; i++)
			data[i] ^= mask[i % 4];
		if (op == 0x8) {
			free(data);
			fail(r, KYSO_NET_CLOSED, "",
			     "the server closed the WebSocket without an answer");
			break;
		}
		if (op == 0x9) { /* ping */
			bool ok = ws_send(c, 0xA, (const char *)data, (size_t)len);
			free(data);
			if (!ok) {
				fail(r, KYSO_NET_CLOSED, "", "cannot answer a ping");
				break;
			}
			continue;
		}
		bool ok = op == 0xA || kyso_buf_append(&msg, data, (size_t)len) == KYSO_OK;
		free(data);
		if (!ok) {
			fail(r, KYSO_NET_ERROR, "", "out of memory");
			break;
		}
		if (op != 0xA && fin) {
			if (kyso_buf_append(&msg, "", 1) != KYSO_OK) {
				fail(r, KYSO_NET_ERROR, "", "out of memory");
				break;
			}
			r->replies[idx] = (char *)msg.data;
			return true;
		}
	}
	kyso_buf_free(&msg);
	return false;
}

/* Connects and does the TLS handshake; SIGPIPE ignored meanwhile (a peer
 * that closes early must not kill kyso), put back by conn_end. */
static bool conn_begin(ws_conn_t *c, const kyso_ws_request_t *rq, kyso_ws_result_t *r,
                       struct sigaction *old, bool *restore)
{
	memset(c, 0, sizeof(*c));
	char msg[256];
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	*restore = sigaction(SIGPIPE, &ign, old) == 0;
	const char *addr = rq->address != NULL ? rq->address : rq->host;
	c->fd = kyso_tcp_connect(addr, rq->port, rq->timeout_ms, msg, sizeof(msg));
	if (c->fd == KYSO_SOCK_INVALID) {
		fail(r, errno == ECONNREFUSED ? KYSO_NET_REFUSED : KYSO_NET_UNREACHABLE, "", msg);
		return false;
	}
	return tls_start(c, rq->host, rq->cafile, r);
}

static void conn_end(ws_conn_t *c, bool clean, const struct sigaction *old, bool restore)
{
	if (c->ssl != NULL && clean && SSL_shutdown(c->ssl) < 0)
		ERR_clear_error();
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd != KYSO_SOCK_INVALID)
		kyso_sock_close(c->fd);
	if (restore && sigaction(SIGPIPE, old, NULL) != 0)
		kyso_debug("SIGPIPE handler not restored");
}

void kyso_ws_exchange(const kyso_ws_request_t *rq, kyso_ws_result_t *r)
{
	memset(r, 0, sizeof(*r));
	ws_conn_t c;
	struct sigaction old;
	bool restore = false;
	uint64_t t0 = kyso_now_ms();
	if (conn_begin(&c, rq, r, &old, &restore) && ws_upgrade(&c, rq, r)) {
		size_t i = 0;
		while (i < KYSO_WS_MAX_MSG && rq->messages[i] != NULL) {
			if (!ws_send(&c, 0x1, rq->messages[i], strlen(rq->messages[i]))) {
				fail(r, KYSO_NET_CLOSED, "", "cannot send the request frame");
				break;
			}
			if (!ws_receive(&c, r, i))
				break;
			i++;
		}
		if (i > 0 && (i == KYSO_WS_MAX_MSG || rq->messages[i] == NULL)) {
			r->status = KYSO_NET_OK;
			if (!ws_send(&c, 0x8, "\x03\xe8", 2)) /* close 1000 */
				kyso_debug("WebSocket close frame not sent");
		}
	}
	r->ms = kyso_now_ms() - t0;
	conn_end(&c, r->status == KYSO_NET_OK, &old, restore);
}

kyso_net_status_t kyso_tls_get(const kyso_ws_request_t *rq, size_t max, kyso_buf_t *answer,
                               char *error, size_t cap)
{
	kyso_ws_result_t r;
	memset(&r, 0, sizeof(r));
	ws_conn_t c;
	struct sigaction old;
	bool restore = false;
	if (conn_begin(&c, rq, &r, &old, &restore)) {
		char req[1024];
		bool ip6 = strchr(rq->host, ':') != NULL;
		int n = snprintf(req, sizeof(req),
		                 "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: %s\r\n"
		                 "Connection: close\r\n\r\n",
		                 rq->path, ip6 ? "[" : "", rq->host, ip6 ? "]" : "", rq->port,
		                 rq->user_agent != NULL ? rq->user_agent : "kyso/" KYSO_VERSION);
		if (n < 0 || (size_t)n >= sizeof(req) || !tls_write(&c, req, (size_t)n)) {
			fail(&r, KYSO_NET_PROTOCOL, "", "cannot send the request");
		} else {
			uint8_t buf[16384];
			size_t got = 0;
			while (answer->len < max && SSL_read_ex(c.ssl, buf, sizeof(buf), &got) == 1)
				if (kyso_buf_append(answer, buf,
				                    got < max - answer->len
				                            ? got
				                            : max - answer->len) != KYSO_OK)
					break;
			ERR_clear_error();
			kyso_buf_append(answer, "", 1);
			answer->len--;
			if (answer->len == 0)
				fail(&r, KYSO_NET_CLOSED, "",
				     "no answer (connection closed or timed out)");
			else
				r.status = KYSO_NET_OK;
		}
	}
	conn_end(&c, r.status == KYSO_NET_OK, &old, restore);
	snprintf(error, cap, "%s", r.error);
	return r.status;
}

void kyso_ws_result_free(kyso_ws_result_t *r)
{
	for (size_t i = 0; i < KYSO_WS_MAX_MSG; i++) {
		free(r->replies[i]);
		r->replies[i] = NULL;
	}
}
