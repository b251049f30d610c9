/* libFuzzer target: the doctor's and setup's WebSocket/HTTP client
 * (core/ws_client.c: kyso_ws_exchange, kyso_tls_get) reading what a server
 * sends. A TLS server on a loopback port (its certificate made at start,
 * trusted by the client as its CA) reads the client's request and answers
 * with the fuzz input: the HTTP upgrade answer and the frames after it, each
 * "@ACCEPT@" replaced by the right Sec-WebSocket-Accept for the client's key
 * (a fuzzer cannot guess a SHA-1), then a TLS close.
 *
 * Input: one mode byte (bit 0: one HTTP GET instead of a WebSocket session;
 * bit 1: two messages instead of one), then the server's bytes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kyso_ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static SSL_CTX *server_ctx;
static int listen_fd = -1;
static int port;
static char ca_path[64];

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static const uint8_t *answer;
static size_t answer_len;
static int served; /* connections finished by the server */

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ws_client: %s\n", what);
	abort();
}

/* A self-signed P-256 certificate for "localhost" (also the client's CA). */
static void make_identity(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (key == NULL || x == NULL)
		die("no key");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	static const char *const exts[][2] = {{"basicConstraints", "critical,CA:TRUE"},
	                                      {"subjectAltName", "DNS:localhost,IP:127.0.0.1"}};
	for (size_t i = 0; i < 2; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
		if (e == NULL || X509_add_ext(x, e, -1) != 1)
			die("no extension");
		X509_EXTENSION_free(e);
	}
	if (X509_sign(x, key, EVP_sha256()) == 0)
		die("cannot sign");
	int fd = memfd_create("ws-ca.pem", 0);
	FILE *f = fd >= 0 ? fdopen(dup(fd), "w") : NULL;
	if (f == NULL || PEM_write_X509(f, x) != 1 || fclose(f) != 0)
		die("cannot write the CA");
	snprintf(ca_path, sizeof(ca_path), "/proc/self/fd/%d", fd);
	server_ctx = SSL_CTX_new(TLS_server_method());
	if (server_ctx == NULL || SSL_CTX_use_certificate(server_ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(server_ctx, key) != 1)
		die("no server context");
	X509_free(x);
	EVP_PKEY_free(key);
}

static void b64(const uint8_t *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Sec-WebSocket-Accept for the key in the client's request (empty if none). */
static void accept_value(const char *req, char *out, size_t cap)
{
	out[0] = '\0';
	const char *k = strstr(req, "Sec-WebSocket-Key: ");
	if (k == NULL)
		return;
	k += strlen("Sec-WebSocket-Key: ");
	size_t kl = strcspn(k, "\r\n");
	char both[128];
	if (kl > 64 || cap < 32)
		return;
	snprintf(both, sizeof(both), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)kl, k);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdl = 0;
	if (EVP_Digest(both, strlen(both), md, &mdl, EVP_sha1(), NULL) == 1)
		b64(md, mdl, out);
}

static void serve(int fd)
{
	SSL *ssl = SSL_new(server_ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
		/* a client that gave up (its timeout) before this connection was
		 * taken: nothing to fuzz here (the campaign first aborted on it) */
		SSL_free(ssl);
		close(fd);
		return;
	}
	char req[8193];
	size_t have = 0;
	while (have < sizeof(req) - 1) {
		size_t got = 0;
		if (SSL_read_ex(ssl, req + have, sizeof(req) - 1 - have, &got) != 1)
			break;
		have += got;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[have] = '\0';
	char acc[64];
	accept_value(req, acc, sizeof(acc));
	pthread_mutex_lock(&mu);
	const uint8_t *p = answer;
	size_t left = answer_len;
	pthread_mutex_unlock(&mu);
	/* the answer, with @ACCEPT@ replaced */
	uint8_t *buf = malloc(left * 4 + 64);
	size_t n = 0;
	for (size_t i = 0; i < left;) {
		if (left - i >= 8 && memcmp(p + i, "@ACCEPT@", 8) == 0) {
			memcpy(buf + n, acc, strlen(acc));
			n += strlen(acc);
			i += 8;
		} else {
			buf[n++] = p[i++];
		}
	}
	size_t done = 0;
	while (done < n) {
		size_t w = 0;
		if (SSL_write_ex(ssl, buf + done, n - done, &w) != 1)
			break;
		done += w;
	}
	free(buf);
	/* close our side (the client sees the end), then wait for the client's */
	SSL_shutdown(ssl);
	shutdown(fd, SHUT_WR);
	char sink[4096];
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	SSL_free(ssl);
	close(fd);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = {5, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		serve(fd);
		pthread_mutex_lock(&mu);
		served++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kyso_log_set_level(KYSO_LOG_ERROR);
	/* the server side writes to clients that may have closed already: a
	 * broken pipe is an answer, not a reason to die (the client itself
	 * ignores SIGPIPE only while it talks) */
	signal(SIGPIPE, SIG_IGN);
	make_identity();
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(listen_fd, 4) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0)
		die("cannot listen on loopback");
	port = ntohs(a.sin_port);
	pthread_t t;
	if (pthread_create(&t, NULL, server_main, NULL) != 0)
		die("no server thread");
	pthread_detach(t);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	pthread_mutex_lock(&mu);
	answer = data + 1;
	answer_len = size - 1;
	int before = served;
	pthread_mutex_unlock(&mu);
	static const char *const one[] = {"{\"method\":\"version\"}", NULL};
	static const char *const two[] = {"{\"method\":\"version\"}", "{\"method\":\"certs\"}",
	                                  NULL};
	kyso_ws_request_t rq = {.host = "localhost",
	                        .address = "127.0.0.1",
	                        .port = port,
	                        .path = "/plugin",
	                        .origin = "https://fuzz.example",
	                        .cafile = ca_path,
	                        .messages = (data[0] & 2) ? two : one,
	                        .timeout_ms = 3000};
	if (data[0] & 1) {
		kyso_buf_t ans;
		kyso_buf_init(&ans);
		char error[256];
		kyso_net_status_t st = kyso_tls_get(&rq, 4096, &ans, error, sizeof(error));
		if (ans.len > 4096 || (st == KYSO_NET_OK && ans.len == 0))
			abort();
		kyso_buf_free(&ans);
	} else {
		kyso_ws_result_t r;
		kyso_ws_exchange(&rq, &r);
		if (getenv("FUZZ_WS_DEBUG"))
			fprintf(stderr, "status %d http %d: %s\n", r.status, r.http_status,
			        r.error);
		if (r.status == KYSO_NET_OK)
			for (size_t i = 0; rq.messages[i] != NULL; i++)
				if (r.replies[i] == NULL)
					abort(); /* OK means every message was answered */
		kyso_ws_result_free(&r);
	}
	pthread_mutex_lock(&mu);
	while (served == before)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return 0;
}
