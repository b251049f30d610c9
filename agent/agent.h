/* kyso-agent internals: configuration, request model (parsed from the three
 * protocols), the token worker and the reply formats. The network side
 * (libwebsockets) is agent_server.c. */
#ifndef KYSO_AGENT_H
#define KYSO_AGENT_H

#include "kyso_core.h"
#include "kyso_peer.h"
#include "kyso_signer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

/* Size limits: a PDF of at most 50 MiB; a WebSocket message carries it as
 * base64 inside JSON (4/3 plus room for the options). */
#define AG_MAX_PDF       ((uint64_t)50 * 1024 * 1024)
#define AG_MAX_WS_MSG    ((size_t)(AG_MAX_PDF / 3 * 4 + 8 + (uint64_t)256 * 1024))
#define AG_MAX_JSON_BODY ((size_t)1024 * 1024)
#define AG_MAX_HASHES    256

typedef enum { AG_PROTO_KYSO = 0, AG_PROTO_VNPT, AG_PROTO_VGCA } ag_proto_t;

typedef enum {
	AG_OP_NONE = 0, /* parse error: reply with rq->err */
	AG_OP_STATUS,   /* kyso status, VNPT checkPlugin */
	AG_OP_VERSION,  /* VNPT getVersion */
	AG_OP_LICENSE,  /* VNPT setLicenseKey: accepted, ignored */
	AG_OP_CERTS,    /* list the signing certificate(s) */
	AG_OP_SIGN_PDF,
	AG_OP_SIGN_HASH, /* one or several digests (VNPT signArrDataAdvanced) */
	AG_OP_VERIFY,
	AG_OP_SIGN_ITEMS, /* VNPT signArrDataAdvanced cmsdetached/hash, signCms,
	                   * VGCA SignMsg/Auth: one signature per item */
	AG_OP_CERT_CHECK, /* VNPT ValidateCertificate*, CheckValidTime*, OCSP, CRL */
	AG_OP_ANSWER,     /* answered at once from the function id (no token) */
	AG_OP_SIGN_XML,   /* VNPT signXML, xml items: XMLDSig enveloped (rq->pdf holds it) */
	AG_OP_UNSUPPORTED,
} ag_op_t;

/* Which signature this is in the document's life (issue 6 roles). */
typedef enum {
	AG_ROLE_NONE = 0,
	AG_ROLE_INITIAL,  /* ký nháy */
	AG_ROLE_APPROVAL, /* ký duyệt */
	AG_ROLE_APPENDIX, /* ký phụ lục */
	AG_ROLE_ISSUE,    /* văn thư cấp số/ngày (phát hành) */
	AG_ROLE_COPY,     /* ký sao */
	AG_ROLE_COMMENT,  /* ký ý kiến */
	AG_ROLE_INCOME,   /* ký văn bản đến */
} ag_role_t;

typedef struct {
	kyso_digest_t alg;
	uint8_t d[64];
	size_t len;
} ag_hash_t;

/* One item of a multi-signature request. */
typedef enum {
	AG_ITEM_CMS = 0, /* detached CMS over the content whose digest is h */
	AG_ITEM_RAW,     /* raw PKCS#1 / ECDSA signature over the digest h */
	AG_ITEM_BAD,     /* not signed: code + error tell why */
} ag_item_kind_t;

typedef struct {
	ag_hash_t h;
	char *error; /* AG_ITEM_BAD: the page-visible text */
	ag_item_kind_t kind;
	int code;    /* AG_ITEM_BAD: VNPT code */
	bool serial; /* the reply element names the certificate serial */
} ag_item_t;

/* How a request's answer is shaped beyond its op. */
typedef enum {
	AG_SHAPE_PLAIN = 0,
	AG_SHAPE_ARRAY,  /* VNPT: JSON array of JSON strings, one per item (VR6) */
	AG_SHAPE_SINGLE, /* VNPT signCms: one {code,data,error} (VR5) */
} ag_shape_t;

/* One request, whatever protocol it came in. Strings are owned (malloc).
 * (Pointers first, small fields last: no padding holes.) */
typedef struct ag_request {
	/* a request that could not be parsed: the reply carries err + this */
	char *err_msg;
	/* routing back */
	char *callback; /* VNPT funcCallback ("callbackDefault" when absent) */
	char *vgca_op;  /* VGCA endpoint name (no slash) */
	json_t *id;     /* kyso WebSocket request id (echoed) */
	/* who asks */
	char *origin;
	kyso_peer_t peer; /* the connection's peer socket (agent_peer.c) */
	/* the document */
	char *doc_name;
	kyso_buf_t pdf; /* PDF bytes (WebSocket protocols) */
	char *pdf_path; /* or a file holding them (HTTP body) */
	/* signature options */
	char *reason, *location, *signer_name, *contact, *field_name;
	char *doc_number, *doc_date;
	char *key_id;
	char *serial; /* the certificate the page names (VNPT "serial", hex), NULL = any */
	char *tsa_url;
	double llx, lly, urx, ury;
	char *appearance_text; /* text the page wants in the visible signature */
	char *ignored;         /* options accepted but not applied (comma list) */
	/* sign-hash */
	ag_hash_t *hashes;
	size_t nhashes;
	/* signature items (AG_OP_SIGN_ITEMS) */
	ag_item_t *items;
	size_t nitems;
	/* XMLDSig: element receiving the signature, Id of the signed element */
	char *xml_parent, *xml_ref;
	/* certificate checks: the certificate (DER) given by the page, or empty
	 * = the token's */
	kyso_buf_t cert;
	/* VGCA: where the file comes from and goes to */
	char *file_url, *upload_url, *session_id, *jwt;
	json_t *metadata;
	/* small fields */
	ag_proto_t proto;
	ag_op_t op;
	kyso_err_t err;
	int function_id; /* VNPT functionID */
	ag_role_t role;
	kyso_digest_t digest;
	int page;
	bool http;            /* kyso HTTP API: reply as an HTTP response */
	bool has_position;    /* page + llx..ury given */
	bool hash_array;      /* reply with an array (VNPT signArrDataAdvanced) */
	bool invisible;       /* PdfSigner SigVisible=false: no widget */
	bool advanced_custom; /* PdfSigner AdvancedCustom=true */
	bool set_lang;        /* VNPT setLanguage: lang is the connection's from now on */
	char lang[4];         /* the connection's language ("vi", "en"), "" = the agent's */
	ag_shape_t shape;
} ag_request_t;

ag_request_t *ag_request_new(ag_proto_t proto);
void ag_request_free(ag_request_t **rq);
/* Marks rq as a parse failure with a message (printf-like). */
void ag_request_fail(ag_request_t *rq, kyso_err_t code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Parsers (agent_request.c): never fail to return a request; problems end up
 * in rq->err. They only read their input (the fuzz target calls them). */
ag_request_t *ag_parse_vnpt(const char *msg, size_t len);
ag_request_t *ag_parse_vgca(const char *path, const char *msg, size_t len);
ag_request_t *ag_parse_kyso_ws(const char *msg, size_t len);
/* kyso HTTP: path (without query), query string ("a=1&b=2", percent-encoded) */
ag_request_t *ag_parse_kyso_http(const char *method, const char *path, const char *query);
/* kyso HTTP sign-hash body (JSON) into an existing request */
void ag_parse_kyso_hash_body(ag_request_t *rq, const char *body, size_t len);

/* The document's name for the consent dialog (agent_docname.c), at most
 * AG_NAME_SHOW bytes: one line, a long name shortened in the middle. */
#define AG_NAME_SHOW 256
void ag_doc_label(const ag_request_t *rq, char *buf, size_t cap);
void ag_name_shorten(const char *name, char *buf, size_t cap);
/* in as one line for a dialog: valid UTF-8 (else U+FFFD), no control,
 * line-separator or bidirectional-control character (each run of them and
 * of blanks one space), at most max_chars characters (the middle elided
 * with "…"). */
void ag_line_clean(const char *in, size_t max_chars, char *buf, size_t cap);

const char *ag_role_id(ag_role_t r);
bool ag_role_parse(const char *s, ag_role_t *out);
/* The role in Vietnamese for prompts and the signature reason. */
const char *ag_role_label(ag_role_t r);

/* ---- outcome of a request, ready to send (agent_reply.c) ------------------ */

typedef struct {
	uint64_t conn; /* connection id */
	bool http;
	unsigned status;    /* HTTP status */
	char *content_type; /* HTTP */
	char *body;         /* message / body in memory */
	size_t len;
	char *file; /* or the body is this file (deleted after sending) */
	uint64_t file_len;
	/* file_b64: the body is body[0..b64_at) + base64 of file + body[b64_at..len)
	 * (a signed PDF in a WebSocket answer, encoded while it is sent) */
	size_t b64_at;
	bool file_b64;
	char *extra_headers; /* "Name: value\r\n"... (HTTP) */
} ag_reply_t;

void ag_reply_free(ag_reply_t **r);

/* What the worker found out. */
typedef struct {
	kyso_err_t err;
	char *message;
	json_t *data;   /* certificates, verify report, signatures */
	char *out_path; /* signed PDF */
	uint64_t out_len;
	char signer[512];
	char *file_server; /* VGCA: what the upload handler answered */
	char *file_name;
} ag_outcome_t;

void ag_outcome_clear(ag_outcome_t *o);
/* Builds the protocol's answer. Takes over o->out_path for HTTP PDF bodies. */
ag_reply_t *ag_reply_build(const ag_request_t *rq, ag_outcome_t *o);
/* An answer for a request refused before it ran (busy, too large...). */
ag_reply_t *ag_reply_error(const ag_request_t *rq, kyso_err_t code, const char *msg);
/* VNPT result code for an error. */
int ag_vnpt_code(kyso_err_t e);
/* The text integrator pages show for a VNPT signing code (table 7A), in the
 * UI language. */
const char *ag_vnpt_code_text(int code);
/* The version getVersion answers (VNPT protocol level, not VNPT's product):
 * $KYSO_AGENT_VNPT_VERSION, else "1.0.4.3". */
const char *ag_vnpt_version(void);

/* ---- configuration -------------------------------------------------------- */

typedef struct {
	int kyso_port, vnpt_ports[5], vgca_port;
	size_t n_vnpt_ports;
	bool kyso_on, vnpt_on, vgca_on;
	char **origins; /* allowed web-system origins */
	size_t norigins;
	char **fetch_origins; /* extra origins VGCA may download from / upload to */
	size_t nfetch;
	char *state_dir;
	char *pinentry;
	kyso_token_sel_t token;
	char *module, *slot, *tokenlabel, *key_id, *chain_file;
	char **ca_files; /* verification trust anchors (NULL-terminated) */
	size_t nca;
	size_t queue_max;
	size_t max_conns, max_per_origin; /* open connections: in all, per Origin */
	unsigned timeout_secs;
	unsigned msg_secs;       /* a message's deadline from its first byte */
	unsigned idle_secs;      /* an idle WebSocket is closed */
	unsigned pin_cache_secs; /* longest "remember the PIN" offered; 0 = never */
	bool ipv6;
	/* config.json "agent_pades": "B-LT" (+ /DSS) or "B-LTA" (+ document time
	 * stamp), with "agent_tsa_url" when the page gives no TSA; NULL = B-B/B-T */
	char *pades, *tsa_url;
	/* config.json "tsa_url" (kyso sign's TSA): a page may name it, or
	 * tsa_url, without a note in the consent dialog */
	char *setup_tsa_url;
} ag_config_t;

void ag_config_init(ag_config_t *c);
void ag_config_free(ag_config_t *c);
kyso_err_t ag_config_add_origin(ag_config_t *c, const char *origin, kyso_error_t *err);
/* origins from the kyso config files (KYSO_CONFIG, user, system) */
void ag_config_load_files(ag_config_t *c);
bool ag_origin_allowed(const ag_config_t *c, const char *origin);
/* Host header names this machine's loopback (localhost, 127.0.0.1, [::1]) */
bool ag_host_ok(const char *host);
/* url (absolute, or "/path" relative to origin) is on origin or an extra
 * fetch origin; *abs gets the absolute URL. */
/* The page named a time-stamp server that setup did not configure
 * (neither agent_tsa_url nor tsa_url of config.json). */
bool ag_tsa_from_page(const ag_config_t *c, const ag_request_t *rq);
bool ag_url_allowed(const ag_config_t *c, const char *origin, const char *url, char **abs);

/* ---- TLS material (agent_tls.c) ------------------------------------------ */

/* Creates dir/ca.pem, ca-key.pem, cert.pem, key.pem when missing or about to
 * expire. */
kyso_err_t ag_tls_ensure(const char *dir, kyso_error_t *err);
kyso_err_t ag_tls_export_ca(const char *dir, const char *out, kyso_error_t *err);

/* ---- the token worker (agent_worker.c) ------------------------------------ */

typedef struct ag_worker ag_worker_t;
typedef void (*ag_done_fn)(void *ctx);

ag_worker_t *ag_worker_new(const ag_config_t *cfg, ag_done_fn wake, void *wake_ctx);
void ag_worker_free(ag_worker_t **w);
/* Queues rq (taken over) for connection conn. false = queue full (rq left to
 * the caller). */
bool ag_worker_submit(ag_worker_t *w, uint64_t conn, ag_request_t *rq);
/* Next finished reply, or NULL. */
ag_reply_t *ag_worker_take(ag_worker_t *w);
size_t ag_worker_pending(ag_worker_t *w);

/* ---- the time-limited PIN cache (agent_pincache.c) -------------------------- */

#define AG_PIN_CACHE_DEFAULT_SECS 300
#define AG_PIN_CACHE_MAX_SECS     1800

typedef struct ag_pincache ag_pincache_t;

ag_pincache_t *ag_pincache_new(void);
void ag_pincache_free(ag_pincache_t **c); /* wipes */
bool ag_pincache_locked(const ag_pincache_t *c);
/* milliseconds of a clock that also counts suspended time */
uint64_t ag_pincache_now_ms(void);
/* The identity of a token + key: SHA-256 of module, token label, certificate. */
void ag_pincache_id(const char *module, const char *token_label, const kyso_buf_t *cert_der,
                    uint8_t id[32]);
/* The remembered PIN for id (copied into pin), *until when it expires. */
bool ag_pincache_get(ag_pincache_t *c, const uint8_t id[32], char *pin, size_t cap, time_t *until);
bool ag_pincache_put(ag_pincache_t *c, const uint8_t id[32], const char *key_id, const char *pin,
                     unsigned secs);
bool ag_pincache_drop(ag_pincache_t *c, const uint8_t id[32]);
/* Wipes what has expired; how many. */
size_t ag_pincache_expire(ag_pincache_t *c);
size_t ag_pincache_count(const ag_pincache_t *c);
/* When the first entry expires (ag_pincache_now_ms()), 0 = empty. */
uint64_t ag_pincache_next_expiry(const ag_pincache_t *c);
/* Entry i (0..ag_pincache_slots()-1) if used: its id and key selection. */
bool ag_pincache_entry(const ag_pincache_t *c, size_t i, uint8_t id[32], const char **key_id);
size_t ag_pincache_slots(void);

/* Memory for secrets, zeroed, whole pages locked against swapping when the
 * OS allows (mlock + MADV_DONTDUMP: agent_lockmem_posix.c; VirtualLock:
 * agent_lockmem_win.c). *len gets the size to pass to ag_lockmem_free,
 * *locked whether the lock took. NULL when there is no memory. */
void *ag_lockmem_alloc(size_t need, size_t *len, bool *locked);
void ag_lockmem_free(void *p, size_t len, bool locked);

/* Runs one request (agent_ops.c), in the worker thread. */
void ag_exec(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq, ag_outcome_t *out);
/* While PINs are remembered: forgets those whose token is no longer there
 * (worker thread, every AG_PRESENCE_SECS). */
#define AG_PRESENCE_SECS 3
void ag_pincache_check_tokens(const ag_config_t *cfg, ag_pincache_t *cache);

/* ---- who calls (agent_peer.c) ----------------------------------------------- */

/* Right after accept: 0 when the peer socket is this user's (remembered for
 * sock), -1 (close it, nothing read or sent) for another user's or an
 * unknown one; logged. */
int ag_peer_accept(intptr_t sock);
/* Before a message of sock is parsed: this thread's messages in the
 * connection's language (VNPT setLanguage), else the agent's. */
void ag_peer_begin(intptr_t sock);
/* After it is parsed: copies what ag_peer_accept found for sock into
 * rq->peer, and the connection's language into rq->lang (a setLanguage
 * request changes it first). */
void ag_peer_note(ag_request_t *rq, intptr_t sock);
/* A web browser's program (by its file name)? */
bool ag_peer_is_browser(const char *path);
/* The consent dialog's line naming the calling program ("\n..."), empty for a
 * browser; "not identified" when it cannot be found. */
void ag_peer_consent_line(const ag_request_t *rq, char *buf, size_t cap);

/* ---- the network side (agent_server.c) ------------------------------------ */

int ag_server_run(ag_config_t *cfg);

/* base64 (agent_b64.c) */
char *ag_b64_encode(const uint8_t *d, size_t len, size_t *out_len);
kyso_err_t ag_b64_decode(const char *s, size_t len, kyso_buf_t *out);
/* encodes len bytes into o (room for (len + 2) / 3 * 4); the length written */
size_t ag_b64_encode_to(const uint8_t *d, size_t len, char *o);
/* incremental decoding: ag_b64_step writes at most len / 4 * 3 + 3 bytes to out and
 * returns how many; st->bad once the input is not base64. ag_b64_end: the whole
 * input was base64. */
typedef struct {
	uint32_t acc;
	int bits;
	bool pad, bad;
} ag_b64_t;
void ag_b64_init(ag_b64_t *st);
size_t ag_b64_step(ag_b64_t *st, const char *s, size_t len, uint8_t *out);
bool ag_b64_end(const ag_b64_t *st);
/* c may appear in base64 (a digit of either alphabet, '=', white space) */
bool ag_b64_char(unsigned char c);

/* ---- one incoming WebSocket message (agent_rx.c) ----------------------------- */

/* a string at least this long that is all base64 is decoded into a spool file */
#define AG_RX_SPOOL_MIN ((size_t)64 * 1024)

typedef struct {
	kyso_buf_t text; /* the message; a spooled string holds ag_rx_placeholder() */
	uint64_t total;  /* bytes received */
	char *path;      /* the spool file (decoded bytes, 0600), NULL = none */
	FILE *f;
	uint8_t *obuf;
	char *(*new_file)(void); /* makes an empty private file; its path (malloc) */
	uint64_t decoded;        /* bytes decoded into the spool */
	size_t str_at;           /* text offset of the current string's content */
	ag_b64_t dec;
	uint8_t head[8]; /* the first decoded bytes */
	bool too_big;    /* the message is longer than AG_MAX_WS_MSG */
	bool big;        /* the spooled string decodes to more than AG_MAX_PDF */
	bool io_error;
	bool in_str, esc, b64ish, spooling, spooled;
} ag_rx_t;

void ag_rx_init(ag_rx_t *rx, char *(*new_file)(void));
void ag_rx_feed(ag_rx_t *rx, const void *data, size_t len);
/* wipes the message and removes its spool file unless taken */
void ag_rx_free(ag_rx_t *rx);
/* the text a spooled string's content is replaced with (per process, random) */
const char *ag_rx_placeholder(void);

/* The spooled string of the message being parsed (the parsers run on one
 * thread): a string value equal to ag_rx_placeholder() stands for it. */
typedef struct {
	char *path; /* decoded bytes; the parser takes it (NULL then) */
	uint64_t len;
	uint8_t head[8];
	bool bad, big; /* not base64 / more than AG_MAX_PDF */
} ag_spooled_t;
/* Parses a WebSocket message of protocol kind (path: VGCA endpoint) with its
 * spooled string (sp may be NULL). */
ag_request_t *ag_parse_ws(ag_proto_t kind, const char *path, const char *msg, size_t len,
                          ag_spooled_t *sp);

/* Makes libassuan start programs (pinentry) with posix_spawn() instead of
 * fork() in this multi-threaded process (agent_spawn_posix.c; nothing to do on
 * Windows, where libassuan uses CreateProcess: agent_spawn_win.c). Call once,
 * before the worker thread starts. */
void ag_spawn_hooks_install(void);

#endif
