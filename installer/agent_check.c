/* Does the agent answer? Small TLS clients (OpenSSL) that trust only the
 * local CA setup installed and check the host name the browser checks:
 * GET /v1/status of the kyso API, a VNPT-CA Plugin checkPlugin frame, a
 * VGCA Sign Service frame. */
#include "kyso_config.h"
#include "setup_int.h"

#include "kyso_platform.h"
#include "kyso_process.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_TIMEOUT_S 10

typedef struct {
	kyso_sock_t fd;
	SSL_CTX *ctx;
	SSL *ssl;
} tconn_t;

static void tconn_close(tconn_t *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd != KYSO_SOCK_INVALID)
		kyso_sock_close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = KYSO_SOCK_INVALID;
}

static void ssl_msg(char *msg, size_t cap, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(msg, cap, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

/* TLS to 127.0.0.1:port; the certificate must chain to cafile and name host
 * (a DNS name, or an IP address). */
static bool tconn_open(tconn_t *c, int port, const char *host, const char *cafile, char *msg,
                       size_t cap)
{
	memset(c, 0, sizeof(*c));
	char why[256] = "";
	c->fd = kyso_tcp_connect("127.0.0.1", port, CHECK_TIMEOUT_S * 1000, why, sizeof(why));
	if (c->fd == KYSO_SOCK_INVALID) {
		snprintf(msg, cap, _("nothing listens on 127.0.0.1:%d (%s)"), port, why);
		tconn_close(c);
		return false;
	}
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL || SSL_CTX_load_verify_locations(c->ctx, cafile, NULL) != 1) {
		ssl_msg(msg, cap, _("cannot load the local CA"));
		tconn_close(c);
		return false;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL) {
		ssl_msg(msg, cap, "SSL_new");
		tconn_close(c);
		return false;
	}
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
	struct in_addr ip4;
	bool is_ip = inet_pton(AF_INET, host, &ip4) == 1;
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1
	          : (X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1 ||
	             SSL_set_tlsext_host_name(c->ssl, host) != 1)) {
		ssl_msg(msg, cap, "host name");
		tconn_close(c);
		return false;
	}
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		long vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK)
			snprintf(msg, cap,
			         _("TLS: the certificate is not trusted with the local CA (%s)"),
			         X509_verify_cert_error_string(vr));
		else
			ssl_msg(msg, cap, _("TLS handshake failed"));
		tconn_close(c);
		return false;
	}
	return true;
}

static bool send_all(tconn_t *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		int n = SSL_write(c->ssl, p, len > 65536 ? 65536 : (int)len);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads until the peer closes, cap bytes, or (with stop) a blank line. */
static size_t recv_some(tconn_t *c, char *buf, size_t cap, bool stop_at_headers)
{
	size_t n = 0;
	while (n + 1 < cap) {
		int r = SSL_read(c->ssl, buf + n, (int)(stop_at_headers ? 1 : cap - 1 - n));
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (stop_at_headers && n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	buf[n] = '\0';
	return n;
}

static bool recv_exact(tconn_t *c, unsigned char *buf, size_t len)
{
	size_t n = 0;
	while (n < len) {
		int r = SSL_read(c->ssl, buf + n, (int)(len - n));
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	return true;
}

bool check_kyso_status(int port, const char *cafile, char *version, size_t vcap, char *msg,
                       size_t cap)
{
	tconn_t c;
	if (!tconn_open(&c, port, "localhost", cafile, msg, cap))
		return false;
	char req[256];
	snprintf(req, sizeof(req),
	         "GET /v1/status HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n",
	         port);
	static char buf[65536];
	bool ok = send_all(&c, req, strlen(req));
	size_t n = ok ? recv_some(&c, buf, sizeof(buf), false) : 0;
	tconn_close(&c);
	const char *body = n > 0 ? strstr(buf, "\r\n\r\n") : NULL;
	if (!ok || n < 12 || strncmp(buf, "HTTP/1.1 200", 12) != 0 || body == NULL) {
		snprintf(msg, cap, _("GET /v1/status: unexpected answer \"%.60s\""),
		         n > 0 ? buf : "(none)");
		return false;
	}
	json_error_t je;
	json_t *doc = json_loads(body + 4, 0, &je);
	const char *svc = json_string_value(json_object_get(doc, "service"));
	ok = svc != NULL && strcmp(svc, "kyso-agent") == 0;
	const char *ver = json_string_value(json_object_get(doc, "version"));
	snprintf(version, vcap, "%s", ver != NULL ? ver : "");
	if (ok)
		snprintf(msg, cap, _("GET /v1/status answered (kyso-agent %s)"), version);
	else
		snprintf(msg, cap, "%s", _("GET /v1/status: the answer is not kyso-agent's"));
	json_decref(doc);
	return ok;
}

bool check_https_any(int port, const char *host, const char *cafile, char *msg, size_t cap)
{
	tconn_t c;
	if (!tconn_open(&c, port, host, cafile, msg, cap))
		return false;
	char req[256];
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
	         strcmp(host, "127.0.0.1") == 0 ? "127.0.0.1" : "localhost", port);
	char buf[1024];
	bool ok = send_all(&c, req, strlen(req));
	size_t n = ok ? recv_some(&c, buf, sizeof(buf), true) : 0;
	tconn_close(&c);
	ok = n > 9 && strncmp(buf, "HTTP/1.1 ", 9) == 0;
	if (ok)
		snprintf(msg, cap, "%s", _("answers over TLS with the local CA's certificate"));
	else
		snprintf(msg, cap, "%s", _("no HTTP answer over TLS"));
	return ok;
}

static void b64(const unsigned char *in, size_t len, char *out, size_t cap)
{
	if (cap < 4 * ((len + 2) / 3) + 1) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

bool check_ws(int port, const char *host, const char *path, const char *origin, const char *frame,
              const char *cafile, char *reply, size_t rcap, char *msg, size_t cap)
{
	reply[0] = '\0';
	tconn_t c;
	if (!tconn_open(&c, port, host, cafile, msg, cap))
		return false;
	unsigned char nonce[16];
	char key[32], want[64];
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		tconn_close(&c);
		snprintf(msg, cap, "RAND_bytes");
		return false;
	}
	b64(nonce, sizeof(nonce), key, sizeof(key));
	/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) */
	char cat[96];
	snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_Digest(cat, strlen(cat), md, &mdlen, EVP_sha1(), NULL) != 1)
		mdlen = 0;
	b64(md, mdlen, want, sizeof(want));
	char req[1024];
	snprintf(req, sizeof(req),
	         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n",
	         path, host, port, key, origin);
	char head[4096];
	bool ok = send_all(&c, req, strlen(req));
	size_t n = ok ? recv_some(&c, head, sizeof(head), true) : 0;
	if (n < 12 || strncmp(head, "HTTP/1.1 101", 12) != 0) {
		snprintf(msg, cap, _("WebSocket %s refused (answer \"%.40s\")"), path,
		         n > 0 ? head : _("connection closed"));
		tconn_close(&c);
		return false;
	}
	if (strcasestr(head, want) == NULL) {
		snprintf(msg, cap, _("WebSocket %s: wrong Sec-WebSocket-Accept"), path);
		tconn_close(&c);
		return false;
	}
	/* one masked text frame */
	size_t flen = strlen(frame);
	unsigned char hdr[8];
	size_t hl = 0;
	hdr[hl++] = 0x81;
	if (flen < 126) {
		hdr[hl++] = (unsigned char)(0x80 | flen);
	} else {
		hdr[hl++] = 0x80 | 126;
		hdr[hl++] = (unsigned char)(flen >> 8);
		hdr[hl++] = (unsigned char)flen;
	}
	unsigned char mask[4];
	unsigned char *payload = malloc(flen + 1);
	ok = payload != NULL && flen < 65536 && RAND_bytes(mask, 4) == 1;
	for (size_t i = 0; ok && i < flen; i++)
		payload[i] = (unsigned char)frame[i] ^ mask[i % 4];
	ok = ok && send_all(&c, hdr, hl) && send_all(&c, mask, 4) && send_all(&c, payload, flen);
	free(payload);
	/* the answer: one unmasked text frame (skip pings) */
	for (int tries = 0; ok && tries < 4; tries++) {
		unsigned char h2[2];
		if (!recv_exact(&c, h2, 2)) {
			ok = false;
			break;
		}
		uint64_t len = h2[1] & 0x7f;
		if (len == 126 || len == 127) {
			unsigned char ext[8];
			size_t el = len == 126 ? 2 : 8;
			if (!recv_exact(&c, ext, el)) {
				ok = false;
				break;
			}
			len = 0;
			for (size_t i = 0; i < el; i++)
				len = (len << 8) | ext[i];
		}
		if (len >= rcap) {
			ok = false;
			break;
		}
		if (!recv_exact(&c, (unsigned char *)reply, (size_t)len)) {
			ok = false;
			break;
		}
		reply[len] = '\0';
		if ((h2[0] & 0x0f) == 0x1)
			break;
		reply[0] = '\0';
	}
	tconn_close(&c);
	if (!ok || reply[0] == '\0') {
		snprintf(msg, cap, _("WebSocket %s: no answer to the request"), path);
		return false;
	}
	return true;
}

long pidfile_read(const char *file)
{
	char *s = file != NULL ? read_text(file) : NULL;
	long pid = s != NULL ? strtol(s, NULL, 10) : 0;
	free(s);
	return pid;
}

/* ---- does it answer? ------------------------------------------------------------------------ */

static char *first_origin(const plan_t *p)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_config_t *c = NULL;
	kyso_config_read_file(p->config_file, &c, &e);
	char *o = c != NULL && c->origins != NULL ? strdup(c->origins[0]) : NULL;
	kyso_config_free(&c);
	return o;
}

static json_t *proto_entry(const char *name, const char *url, bool enabled, const char *note)
{
	return json_pack("{s:s, s:s, s:b, s:s?}", "name", name, "url", url, "enabled", enabled,
	                 "note", note);
}

json_t *agent_check_answers(const setup_opts_t *o, const plan_t *p, bool *all_ok)
{
	(void)o;
	*all_ok = false;
	/* the trust anchor the browsers got: the system store's copy, else the agent's */
	char cafile[PATH_MAX];
	if (p->ca_system != NULL && access(p->ca_system, R_OK) == 0)
		snprintf(cafile, sizeof(cafile), "%s", p->ca_system);
	else
		snprintf(cafile, sizeof(cafile), "%s/ca.pem", p->agent_state);
	char *origin = first_origin(p);
	json_t *protocols = json_array();
	char url[128], msg[512], version[64] = "", reply[4096];
	bool ok = true, answered = false;

	/* kyso API: wait for the agent to listen (up to 30 s: a cold start under
	 * a sanitizer build is slow) */
	snprintf(url, sizeof(url), "https://localhost:%d/v1/", p->kyso_port);
	for (uint64_t end = kyso_now_ms() + 30000; !answered && kyso_now_ms() < end;) {
		answered = check_kyso_status(p->kyso_port, cafile, version, sizeof(version), msg,
		                             sizeof(msg));
		/* an agent started in the background that has exited will not answer */
		if (!answered && !p->agent_systemd &&
		    !kyso_process_alive(pidfile_read(p->agent_pidfile), "kyso-agent"))
			break;
		if (!answered)
			usleep(200 * 1000);
	}
	json_t *e = proto_entry("kyso-api", url, true, NULL);
	json_object_set_new(e, "answers", json_boolean(answered));
	json_object_set_new(e, "detail", json_string(msg));
	json_array_append_new(protocols, e);
	ok = ok && answered;

	struct {
		const char *name, *host, *path, *frame, *expect;
		int port, proto;
	} ws[] = {
	        {"vnpt-ca-plugin", "localhost", "/plugin",
	         "{\"functionID\":7,\"funcCallback\":\"kysoSetupCheck\",\"args\":[]}",
	         "1*kysoSetupCheck", p->vnpt_port, AGENT_PROTO_VNPT},
	        {"vgca-sign-service", "127.0.0.1", "/Config", "{}", NULL, p->vgca_port,
	         AGENT_PROTO_VGCA},
	};
	for (size_t i = 0; i < 2; i++) {
		snprintf(url, sizeof(url), "wss://%s:%d%s", ws[i].host, ws[i].port,
		         i == 0 ? "/plugin" : "/");
		if (plan_proto_off(p, ws[i].proto)) {
			char note[256];
			snprintf(note, sizeof(note),
			         _("port %d is the vendor's (its plugin is in use or installed): "
			           "kyso-agent leaves this protocol off"),
			         ws[i].port);
			json_array_append_new(protocols, proto_entry(ws[i].name, url, false, note));
			continue;
		}
		bool good;
		if (origin == NULL) {
			good = check_https_any(ws[i].port, ws[i].host, cafile, msg, sizeof(msg));
			if (good)
				snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "; %s",
				         _("WebSocket not checked: no web origin is allowed yet "
				           "(kyso setup --origin URL)"));
		} else {
			good = check_ws(ws[i].port, ws[i].host, ws[i].path, origin, ws[i].frame,
			                cafile, reply, sizeof(reply), msg, sizeof(msg));
			if (good && ws[i].expect != NULL && strcmp(reply, ws[i].expect) != 0) {
				good = false;
				snprintf(msg, sizeof(msg), _("unexpected answer \"%.80s\""), reply);
			} else if (good && ws[i].expect == NULL) {
				json_error_t je;
				json_t *r = json_loads(reply, 0, &je);
				good = json_is_integer(json_object_get(r, "Status"));
				json_decref(r);
				if (!good)
					snprintf(msg, sizeof(msg), _("unexpected answer \"%.80s\""),
					         reply);
			}
			if (good)
				snprintf(msg, sizeof(msg), _("answers over wss (origin %s)"),
				         origin);
		}
		e = proto_entry(ws[i].name, url, true, NULL);
		json_object_set_new(e, "answers", json_boolean(good));
		json_object_set_new(e, "detail", json_string(msg));
		json_array_append_new(protocols, e);
		ok = ok && good;
	}
	*all_ok = ok;
	json_t *r =
	        json_pack("{s:s, s:s, s:s, s:b, s:s?, s:s, s:o}", "unit", p->unit_file, "program",
	                  p->agent_path, "started_by", p->agent_systemd ? "systemd" : "process",
	                  "answers", ok, "version", version[0] ? version : NULL, "trust_anchor",
	                  cafile, "protocols", protocols);
	if (!p->agent_systemd) {
		long pid = pidfile_read(p->agent_pidfile);
		if (pid > 0)
			json_object_set_new(r, "pid", json_integer(pid));
		json_object_set_new(r, "pidfile", json_string(p->agent_pidfile));
		json_object_set_new(r, "log", json_string(p->agent_log));
	}
	if (!ok)
		json_object_set_new(
		        r, "remedy",
		        json_string(
		                p->agent_systemd
		                        ? _("See `systemctl --user status kyso-agent` and "
		                            "`journalctl --user -u kyso-agent`; fix what it says "
		                            "(a port in use, a missing library), then run "
		                            "`kyso setup --repair`.")
		                        : _("See the agent's log (\"log\" above); fix what it "
		                            "says (a port in use, a missing library), then run "
		                            "`kyso setup --repair`.")));
	free(origin);
	return r;
}
