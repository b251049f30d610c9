/* The network side: libwebsockets (with OpenSSL) serves TLS on loopback
 * (127.0.0.1 and ::1) for each protocol's ports. One callback handles HTTP
 * (kyso API) and WebSocket frames (all three protocols); the access checks
 * (Host, Origin) run on every HTTP request and WebSocket upgrade. Token work is
 * handed to the worker; its replies come back through lws_cancel_service(). */
#include "agent_outbox.h"
#include "agent.h"
#include "kyso_platform.h"

#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK    65536
#define SWEEP_MS 250

/* An answer being sent: text, or text with a file's base64 inside
 * (ag_reply_t.file_b64), encoded chunk by chunk. */
typedef struct out_msg {
	struct out_msg *next;
	char *data;
	size_t len, off; /* text */
	size_t b64_at;   /* the file's base64 goes here */
	FILE *f;
	char *path; /* removed once sent */
	uint64_t flen, fdone;
	bool started;
} out_msg_t;

struct conn;

/* Every accepted connection, from accept to close (its lws opaque user data):
 * the caps, the idle timeouts and the message deadline work on these. */
typedef struct track {
	struct track *next, *prev;
	struct lws *wsi;
	struct conn *c;       /* once lws gave it user space (HTTP, WebSocket) */
	uint64_t since_ms;    /* accepted, or idle since */
	uint64_t deadline_ms; /* the message being received must be complete by then */
	uint64_t killed_ms;   /* close asked */
	unsigned pending;     /* requests at the worker */
	bool requested;       /* a request came (HTTP) or the WebSocket is open */
	bool http_busy;       /* an HTTP request is being read or answered */
	bool ws;
} track_t;

typedef struct conn {
	struct conn *next, *prev;
	uint64_t id;
	struct lws *wsi;
	char origin[256];
	char path[128];
	/* WebSocket */
	ag_rx_t rx;
	out_msg_t *out_head, *out_tail;
	/* HTTP */
	ag_request_t *rq;
	FILE *body_f;
	kyso_buf_t body_mem;
	uint64_t body_len, body_max;
	ag_reply_t *resp;
	FILE *resp_f;
	uint64_t resp_off;
	/* flags (last: no padding holes) */
	bool listed, ws;
	bool close_after_send;                    /* WebSocket */
	bool headers_sent, close_after, want_pna; /* HTTP */
} conn_t;

static struct {
	ag_config_t *cfg;
	ag_worker_t *worker;
	struct lws_context *ctx;
	conn_t *conns;
	track_t *tracks;
	size_t ntracks;
	lws_sorted_usec_list_t sweep;
	uint64_t next_id;
	volatile sig_atomic_t stop;
	char cert[4096], key[4096];
} S;

static const ag_proto_t kind_kyso = AG_PROTO_KYSO, kind_vnpt = AG_PROTO_VNPT,
                        kind_vgca = AG_PROTO_VGCA;

static ag_proto_t conn_kind(struct lws *wsi)
{
	const struct lws_protocols *p = lws_get_protocol(wsi);
	return p != NULL && p->user != NULL ? *(const ag_proto_t *)p->user : AG_PROTO_KYSO;
}

static const char *kind_name(ag_proto_t k)
{
	return k == AG_PROTO_VNPT ? "vnpt" : k == AG_PROTO_VGCA ? "vgca" : "kyso";
}

static void conn_register(conn_t *c, struct lws *wsi)
{
	if (c->listed)
		return;
	c->id = ++S.next_id;
	c->wsi = wsi;
	c->next = S.conns;
	c->prev = NULL;
	if (S.conns != NULL)
		S.conns->prev = c;
	S.conns = c;
	c->listed = true;
}

static void http_reset(conn_t *c)
{
	ag_request_free(&c->rq);
	if (c->body_f != NULL) {
		fclose(c->body_f);
		c->body_f = NULL;
	}
	kyso_buf_free(&c->body_mem);
	c->body_len = c->body_max = 0;
	ag_reply_free(&c->resp);
	if (c->resp_f != NULL) {
		fclose(c->resp_f);
		c->resp_f = NULL;
	}
	c->resp_off = 0;
	c->headers_sent = c->close_after = c->want_pna = false;
}

static void out_free(out_msg_t *m)
{
	if (m->f != NULL)
		fclose(m->f);
	if (m->path != NULL) {
		remove(m->path);
		free(m->path);
	}
	free(m->data);
	free(m);
}

/* ---- connection tracking -------------------------------------------------------- */

static track_t *track_of(struct lws *wsi)
{
	return wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;
}

static bool track_idle(const track_t *t)
{
	return t->deadline_ms == 0 && t->pending == 0 && !t->http_busy &&
	       (t->c == NULL || t->c->out_head == NULL);
}

static void track_kill(track_t *t, const char *why)
{
	if (t->killed_ms != 0)
		return;
	kyso_debug("agent: closing a connection (%s)", why);
	t->killed_ms = kyso_now_ms();
	lws_set_timeout(t->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static size_t origin_count(const char *origin)
{
	size_t n = 0;
	for (track_t *t = S.tracks; t != NULL; t = t->next)
		if (t->killed_ms == 0 && t->c != NULL && strcmp(t->c->origin, origin) == 0)
			n++;
	return n;
}

/* A new connection: within the cap, or the longest idle one makes room.
 * false = refused (every connection is busy). */
static bool track_accept(struct lws *wsi)
{
	size_t live = 0;
	track_t *victim = NULL;
	for (track_t *t = S.tracks; t != NULL; t = t->next) {
		if (t->killed_ms != 0)
			continue;
		live++;
		/* oldest idle first; one that never sent a request before any other */
		if (track_idle(t) &&
		    (victim == NULL || (!t->requested && victim->requested) ||
		     (t->requested == victim->requested && t->since_ms < victim->since_ms)))
			victim = t;
	}
	if (live >= S.cfg->max_conns) {
		if (victim == NULL) {
			kyso_warn("agent: %zu connections open, all busy: a new one is refused",
			          live);
			return false;
		}
		track_kill(victim, "connection limit: the longest idle one makes room");
	}
	track_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return false;
	t->wsi = wsi;
	t->since_ms = kyso_now_ms();
	t->next = S.tracks;
	if (S.tracks != NULL)
		S.tracks->prev = t;
	S.tracks = t;
	S.ntracks++;
	lws_set_opaque_user_data(wsi, t);
	return true;
}

/* lws frees c (the user space) after this */
static void track_forget(struct lws *wsi, const conn_t *c)
{
	track_t *t = track_of(wsi);
	if (t != NULL && t->c == c)
		t->c = NULL;
}

static void track_drop(struct lws *wsi)
{
	track_t *t = track_of(wsi);
	if (t == NULL)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		S.tracks = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	S.ntracks--;
	free(t);
}

static char *work_path(void);

/* true when the message being received is late (the sweep closes it) */
static bool past_deadline(track_t *t)
{
	uint64_t now = kyso_now_ms();
	if (t->deadline_ms == 0) {
		t->deadline_ms = now + (uint64_t)S.cfg->msg_secs * 1000u;
		return false;
	}
	return now > t->deadline_ms;
}

static void track_activity(track_t *t)
{
	if (t != NULL)
		t->since_ms = kyso_now_ms();
}

/* every SWEEP_MS: deadlines and idle timeouts */
static void sweep(lws_sorted_usec_list_t *sul)
{
	uint64_t now = kyso_now_ms();
	for (track_t *t = S.tracks; t != NULL; t = t->next) {
		if (t->killed_ms != 0) {
			if (now - t->killed_ms > 2000) { /* lws re-armed a timer over ours */
				t->killed_ms = 0;
				track_kill(t, "again");
			}
			continue;
		}
		if (t->deadline_ms != 0 && now > t->deadline_ms) {
			kyso_warn("agent: a request did not arrive in full within %u s: connection "
			          "closed",
			          S.cfg->msg_secs);
			track_kill(t, "message deadline");
		} else if (track_idle(t) && !t->requested &&
		           now - t->since_ms > (uint64_t)S.cfg->timeout_secs * 1000u) {
			track_kill(t, "no request");
		} else if (track_idle(t) && t->ws &&
		           now - t->since_ms > (uint64_t)S.cfg->idle_secs * 1000u) {
			track_kill(t, "idle WebSocket");
		}
	}
	lws_sul_schedule(S.ctx, 0, sul, sweep, (lws_usec_t)SWEEP_MS * 1000);
}

static void conn_release(conn_t *c)
{
	if (c->listed) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			S.conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		c->listed = false;
	}
	ag_rx_free(&c->rx);
	while (c->out_head != NULL) {
		out_msg_t *m = c->out_head;
		c->out_head = m->next;
		out_free(m);
	}
	c->out_tail = NULL;
	http_reset(c);
}

static conn_t *conn_find(uint64_t id)
{
	for (conn_t *c = S.conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void hdr(struct lws *wsi, enum lws_token_indexes t, char *buf, int cap)
{
	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, t) >= cap || lws_hdr_copy(wsi, buf, cap, t) < 0)
		buf[0] = '\0';
}

static bool has_hdr(struct lws *wsi, enum lws_token_indexes t)
{
	return lws_hdr_total_length(wsi, t) > 0;
}

/* ---- WebSocket sending ---------------------------------------------------------- */

static void ws_queue_msg(conn_t *c, out_msg_t *m)
{
	if (c->out_tail != NULL)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	lws_callback_on_writable(c->wsi);
}

/* queues r's body (and its file's base64); frees r */
static void ws_queue_reply(conn_t *c, ag_reply_t *r)
{
	out_msg_t *m = calloc(1, sizeof(*m));
	if (m != NULL && r->file_b64 && r->file != NULL) {
		struct stat st;
		m->f = fopen(r->file, "rb");
		if (m->f == NULL || fstat(fileno(m->f), &st) != 0) {
			kyso_warn("agent: cannot read the signed file %s", r->file);
			out_free(m);
			m = NULL;
		} else {
			m->path = r->file;
			r->file = NULL;
			m->flen = (uint64_t)st.st_size;
			m->b64_at = r->b64_at;
		}
	}
	if (m == NULL) {
		ag_reply_free(&r);
		return;
	}
	m->data = r->body;
	m->len = r->len;
	r->body = NULL;
	ag_reply_free(&r);
	ws_queue_msg(c, m);
}

/* the next piece of m, at most cap bytes; *end: it is the last */
static bool out_fill(out_msg_t *m, unsigned char *buf, size_t cap, size_t *got, bool *end)
{
	static uint8_t raw[CHUNK / 4 * 3];
	size_t n = 0;
	while (n < cap) {
		bool file_left = m->f != NULL && m->fdone < m->flen;
		size_t lim = file_left ? m->b64_at : m->len;
		if (m->off < lim) {
			size_t k = lim - m->off < cap - n ? lim - m->off : cap - n;
			memcpy(buf + n, m->data + m->off, k);
			m->off += k;
			n += k;
			continue;
		}
		if (!file_left)
			break;
		size_t room = (cap - n) / 4 * 3;
		if (room == 0)
			break;
		uint64_t left = m->flen - m->fdone;
		size_t k = left < room ? (size_t)left : room;
		if (fread(raw, 1, k, m->f) != k)
			return false;
		n += ag_b64_encode_to(raw, k, (char *)buf + n);
		m->fdone += k;
	}
	*got = n;
	*end = m->off >= m->len && (m->f == NULL || m->fdone >= m->flen);
	return true;
}

static int ws_writeable(conn_t *c)
{
	static unsigned char buf[LWS_PRE + CHUNK];
	out_msg_t *m = c->out_head;
	if (m == NULL)
		return c->close_after_send ? -1 : 0;
	size_t n = 0;
	bool end = false;
	if (!out_fill(m, buf + LWS_PRE, CHUNK, &n, &end))
		return -1;
	bool start = !m->started;
	m->started = true;
	int flags = lws_write_ws_flags(LWS_WRITE_TEXT, start, end);
	if (lws_write(c->wsi, buf + LWS_PRE, n, (enum lws_write_protocol)flags) < (int)n)
		return -1;
	if (end) {
		c->out_head = m->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		out_free(m);
		track_activity(track_of(c->wsi));
	}
	if (c->out_head != NULL || c->close_after_send)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static bool immediate(const ag_request_t *rq)
{
	return rq->op == AG_OP_NONE || rq->op == AG_OP_STATUS || rq->op == AG_OP_VERSION ||
	       rq->op == AG_OP_LICENSE || rq->op == AG_OP_UNSUPPORTED || rq->op == AG_OP_ANSWER;
}

static json_t *status_json(void)
{
	json_t *vnpt = json_array();
	for (size_t i = 0; S.cfg->vnpt_on && i < S.cfg->n_vnpt_ports; i++)
		json_array_append_new(vnpt, json_integer(S.cfg->vnpt_ports[i]));
	return json_pack(
	        "{s:s, s:s, s:{s:o, s:o, s:o}, s:I, s:I}", "service", "kyso-agent", "version",
	        KYSO_VERSION, "protocols", "kyso",
	        S.cfg->kyso_on ? json_integer(S.cfg->kyso_port) : json_null(), "vnpt", vnpt, "vgca",
	        S.cfg->vgca_on ? json_integer(S.cfg->vgca_port) : json_null(), "queue",
	        (json_int_t)ag_worker_pending(S.worker), "queue_max", (json_int_t)S.cfg->queue_max);
}

static ag_reply_t *answer_now(ag_request_t *rq)
{
	ag_outcome_t o;
	memset(&o, 0, sizeof(o));
	if (rq->op == AG_OP_STATUS)
		o.data = status_json();
	ag_reply_t *r = ag_reply_build(rq, &o);
	ag_outcome_clear(&o);
	return r;
}

/* Runs rq for connection c: now, or through the worker. Takes rq. Returns a
 * reply to send now, or NULL when the worker will answer. */
static ag_reply_t *dispatch(conn_t *c, ag_request_t *rq)
{
	ag_reply_t *r = NULL;
	if (immediate(rq)) {
		r = answer_now(rq);
	} else if (!ag_worker_submit(S.worker, c->id, rq)) {
		/* the queue is full (requests or bytes waiting) */
		kyso_warn("agent: busy, %s request from %s refused", kind_name(rq->proto),
		          c->origin);
		r = ag_reply_error(rq, KYSO_ERR_PROBLEM,
		                   _("kyso-agent is busy with other signatures; try again later"));
	} else {
		track_t *t = track_of(c->wsi);
		if (t != NULL)
			t->pending++;
		return NULL; /* the worker owns rq now */
	}
	ag_request_free(&rq);
	return r;
}

static void ws_message(conn_t *c, ag_proto_t kind)
{
	ag_request_t *rq;
	ag_rx_t *rx = &c->rx;
	ag_peer_begin((intptr_t)lws_get_socket_fd(c->wsi));
	if (rx->too_big) {
		kyso_warn("agent: a %llu-byte WebSocket message refused (limit %zu)",
		          (unsigned long long)rx->total, AG_MAX_WS_MSG);
		rq = ag_request_new(kind);
		if (rq != NULL) {
			rq->callback = strdup("callbackDefault");
			rq->vgca_op = strdup(c->path[0] == '/' ? c->path + 1 : c->path);
			ag_request_fail(rq, KYSO_ERR_TOO_LARGE,
			                "the message is larger than %zu bytes", AG_MAX_WS_MSG);
		}
	} else {
		ag_spooled_t sp = {.path = rx->path,
		                   .len = rx->decoded,
		                   .bad = rx->dec.bad || rx->io_error,
		                   .big = rx->big};
		memcpy(sp.head, rx->head, sizeof(sp.head));
		if (rx->spooling) /* the string never ended: no spool to refer to */
			sp.path = NULL;
		const char *msg = rx->text.data != NULL ? (const char *)rx->text.data : "";
		rq = ag_parse_ws(kind, c->path, msg, rx->text.len, sp.path != NULL ? &sp : NULL);
		if (sp.path == NULL && rx->path != NULL && !rx->spooling)
			rx->path = NULL; /* the request took the file */
	}
	ag_rx_free(rx);
	if (rq == NULL)
		return;
	rq->origin = strdup(c->origin);
	ag_peer_note(rq, (intptr_t)lws_get_socket_fd(c->wsi));
	kyso_debug("agent: %s request op %d from %s", kind_name(kind), rq->op, c->origin);
	ag_reply_t *r = dispatch(c, rq);
	if (r != NULL)
		ws_queue_reply(c, r);
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static void http_respond(conn_t *c, ag_reply_t *r)
{
	ag_reply_free(&c->resp);
	c->resp = r;
	c->headers_sent = false;
	c->resp_off = 0;
	lws_callback_on_writable(c->wsi);
}

static void http_error(conn_t *c, unsigned status, kyso_err_t code, const char *msg)
{
	ag_reply_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return;
	r->http = true;
	r->status = status;
	r->content_type = strdup("application/json");
	json_t *j = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", kyso_err_id(code),
	                      "message", msg);
	r->body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	r->len = r->body != NULL ? strlen(r->body) : 0;
	json_decref(j);
	http_respond(c, r);
}

static bool add_h(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                  unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	                                   (const unsigned char *)value, (int)strlen(value), p,
	                                   end) == 0;
}

static int http_writeable(conn_t *c)
{
	static unsigned char buf[LWS_PRE + CHUNK];
	ag_reply_t *r = c->resp;
	if (r == NULL)
		return 0;
	struct lws *wsi = c->wsi;
	if (!c->headers_sent) {
		unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
		uint64_t len = r->file != NULL ? r->file_len : r->len;
		if (r->file != NULL) {
			c->resp_f = fopen(r->file, "rb");
			struct stat st;
			if (c->resp_f == NULL || fstat(fileno(c->resp_f), &st) != 0)
				return -1;
			len = (uint64_t)st.st_size;
			r->file_len = len;
		}
		if (lws_add_http_common_headers(wsi, r->status,
		                                r->content_type != NULL ? r->content_type
		                                                        : "text/plain",
		                                (lws_filepos_t)len, &p, end) != 0)
			return -1;
		bool ok = add_h(wsi, "cache-control:", "no-store", &p, end);
		if (c->origin[0] != '\0' && ag_origin_allowed(S.cfg, c->origin)) {
			ok = ok && add_h(wsi, "access-control-allow-origin:", c->origin, &p, end) &&
			     add_h(wsi, "access-control-expose-headers:",
			           "x-kyso-signer, x-kyso-not-applied", &p, end);
			if (r->status == 204) {
				ok = ok &&
				     add_h(wsi,
				           "access-control-allow-methods:", "GET, POST, OPTIONS",
				           &p, end) &&
				     add_h(wsi, "access-control-allow-headers:", "content-type", &p,
				           end) &&
				     add_h(wsi, "access-control-max-age:", "600", &p, end);
				if (c->want_pna)
					ok = ok &&
					     add_h(wsi,
					           "access-control-allow-private-network:", "true",
					           &p, end);
			}
		}
		ok = ok && add_h(wsi, "vary:", "Origin", &p, end);
		if (c->close_after)
			ok = ok && add_h(wsi, "connection:", "close", &p, end);
		for (char *h = r->extra_headers; ok && h != NULL && *h;) {
			char *eol = strstr(h, "\r\n");
			if (eol == NULL)
				break;
			*eol = '\0';
			char *colon = strchr(h, ':');
			if (colon != NULL) {
				char name[64];
				snprintf(name, sizeof(name), "%.*s:", (int)(colon - h), h);
				const char *v = colon + 1;
				while (*v == ' ')
					v++;
				ok = add_h(wsi, name, v, &p, end);
			}
			*eol = '\r';
			h = eol + 2;
		}
		if (!ok || lws_finalize_write_http_header(wsi, start, &p, end) != 0)
			return -1;
		c->headers_sent = true;
		if (len > 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		uint64_t total = r->file != NULL ? r->file_len : r->len;
		size_t n = total - c->resp_off > CHUNK ? CHUNK : (size_t)(total - c->resp_off);
		if (r->file != NULL) {
			if (fread(buf + LWS_PRE, 1, n, c->resp_f) != n)
				return -1;
		} else {
			memcpy(buf + LWS_PRE, r->body + c->resp_off, n);
		}
		c->resp_off += n;
		bool last = c->resp_off >= total;
		if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
		    (int)n)
			return -1;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	/* done */
	bool close = c->close_after;
	http_reset(c);
	track_t *t = track_of(wsi);
	if (t != NULL) {
		t->http_busy = false;
		track_activity(t);
	}
	if (close)
		return -1;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static void uri_args(struct lws *wsi, char *q, size_t cap)
{
	size_t o = 0;
	q[0] = '\0';
	for (int i = 0; i < 64; i++) {
		char frag[2048];
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (o + (size_t)n + 2 >= cap)
			break;
		if (o > 0)
			q[o++] = '&';
		memcpy(q + o, frag, (size_t)n);
		o += (size_t)n;
		q[o] = '\0';
	}
}

static char *work_path(void)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/work", S.cfg->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return NULL;
	char *p = NULL;
	if (asprintf(&p, "%s/body-XXXXXX", dir) < 0)
		return NULL;
	int fd = mkstemps(p, 0);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

/* Plain HTTP on a TLS port: a constant "use https" any page may read (web/kyso.js tells
 * an agent whose certificate the browser does not trust from one that is not running).
 * Nothing else is served without TLS. */
static int plain_http_answer(struct lws *wsi)
{
	static const char body[] =
	        "{\"ok\":false,\"error\":{\"code\":\"tls-required\",\"message\":\"use https\"}}";
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf);
	if (lws_add_http_common_headers(wsi, 426, "application/json", sizeof(body) - 1, &p, end) ||
	    add_h(wsi, "access-control-allow-origin:", "*", &p, end) == false ||
	    add_h(wsi, "connection:", "close", &p, end) == false ||
	    lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return -1;
	unsigned char out[LWS_PRE + sizeof(body)];
	memcpy(out + LWS_PRE, body, sizeof(body));
	if (lws_write(wsi, out + LWS_PRE, sizeof(body) - 1, LWS_WRITE_HTTP_FINAL) < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_request(conn_t *c, struct lws *wsi, const char *uri)
{
	if (!lws_is_ssl(wsi))
		return plain_http_answer(wsi);
	ag_peer_begin((intptr_t)lws_get_socket_fd(wsi));
	http_reset(c);
	conn_register(c, wsi);
	char host[300], origin[300];
	hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	track_t *t = track_of(wsi);
	if (t != NULL) {
		t->c = c;
		t->requested = t->http_busy = true;
		track_activity(t);
	}
	if (origin[0] != '\0' && origin_count(origin) > S.cfg->max_per_origin) {
		kyso_warn("agent: more than %zu connections from %s: refused",
		          S.cfg->max_per_origin, origin);
		c->close_after = true;
		http_error(c, 503, KYSO_ERR_PROBLEM, "too many connections from this web site");
		return 0;
	}
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	const char *method = has_hdr(wsi, WSI_TOKEN_POST_URI)      ? "POST"
	                     : has_hdr(wsi, WSI_TOKEN_OPTIONS_URI) ? "OPTIONS"
	                     : has_hdr(wsi, WSI_TOKEN_GET_URI)     ? "GET"
	                                                           : "OTHER";
	if (!ag_host_ok(host)) {
		kyso_warn("agent: HTTP request with Host \"%s\" refused (DNS rebinding?)", host);
		c->origin[0] = '\0';
		c->close_after = true;
		http_error(c, 421, KYSO_ERR_BAD_INPUT,
		           "Host must be localhost, 127.0.0.1 or [::1]");
		return 0;
	}
	if (conn_kind(wsi) != AG_PROTO_KYSO) {
		http_error(c, 404, KYSO_ERR_NOT_FOUND, "this port speaks WebSocket only");
		return 0;
	}
	bool allowed = ag_origin_allowed(S.cfg, origin);
	if (origin[0] != '\0' && !allowed) {
		kyso_warn("agent: request from origin %s refused (not in the allow-list)", origin);
		c->close_after = true;
		http_error(c, 403, KYSO_ERR_PROBLEM,
		           "this web site is not allowed to use kyso-agent (kyso setup --origin)");
		return 0;
	}
	if (strcmp(method, "OPTIONS") == 0) {
		if (!allowed) {
			http_error(c, 403, KYSO_ERR_PROBLEM, "preflight without an allowed Origin");
			return 0;
		}
		char pna[16] = "";
		if (lws_hdr_custom_copy(wsi, pna, sizeof(pna),
		                        "access-control-request-private-network:", 39) > 0)
			c->want_pna = strcmp(pna, "true") == 0;
		ag_reply_t *r = calloc(1, sizeof(*r));
		if (r == NULL)
			return -1;
		r->http = true;
		r->status = 204;
		http_respond(c, r);
		return 0;
	}
	char q[8192];
	uri_args(wsi, q, sizeof(q));
	ag_request_t *rq = ag_parse_kyso_http(method, uri, q);
	if (rq == NULL)
		return -1;
	rq->origin = strdup(origin);
	ag_peer_note(rq, (intptr_t)lws_get_socket_fd(wsi));
	if (!allowed && !(rq->op == AG_OP_STATUS)) {
		/* only the status may be asked without an Origin (kyso doctor) */
		kyso_warn("agent: %s %s without Origin refused", method, uri);
		ag_request_free(&rq);
		c->close_after = true;
		http_error(c, 403, KYSO_ERR_PROBLEM,
		           "an Origin header from an allowed web site is required");
		return 0;
	}
	if (rq->op == AG_OP_NONE || strcmp(method, "GET") == 0) {
		ag_reply_t *r = dispatch(c, rq);
		if (r != NULL)
			http_respond(c, r);
		return 0;
	}
	/* POST: the body comes next */
	char cl[32];
	hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
	char *endp = NULL;
	unsigned long long n = strtoull(cl, &endp, 10);
	uint64_t max = rq->op == AG_OP_SIGN_HASH ? AG_MAX_JSON_BODY : AG_MAX_PDF;
	if (cl[0] == '\0' || endp == cl || *endp != '\0') {
		ag_request_free(&rq);
		c->close_after = true;
		http_error(c, 411, KYSO_ERR_BAD_INPUT, "Content-Length is required");
		return 0;
	}
	if (n > max) {
		kyso_warn("agent: %llu-byte body refused (limit %llu)", n, (unsigned long long)max);
		ag_request_free(&rq);
		c->close_after = true;
		http_error(c, 413, KYSO_ERR_TOO_LARGE,
		           "the body is larger than the limit (50 MB for a PDF)");
		return 0;
	}
	c->body_max = n;
	if (rq->op != AG_OP_SIGN_HASH) {
		rq->pdf_path = work_path();
		c->body_f = rq->pdf_path != NULL ? fopen(rq->pdf_path, "wb") : NULL;
		if (c->body_f == NULL) {
			ag_request_free(&rq);
			http_error(c, 500, KYSO_ERR_IO, "cannot store the request body");
			return 0;
		}
		if (rq->doc_name == NULL)
			rq->doc_name = strdup("document.pdf");
	}
	c->rq = rq;
	if (t != NULL) /* the body's deadline: from now, not restarted by each piece */
		t->deadline_ms = kyso_now_ms() + (uint64_t)S.cfg->msg_secs * 1000u;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, (int)S.cfg->msg_secs);
	return 0;
}

static int http_body(conn_t *c, const void *in, size_t len)
{
	if (c->rq == NULL)
		return 0; /* a refused request: drop the rest */
	track_t *t = track_of(c->wsi);
	if (t != NULL && t->deadline_ms != 0 && kyso_now_ms() > t->deadline_ms) {
		kyso_warn("agent: a request body did not arrive within %u s", S.cfg->msg_secs);
		return -1;
	}
	if (c->body_len + len > c->body_max) {
		c->close_after = true;
		ag_request_free(&c->rq);
		http_error(c, 413, KYSO_ERR_TOO_LARGE,
		           "the body is longer than its Content-Length");
		return 0;
	}
	c->body_len += len;
	if (c->body_f != NULL) {
		if (fwrite(in, 1, len, c->body_f) != len)
			return -1;
	} else if (kyso_buf_append(&c->body_mem, in, len) != KYSO_OK) {
		return -1;
	}
	return 0;
}

static void http_body_done(conn_t *c)
{
	ag_request_t *rq = c->rq;
	c->rq = NULL;
	track_t *t = track_of(c->wsi);
	if (t != NULL)
		t->deadline_ms = 0;
	if (rq == NULL)
		return;
	ag_peer_begin((intptr_t)lws_get_socket_fd(c->wsi));
	if (c->body_f != NULL) {
		bool bad = fclose(c->body_f) != 0;
		c->body_f = NULL;
		if (bad)
			ag_request_fail(rq, KYSO_ERR_IO, "cannot store the request body");
	} else {
		ag_parse_kyso_hash_body(rq, (const char *)c->body_mem.data, c->body_mem.len);
		kyso_buf_free(&c->body_mem);
	}
	ag_reply_t *r = dispatch(c, rq);
	if (r != NULL)
		http_respond(c, r);
}

/* ---- WebSocket upgrade check -------------------------------------------------------------- */

static int ws_filter(struct lws *wsi)
{
	if (!lws_is_ssl(wsi))
		return -1; /* no WebSocket without TLS */
	char host[300], origin[300], uri[256];
	hdr(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	hdr(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri));
	ag_proto_t k = conn_kind(wsi);
	if (!ag_host_ok(host)) {
		kyso_warn("agent: WebSocket with Host \"%s\" refused (DNS rebinding?)", host);
		return 1;
	}
	if (!ag_origin_allowed(S.cfg, origin)) {
		kyso_warn("agent: WebSocket from origin \"%s\" refused (not in the allow-list)",
		          origin);
		return 1;
	}
	/* this connection counts already when it carried an HTTP request before */
	if (origin_count(origin) >= S.cfg->max_per_origin + 1) {
		kyso_warn("agent: more than %zu connections from %s: WebSocket refused",
		          S.cfg->max_per_origin, origin);
		return 1;
	}
	if ((k == AG_PROTO_VNPT && strcmp(uri, "/plugin") != 0) ||
	    (k == AG_PROTO_KYSO && strcmp(uri, "/v1/ws") != 0) ||
	    (k == AG_PROTO_VGCA && uri[0] != '/')) {
		kyso_warn("agent: WebSocket path %s refused on the %s port", uri, kind_name(k));
		return 1;
	}
	return 0;
}

/* ---- worker replies ------------------------------------------------------------------------- */

static void deliver(void)
{
	ag_reply_t *r;
	while ((r = ag_worker_take(S.worker)) != NULL) {
		conn_t *c = conn_find(r->conn);
		track_t *t = c != NULL ? track_of(c->wsi) : NULL;
		if (t != NULL && t->pending > 0) {
			t->pending--;
			track_activity(t);
		}
		if (c == NULL) {
			kyso_debug("agent: connection %llu went away before its answer",
			           (unsigned long long)r->conn);
			ag_reply_free(&r);
		} else if (r->http) {
			http_respond(c, r);
		} else {
			ws_queue_reply(c, r);
		}
	}
}

static void wake(void *ctx)
{
	(void)ctx;
	if (S.ctx != NULL)
		lws_cancel_service(S.ctx);
}

/* ---- the callback ---------------------------------------------------------------------------- */

static int agent_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
	conn_t *c = user;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		deliver();
		return 0;
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		return track_accept(wsi) ? 0 : -1;
	case LWS_CALLBACK_WSI_DESTROY:
		track_drop(wsi);
		return 0;
	case LWS_CALLBACK_HTTP:
		return c != NULL ? http_request(c, wsi, in != NULL ? (const char *)in : "/") : -1;
	case LWS_CALLBACK_HTTP_BODY:
		return c != NULL ? http_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (c != NULL)
			http_body_done(c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return c != NULL ? http_writeable(c) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (c != NULL && !c->ws) {
			conn_release(c);
			track_forget(wsi, c);
		}
		return 0;
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		/* right after accept, before TLS: another OS user's peer is closed */
		return ag_peer_accept((intptr_t)in);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(wsi);
	case LWS_CALLBACK_ESTABLISHED: {
		memset(c, 0, sizeof(*c));
		c->ws = true;
		conn_register(c, wsi);
		char origin[300], uri[256];
		hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
		hdr(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri));
		snprintf(c->origin, sizeof(c->origin), "%s", origin);
		snprintf(c->path, sizeof(c->path), "%s", uri);
		ag_rx_init(&c->rx, work_path);
		track_t *t = track_of(wsi);
		if (t != NULL) {
			t->c = c;
			t->ws = t->requested = true;
			track_activity(t);
		}
		kyso_debug("agent: %s WebSocket %s from %s", kind_name(conn_kind(wsi)), uri,
		           origin);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE: {
		if (c == NULL)
			return -1;
		/* one deadline per message, from its first byte: more fragments do not
		 * extend it (the sweep closes a connection whose message is late) */
		track_t *t = track_of(wsi);
		if (t != NULL && past_deadline(t)) {
			kyso_warn("agent: a request did not arrive in full within %u s: connection "
			          "closed",
			          S.cfg->msg_secs);
			return -1;
		}
		ag_rx_feed(&c->rx, in, len);
		if (c->rx.io_error) {
			kyso_warn("agent: cannot store a WebSocket message");
			return -1;
		}
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			if (t != NULL) {
				t->deadline_ms = 0;
				track_activity(t);
			}
			ws_message(c, conn_kind(wsi));
		}
		return 0;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c != NULL ? ws_writeable(c) : 0;
	case LWS_CALLBACK_CLOSED:
		if (c != NULL) {
			conn_release(c);
			track_forget(wsi, c);
		}
		return 0;
	default:
		break;
	}
	return 0;
}

#define PROTOS(name, kind)                                                                         \
	static struct lws_protocols name[] = {                                                     \
	        {"kyso-agent", agent_cb, sizeof(conn_t), CHUNK, 0, (void *)&(kind), 0},            \
	        {NULL, NULL, 0, 0, 0, NULL, 0},                                                    \
	}
PROTOS(protos_kyso, kind_kyso);
PROTOS(protos_vnpt, kind_vnpt);
PROTOS(protos_vgca, kind_vgca);

static int listen_on(int port, const struct lws_protocols *protos, const char *name, bool required)
{
	const char *ifaces[] = {"127.0.0.1", "::1"};
	int made = 0;
	for (size_t i = 0; i < (S.cfg->ipv6 ? 2u : 1u); i++) {
		struct lws_context_creation_info v;
		memset(&v, 0, sizeof(v));
		char vname[64];
		snprintf(vname, sizeof(vname), "%s-%d-%zu", name, port, i);
		v.vhost_name = vname;
		v.port = port;
		v.iface = ifaces[i];
		v.protocols = protos;
		v.ssl_cert_filepath = S.cert;
		v.ssl_private_key_filepath = S.key;
		v.alpn = "http/1.1";
		v.timeout_secs = S.cfg->timeout_secs;
		v.keepalive_timeout = 30;
		v.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		            LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
		            LWS_SERVER_OPTION_VALIDATE_UTF8 |
		            (i == 0 ? LWS_SERVER_OPTION_DISABLE_IPV6
		                    : LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
		                              LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE);
		/* plain HTTP gets only the constant "use https" answer (plain_http_answer) */
		v.options |= LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT;
		v.options |= LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
		struct lws_vhost *vh = lws_create_vhost(S.ctx, &v);
		if (vh == NULL)
			kyso_warn("agent: cannot listen on %s port %d (%s)", ifaces[i], port, name);
		else
			made++;
	}
	if (made == 0 && required)
		return -1;
	if (made > 0)
		kyso_info("agent: %s listening on port %d", name, port);
	return made;
}

/* SIGINT/SIGTERM, or on Windows a console control event (kyso_on_stop) */
static void on_stop(void)
{
	S.stop = 1;
	/* libwebsockets documents lws_cancel_service() as safe in a signal
	 * handler (it only writes to the event loop's wake-up pipe) and from
	 * another thread */
	if (S.ctx != NULL)
		lws_cancel_service(S.ctx); // NOLINT(bugprone-signal-handler)
}

static void lws_log_sink(int level, const char *line)
{
	kyso_debug("lws(%d): %.*s", level, (int)strcspn(line, "\n"), line);
}

int ag_server_run(ag_config_t *cfg)
{
	memset(&S, 0, sizeof(S));
	S.cfg = cfg;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (ag_tls_ensure(cfg->state_dir, &err) != KYSO_OK) {
		kyso_error("%s", kyso_error_message(&err));
		return (int)kyso_err_exit(err.code);
	}
	snprintf(S.cert, sizeof(S.cert), "%s/cert.pem", cfg->state_dir);
	snprintf(S.key, sizeof(S.key), "%s/key.pem", cfg->state_dir);
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_sink);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.timeout_secs = cfg->timeout_secs;
	S.ctx = lws_create_context(&info);
	if (S.ctx == NULL) {
		kyso_error("agent: cannot start libwebsockets");
		return KYSO_EXIT_PROBLEM;
	}
	S.worker = ag_worker_new(cfg, wake, NULL);
	int rc = S.worker != NULL ? 0 : -1;
	int listening = 0;
	if (rc == 0 && cfg->kyso_on)
		rc = listen_on(cfg->kyso_port, protos_kyso, "kyso", true) < 0 ? -1
		                                                              : (listening++, 0);
	for (size_t i = 0; rc == 0 && cfg->vnpt_on && i < cfg->n_vnpt_ports; i++) {
		int m = listen_on(cfg->vnpt_ports[i], protos_vnpt, "vnpt", i == 0);
		if (m < 0)
			rc = -1;
		else if (m > 0)
			listening++;
	}
	if (rc == 0 && cfg->vgca_on)
		rc = listen_on(cfg->vgca_port, protos_vgca, "vgca", true) < 0 ? -1
		                                                              : (listening++, 0);
	if (rc != 0 || listening == 0) {
		kyso_error("agent: cannot listen on the configured ports (already in use?)");
		ag_worker_free(&S.worker);
		lws_context_destroy(S.ctx);
		return KYSO_EXIT_PROBLEM;
	}
	if (cfg->norigins == 0)
		kyso_warn("agent: no origin is allowed: every web page will be refused (kyso setup "
		          "--origin URL, or --origin)");
	kyso_on_stop(on_stop);
	lws_sul_schedule(S.ctx, 0, &S.sweep, sweep, (lws_usec_t)SWEEP_MS * 1000);
	printf("ready\n");
	fflush(stdout);
	while (!S.stop && (ag_outbox_tick(), true))
		if (lws_service(S.ctx, 0) < 0)
			break;
	kyso_info("agent: stopping");
	lws_sul_cancel(&S.sweep);
	lws_context_destroy(S.ctx);
	S.ctx = NULL;
	ag_worker_free(&S.worker);
	return KYSO_EXIT_OK;
}
