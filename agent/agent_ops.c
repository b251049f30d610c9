/* Running one request in the token worker: the consent + PIN prompt, PDF
 * signing through the signer library, digest signing and certificate listing
 * through its PKCS#11 layer, verification, and for VGCA the download of the
 * document and the upload of the result. */
#include "agent.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ag_outcome_clear(ag_outcome_t *o)
{
	free(o->message);
	json_decref(o->data);
	if (o->out_path != NULL) {
		remove(o->out_path);
		free(o->out_path);
	}
	free(o->file_server);
	free(o->file_name);
	memset(o, 0, sizeof(*o));
}

static void fail(ag_outcome_t *o, const kyso_error_t *err)
{
	o->err = err->code != KYSO_OK ? err->code : KYSO_ERR_INTERNAL;
	free(o->message);
	o->message = strdup(kyso_error_message(err));
}

static void fail_msg(ag_outcome_t *o, kyso_err_t code, const char *msg)
{
	o->err = code;
	free(o->message);
	o->message = strdup(msg);
}

/* ---- consent + PIN (docs/agent.md, "Consent and PIN") --------------------------- */

typedef struct {
	const ag_config_t *cfg;
	const ag_request_t *rq;
	ag_pincache_t *cache;
	const char *what; /* "the document X" / "N hashes" */
	const char *key_id;
	uint8_t id[32]; /* token + key */
	bool have_id;
	bool from_cache; /* the PIN came from the cache */
	bool remember;   /* the user chose to remember it (stored, pending the login) */
} consent_t;

/* --pinentry, KYSO_PINENTRY, else NULL: the OS's dialogs or pinentry */
static const char *pinentry_program(const ag_config_t *cfg)
{
	if (cfg->pinentry != NULL)
		return cfg->pinentry;
	const char *e = getenv("KYSO_PINENTRY");
	return e != NULL && *e ? e : NULL;
}

static void duration_text(unsigned secs, char *buf, size_t cap)
{
	if (secs % 60 == 0)
		snprintf(buf, cap, _("%u min"), secs / 60);
	else
		snprintf(buf, cap, _("%u s"), secs);
}

/* Lines after the consent text: the calling program when it is not a
 * browser, a time-stamp server the page named that setup did not configure. */
static void consent_notes(const consent_t *c, char *buf, size_t cap)
{
	size_t n = strlen(buf);
	ag_peer_consent_line(c->rq, buf + n, cap - n);
	n = strlen(buf);
	if (c->rq->op == AG_OP_SIGN_PDF && ag_tsa_from_page(c->cfg, c->rq)) {
		char url[AG_NAME_SHOW], line[AG_NAME_SHOW + 256];
		ag_name_shorten(c->rq->tsa_url, url, sizeof(url));
		snprintf(line, sizeof(line),
		         _("Time stamps from %s: a server named by the web site, not set up by "
		           "kyso setup. Sign only if you trust it."),
		         url);
		snprintf(buf + n, cap - n, "\n%s", line);
	}
}

/* who asks, what, as which role, with which key */
static void consent_text(const consent_t *c, const char *token, const char *subject,
                         kyso_pin_tries_t tries, char *buf, size_t cap)
{
	char t[256] = "";
	const char *tt = kyso_pin_tries_text(tries);
	if (tt != NULL && *tt)
		snprintf(t, sizeof(t), "\n%s", tt);
	/* every value one line of bounded length: the lines below stay in view */
	char site[128], sub[256], tok[96];
	ag_line_clean(c->rq->origin != NULL ? c->rq->origin : "?", 80, site, sizeof(site));
	ag_line_clean(subject != NULL ? subject : "?", 120, sub, sizeof(sub));
	ag_line_clean(token != NULL ? token : "?", 40, tok, sizeof(tok));
	snprintf(buf, cap, _("The web site %s asks to sign %s\nas: %s.\n\nSigner: %s\nToken: %s%s"),
	         site, c->what, ag_role_label(c->rq->role), sub, tok, t);
	consent_notes(c, buf, cap);
}

static kyso_err_t dialog(const consent_t *c, kyso_dialog_t *d, char *pin, size_t cap,
                         kyso_dialog_button_t *b, kyso_error_t *err)
{
	d->title = _("kyso - signature request");
	if (d->cancel == NULL)
		d->cancel = _("Cancel");
	return kyso_dialog_run(pinentry_program(c->cfg), d, pin, cap, b, err);
}

/* Consent only: a cached PIN, or a PIN pad. */
static kyso_err_t consent_confirm(const consent_t *c, const char *base, const char *extra,
                                  kyso_error_t *err)
{
	char desc[3072];
	snprintf(desc, sizeof(desc), "%s\n\n%s", base, extra);
	kyso_dialog_t d = {.desc = desc, .ok = _("Sign")};
	kyso_dialog_button_t b;
	return dialog(c, &d, NULL, 0, &b, err);
}

/* The consent dialog, and the PIN unless it is remembered. Every signature
 * passes here (docs/agent.md). */
static kyso_err_t consent_pin(consent_t *c, kyso_signer_t *s, char *pin, size_t cap,
                              kyso_error_t *err)
{
	char base[2048];
	consent_text(c, kyso_signer_token_label(s), kyso_signer_subject(s),
	             kyso_signer_pin_tries(s), base, sizeof(base));
	kyso_info("agent: asking consent for %s from %s", c->what,
	          c->rq->origin != NULL ? c->rq->origin : "?");
	time_t until = 0;
	if (c->have_id && ag_pincache_get(c->cache, c->id, pin, cap, &until)) {
		char hhmm[16] = "?";
		struct tm tm;
		if (localtime_r(&until, &tm) != NULL)
			strftime(hhmm, sizeof(hhmm), "%H:%M:%S", &tm);
		char extra[512];
		snprintf(extra, sizeof(extra),
		         _("The PIN you let kyso-agent remember is used (until %s). Sign?"), hhmm);
		kyso_err_t rc = consent_confirm(c, base, extra, err);
		if (rc != KYSO_OK)
			kyso_memzero(pin, cap);
		else
			c->from_cache = true;
		return rc;
	}
	unsigned secs = c->cfg->pin_cache_secs;
	if (secs > 0 && c->have_id) {
		/* the opt-in: a third button, off unless chosen */
		char dur[32], extra[768], notok[128];
		duration_text(secs, dur, sizeof(dur));
		snprintf(notok, sizeof(notok), _("Sign, remember PIN (%s)"), dur);
		snprintf(extra, sizeof(extra),
		         _("Sign? The next dialog asks for the token PIN. With \"%s\" kyso-agent "
		           "keeps the PIN in its memory for %s: later signatures still ask you "
		           "here, without the PIN."),
		         notok, dur);
		char desc[3072];
		snprintf(desc, sizeof(desc), "%s\n\n%s", base, extra);
		kyso_dialog_t d = {.desc = desc, .ok = _("Sign"), .extra = notok};
		kyso_dialog_button_t b = KYSO_DIALOG_OK;
		kyso_err_t rc = dialog(c, &d, NULL, 0, &b, err);
		if (rc != KYSO_OK)
			return rc;
		c->remember = b == KYSO_DIALOG_EXTRA;
	}
	char desc[3072], keep[256] = "";
	if (c->remember) { /* the user's explicit choice, said once more where the PIN goes */
		char dur[32];
		duration_text(secs, dur, sizeof(dur));
		keep[0] = '\n';
		snprintf(keep + 1, sizeof(keep) - 1,
		         _("kyso-agent will remember this PIN for %s (your choice)."), dur);
	}
	snprintf(desc, sizeof(desc), "%s\n\n%s%s", base,
	         _("Enter the token PIN to agree, or Cancel to refuse."), keep);
	kyso_dialog_t d = {.getpin = true, .desc = desc, .prompt = _("PIN:"), .ok = _("Sign")};
	kyso_dialog_button_t b;
	return dialog(c, &d, pin, cap, &b, err);
}

static bool token_gone(kyso_err_t e)
{
	return e == KYSO_ERR_NO_TOKEN || e == KYSO_ERR_TOKEN_REMOVED || e == KYSO_ERR_NO_READER ||
	       e == KYSO_ERR_MODULE_LOAD || e == KYSO_ERR_TOKEN;
}

/* Opens the token and the key for a request, fills c's identity. */
static kyso_err_t open_signer(consent_t *c, kyso_sign_opts_t *so, kyso_signer_t **s,
                              kyso_error_t *err)
{
	kyso_err_t rc = kyso_signer_open(so, s, err);
	if (rc != KYSO_OK)
		return rc;
	kyso_buf_t der;
	kyso_buf_init(&der);
	if (kyso_signer_cert_der(*s, &der, err) == KYSO_OK) {
		ag_pincache_id(c->cfg->module, kyso_signer_token_label(*s), &der, c->id);
		c->have_id = true;
	}
	kyso_buf_free(&der);
	return KYSO_OK;
}

/* Consent (and PIN) then login. A PIN pad gets the consent dialog alone; a
 * locked PIN is reported without a dialog (nothing can be signed). A PIN
 * that did not log in is forgotten; one the user chose to remember is kept
 * only once it worked. */
static kyso_err_t consent_login(consent_t *c, kyso_signer_t *s, kyso_error_t *err)
{
	kyso_err_t rc;
	if (kyso_signer_pin_tries(s) == KYSO_PIN_TRIES_LOCKED) {
		rc = kyso_signer_login_pin(s, NULL, err);
	} else if (kyso_signer_has_pinpad(s)) {
		char base[2048];
		consent_text(c, kyso_signer_token_label(s), kyso_signer_subject(s),
		             KYSO_PIN_TRIES_OK, base, sizeof(base));
		rc = consent_confirm(c, base, _("Sign? Then enter the PIN on the reader's keypad."),
		                     err);
		if (rc == KYSO_OK)
			rc = kyso_signer_login_pin(s, NULL, err);
	} else {
		char pin[256];
		rc = consent_pin(c, s, pin, sizeof(pin), err);
		if (rc == KYSO_OK)
			rc = kyso_signer_login_pin(s, pin, err);
		if (rc == KYSO_OK && c->remember &&
		    !ag_pincache_put(c->cache, c->id, c->key_id, pin, c->cfg->pin_cache_secs))
			c->remember = false;
		kyso_memzero(pin, sizeof(pin));
	}
	if (rc != KYSO_OK && rc != KYSO_ERR_PIN_CANCELLED && c->have_id &&
	    ag_pincache_drop(c->cache, c->id))
		kyso_info("agent: the remembered PIN was wiped (%s)", kyso_err_id(rc));
	else if (rc == KYSO_OK && c->remember)
		kyso_info("agent: the PIN of token %s is remembered for %u s (the user's choice)",
		          kyso_signer_token_label(s), c->cfg->pin_cache_secs);
	return rc;
}

/* After the token failed mid-operation: forget its PIN if it went away. */
static void after_token_error(consent_t *c, kyso_err_t rc)
{
	if (token_gone(rc) && c->have_id && ag_pincache_drop(c->cache, c->id))
		kyso_info("agent: the remembered PIN was wiped (token gone: %s)", kyso_err_id(rc));
}

void ag_pincache_check_tokens(const ag_config_t *cfg, ag_pincache_t *cache)
{
	for (size_t i = 0; i < ag_pincache_slots(); i++) {
		uint8_t id[32];
		const char *key_id = NULL;
		if (!ag_pincache_entry(cache, i, id, &key_id))
			continue;
		kyso_sign_opts_t so;
		kyso_sign_opts_init(&so);
		so.token.module = cfg->module;
		so.token.slot = cfg->slot;
		so.token.token = cfg->tokenlabel;
		so.token.key_id = key_id != NULL ? key_id : cfg->key_id;
		kyso_error_t err;
		kyso_error_clear(&err);
		kyso_signer_t *s = NULL;
		bool same = false;
		if (kyso_signer_open(&so, &s, &err) == KYSO_OK) {
			kyso_buf_t der;
			kyso_buf_init(&der);
			uint8_t now[32];
			if (kyso_signer_cert_der(s, &der, &err) == KYSO_OK) {
				ag_pincache_id(cfg->module, kyso_signer_token_label(s), &der, now);
				same = memcmp(now, id, 32) == 0;
			}
			kyso_buf_free(&der);
			kyso_signer_free(&s);
		}
		if (!same) {
			ag_pincache_drop(cache, id);
			kyso_info("agent: the token of a remembered PIN is gone: PIN wiped (%s)",
			          err.code != KYSO_OK ? kyso_err_id(err.code) : "other token");
		}
	}
}

/* ---- files --------------------------------------------------------------------- */

static char *work_file(const ag_config_t *cfg, const char *tag, kyso_error_t *err)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/work", cfg->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot create %s: %s"), dir, strerror(errno));
		return NULL;
	}
	char *p = NULL;
	if (asprintf(&p, "%s/%s-XXXXXX", dir, tag) < 0)
		return NULL;
	int fd = mkstemps(p, 0);
	if (fd < 0) {
		kyso_error_set(err, KYSO_ERR_IO, _("cannot create a file in %s: %s"), dir,
		               strerror(errno));
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

/* the request's PDF as a file (HTTP bodies already are one) */
static const char *input_file(const ag_config_t *cfg, ag_request_t *rq, kyso_error_t *err)
{
	if (rq->pdf_path != NULL)
		return rq->pdf_path;
	char *p = work_file(cfg, "in", err);
	if (p == NULL)
		return NULL;
	if (kyso_file_write_atomic(p, rq->pdf.data, rq->pdf.len, 0600, err) != KYSO_OK) {
		remove(p);
		free(p);
		return NULL;
	}
	kyso_buf_free(&rq->pdf);
	rq->pdf_path = p;
	return p;
}

/* ---- VGCA transfer ----------------------------------------------------------------- */

typedef struct {
	FILE *f;
	uint64_t n, max;
	kyso_buf_t *mem;
} sink_t;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	sink_t *s = ud;
	size_t len = size * nmemb;
	if (s->n + len > s->max)
		return 0;
	s->n += len;
	if (s->f != NULL)
		return fwrite(ptr, 1, len, s->f);
	return kyso_buf_append(s->mem, ptr, len) == KYSO_OK ? len : 0;
}

/* a page's value that may go into an HTTP header: non-empty, no CR/LF/NUL */
static bool header_safe(const char *v)
{
	return v != NULL && *v && strpbrk(v, "\r\n") == NULL && strlen(v) < 4096;
}

static CURL *curl_for(const char *url, const ag_request_t *rq, struct curl_slist **hdrs)
{
	CURL *c = curl_easy_init();
	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kyso-agent/" KYSO_VERSION);
	*hdrs = NULL;
	char *h = NULL;
	if (header_safe(rq->jwt) && asprintf(&h, "Authorization: Bearer %s", rq->jwt) >= 0) {
		*hdrs = curl_slist_append(*hdrs, h);
		free(h);
	}
	/* SessionId ("xác thực cookies"): the page's session cookie, which the
	 * agent cannot read from the browser. "name=value[; ...]" is sent as the
	 * Cookie header verbatim; a bare id as the ASP.NET session cookie (the
	 * VGCA service and its integrators are .NET) **(choice, docs/agent.md)** */
	if (header_safe(rq->session_id) &&
	    asprintf(&h,
	             strchr(rq->session_id, '=') != NULL ? "Cookie: %s"
	                                                 : "Cookie: ASP.NET_SessionId=%s",
	             rq->session_id) >= 0) {
		*hdrs = curl_slist_append(*hdrs, h);
		free(h);
	}
	if (rq->origin != NULL && asprintf(&h, "Origin: %s", rq->origin) >= 0) {
		*hdrs = curl_slist_append(*hdrs, h);
		free(h);
	}
	if (*hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return c;
}

static kyso_err_t vgca_download(const ag_config_t *cfg, ag_request_t *rq, kyso_error_t *err)
{
	char *url = NULL;
	if (!ag_url_allowed(cfg, rq->origin, rq->file_url, &url))
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                      _("FileName must be on the calling page's site (%s)"),
		                      rq->origin != NULL ? rq->origin : "?");
	char *path = work_file(cfg, "dl", err);
	if (path == NULL) {
		free(url);
		return err->code;
	}
	FILE *f = fopen(path, "wb");
	struct curl_slist *hdrs = NULL;
	CURL *c = f != NULL ? curl_for(url, rq, &hdrs) : NULL;
	kyso_err_t rc = KYSO_OK;
	if (c == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("cannot download %s"), url);
	} else {
		sink_t s = {.f = f, .max = AG_MAX_PDF};
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		CURLcode cr = curl_easy_perform(c);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (cr == CURLE_WRITE_ERROR && s.n + 1 > AG_MAX_PDF)
			rc = kyso_error_set(err, KYSO_ERR_TOO_LARGE,
			                    _("the document is larger than 50 MB"));
		else if (cr != CURLE_OK)
			rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("cannot download %s: %s"), url,
			                    curl_easy_strerror(cr));
		else if (code < 200 || code > 299)
			rc = kyso_error_set(err, KYSO_ERR_NETWORK,
			                    _("cannot download %s: HTTP %ld"), url, code);
		curl_easy_cleanup(c);
	}
	curl_slist_free_all(hdrs);
	if (f != NULL && fclose(f) != 0 && rc == KYSO_OK)
		rc = kyso_error_set(err, KYSO_ERR_IO, _("cannot write %s"), path);
	free(url);
	if (rc != KYSO_OK) {
		remove(path);
		free(path);
		return rc;
	}
	rq->pdf_path = path;
	return KYSO_OK;
}

static void add_field(curl_mime *m, const char *name, const char *value)
{
	if (value == NULL)
		return;
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, name);
	curl_mime_data(p, value, CURL_ZERO_TERMINATED);
}

static kyso_err_t vgca_upload(const ag_config_t *cfg, const ag_request_t *rq, ag_outcome_t *o,
                              kyso_error_t *err)
{
	char *url = NULL;
	if (!ag_url_allowed(cfg, rq->origin, rq->upload_url, &url))
		return kyso_error_set(
		        err, KYSO_ERR_BAD_INPUT,
		        _("FileUploadHandler must be on the calling page's site (%s)"),
		        rq->origin != NULL ? rq->origin : "?");
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_for(url, rq, &hdrs);
	if (c == NULL) {
		free(url);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	curl_mime *m = curl_mime_init(c);
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, "uploadfile");
	curl_mime_filedata(p, o->out_path);
	curl_mime_filename(p, rq->doc_name != NULL ? rq->doc_name : "signed.pdf");
	curl_mime_type(p, "application/pdf");
	add_field(m, "SessionId", rq->session_id);
	add_field(m, "DocNumber", rq->doc_number);
	add_field(m, "IssuedDate", rq->doc_date);
	add_field(m, "Operation", rq->vgca_op);
	if (rq->metadata != NULL) {
		char *md = json_dumps(rq->metadata, JSON_COMPACT);
		add_field(m, "MetaData", md);
		free(md);
		size_t i;
		json_t *it;
		json_array_foreach(rq->metadata, i, it)
		{
			json_t *v = json_object_get(it, "Value");
			const char *k = json_string_value(json_object_get(it, "Key"));
			if (k != NULL && json_is_string(v) && strcmp(k, "uploadfile") != 0)
				add_field(m, k, json_string_value(v));
		}
	}
	curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
	kyso_buf_t body;
	kyso_buf_init(&body);
	sink_t s = {.mem = &body, .max = 1 << 20};
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	CURLcode cr = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	kyso_err_t rc = KYSO_OK;
	if (cr != CURLE_OK)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("cannot upload to %s: %s"), url,
		                    curl_easy_strerror(cr));
	else if (code < 200 || code > 299)
		rc = kyso_error_set(err, KYSO_ERR_NETWORK, _("the upload to %s failed: HTTP %ld"),
		                    url, code);
	if (rc == KYSO_OK) {
		json_error_t je;
		json_t *j = json_loadb((const char *)body.data, body.len, 0, &je);
		json_t *st = json_object_get(j, "Status");
		if (st != NULL &&
		    (json_is_false(st) || (json_is_integer(st) && json_integer_value(st) != 0))) {
			const char *msg = json_string_value(json_object_get(j, "Message"));
			rc = kyso_error_set(err, KYSO_ERR_NETWORK,
			                    _("the upload handler refused the file: %s"),
			                    msg != NULL ? msg : "Status");
		}
		const char *fs = json_string_value(json_object_get(j, "FileServer"));
		const char *fn = json_string_value(json_object_get(j, "FileName"));
		if (fs != NULL)
			o->file_server = strdup(fs);
		else if (j == NULL && body.len > 0 && body.len < 4096)
			o->file_server = strndup((const char *)body.data, body.len);
		if (fn != NULL)
			o->file_name = strdup(fn);
		json_decref(j);
	}
	kyso_buf_free(&body);
	curl_mime_free(m);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

/* ---- certificates ---------------------------------------------------------------- */

static void token_sel(const ag_config_t *cfg, const ag_request_t *rq, kyso_token_sel_t *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->module = cfg->module;
	sel->slot = cfg->slot;
	sel->token = cfg->tokenlabel;
	sel->key_id = rq->key_id != NULL ? rq->key_id : cfg->key_id;
	sel->serial = rq->serial;
	sel->choose = true; /* several signing certificates: the chooser */
}

static char *asn1_time_text(const ASN1_TIME *t)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return strdup("");
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* a name's CN (UTF-8), "" without one */
static json_t *name_cn(const X509_NAME *n)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *u = NULL;
	if (i < 0 ||
	    ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i))) < 0)
		return json_string("");
	json_t *j = json_string((const char *)u);
	OPENSSL_free(u);
	return j != NULL ? j : json_string("");
}

/* what VNPT pages read besides the basics: CNs, signature algorithm, key usage */
static void cert_vnpt_fields(X509 *x, json_t *j)
{
	json_object_set_new(j, "subject_cn", name_cn(X509_get_subject_name(x)));
	json_object_set_new(j, "issuer_cn", name_cn(X509_get_issuer_name(x)));
	char alg[80] = "";
	OBJ_obj2txt(alg, sizeof(alg), OBJ_nid2obj(X509_get_signature_nid(x)), 0);
	json_object_set_new(j, "signature_algorithm", json_string(alg));
	static const struct {
		uint32_t bit;
		const char *name;
	} ku[] = {{KU_DIGITAL_SIGNATURE, "DigitalSignature"},
	          {KU_NON_REPUDIATION, "NonRepudiation"},
	          {KU_KEY_ENCIPHERMENT, "KeyEncipherment"},
	          {KU_DATA_ENCIPHERMENT, "DataEncipherment"},
	          {KU_KEY_AGREEMENT, "KeyAgreement"},
	          {KU_KEY_CERT_SIGN, "KeyCertSign"},
	          {KU_CRL_SIGN, "CrlSign"}};
	uint32_t v = X509_get_key_usage(x);
	kyso_buf_t b;
	kyso_buf_init(&b);
	for (size_t i = 0; v != UINT32_MAX && i < sizeof(ku) / sizeof(ku[0]); i++)
		if (v & ku[i].bit)
			kyso_buf_printf(&b, "%s%s", b.len ? ", " : "", ku[i].name);
	kyso_buf_append(&b, "", 1);
	json_object_set_new(j, "key_usage", json_string((const char *)b.data));
	kyso_buf_free(&b);
}

/* the signing certificate of an open token as the protocols list it */
static json_t *cert_json(const kyso_signer_t *s, kyso_error_t *err)
{
	kyso_buf_t der;
	kyso_buf_init(&der);
	if (kyso_signer_cert_der(s, &der, err) != KYSO_OK)
		return NULL;
	const unsigned char *q = der.data;
	X509 *x = d2i_X509(NULL, &q, (long)der.len);
	char *b64 = ag_b64_encode(der.data, der.len, NULL);
	kyso_buf_free(&der);
	if (x == NULL || b64 == NULL) {
		X509_free(x);
		free(b64);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	char iss[512];
	kyso_signer_issuer(s, iss, sizeof(iss));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *serial = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	char *nb = asn1_time_text(X509_get0_notBefore(x));
	char *na = asn1_time_text(X509_get0_notAfter(x));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "subject",
	                      kyso_signer_subject(s), "issuer", iss, "serial",
	                      serial != NULL ? serial : "", "not_before", nb, "not_after", na,
	                      "token", kyso_signer_token_label(s), "certificate", b64);
	OPENSSL_free(serial);
	if (j != NULL)
		cert_vnpt_fields(x, j);
	X509_free(x);
	free(b64);
	free(nb);
	free(na);
	if (j == NULL)
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	return j;
}

static void op_certs(const ag_config_t *cfg, const ag_request_t *rq, ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	kyso_signer_t *s = NULL;
	if (kyso_signer_open(&so, &s, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	json_t *c = cert_json(s, &err);
	if (c == NULL)
		fail(o, &err);
	else
		o->data = json_pack("[o]", c);
	kyso_signer_free(&s);
}

/* ---- signing ------------------------------------------------------------------------ */

static const char *role_reason_vi(ag_role_t r)
{
	switch (r) {
	case AG_ROLE_INITIAL:
		return "Ký nháy";
	case AG_ROLE_APPROVAL:
		return "Ký duyệt";
	case AG_ROLE_APPENDIX:
		return "Ký phụ lục";
	case AG_ROLE_ISSUE:
		return "Văn thư cấp số, ngày";
	case AG_ROLE_COPY:
		return "Ký sao";
	case AG_ROLE_COMMENT:
		return "Ký ý kiến";
	case AG_ROLE_INCOME:
		return "Ký văn bản đến";
	case AG_ROLE_NONE:
		break;
	}
	return NULL;
}

/* the /Reason: the page's reason, else the role; plus number and date */
static char *compose_reason(const ag_request_t *rq)
{
	const char *base =
	        rq->reason != NULL && *rq->reason ? rq->reason : role_reason_vi(rq->role);
	kyso_buf_t b;
	kyso_buf_init(&b);
	if (base != NULL)
		kyso_buf_printf(&b, "%s", base);
	if (rq->doc_number != NULL && *rq->doc_number)
		kyso_buf_printf(&b, "%sSố: %s", b.len ? "; " : "", rq->doc_number);
	if (rq->doc_date != NULL && *rq->doc_date)
		kyso_buf_printf(&b, "%sNgày: %s", b.len ? "; " : "", rq->doc_date);
	if (b.len == 0) {
		kyso_buf_free(&b);
		return NULL;
	}
	kyso_buf_append(&b, "", 1);
	return (char *)b.data;
}

/* The visible appearance (issue 6): the page's rectangle and text, the role
 * with its defaults. A request without a position and without a role signs
 * invisibly (NULL). */
static kyso_visible_t *visible_from(const ag_request_t *rq, kyso_error_t *err)
{
	if (!rq->has_position && rq->role == AG_ROLE_NONE)
		return NULL;
	kyso_visible_t *v = kyso_visible_new();
	if (v == NULL) {
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	const char *role = NULL;
	switch (rq->role) {
	case AG_ROLE_INITIAL:
		role = "initial";
		break;
	case AG_ROLE_APPROVAL:
		role = "approve";
		break;
	case AG_ROLE_APPENDIX:
		role = "appendix";
		break;
	case AG_ROLE_ISSUE:
		role = "issue";
		break;
	default:
		break; /* copy, comment, income: the plain appearance */
	}
	kyso_err_t rc = kyso_visible_set_role(v, role, err);
	if (rq->has_position)
		kyso_visible_set_rect(v, rq->page, rq->llx, rq->lly, rq->urx - rq->llx,
		                      rq->ury - rq->lly);
	if (rc == KYSO_OK)
		rc = kyso_visible_set_text(v, rq->appearance_text, err);
	if (rc == KYSO_OK && rq->doc_number != NULL && *rq->doc_number)
		rc = kyso_visible_set_number(v, rq->doc_number, err);
	const char *d = rq->doc_date;
	if (rc == KYSO_OK && d != NULL && strlen(d) >= 10 && d[4] == '-' && d[7] == '-') {
		char date[11];
		memcpy(date, d, 10);
		date[10] = '\0';
		rc = kyso_visible_set_date(v, date, err);
	}
	if (rc != KYSO_OK)
		kyso_visible_free(&v);
	return v;
}

static void op_sign_pdf(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq,
                        ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	if (rq->proto == AG_PROTO_VGCA && vgca_download(cfg, rq, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	const char *in = input_file(cfg, rq, &err);
	char *out = in != NULL ? work_file(cfg, "out", &err) : NULL;
	if (out == NULL) {
		fail(o, &err);
		return;
	}
	o->out_path = out;
	char what[600];
	char name[AG_NAME_SHOW + 8];
	ag_doc_label(rq, name, sizeof(name));
	snprintf(what, sizeof(what), _("the document \"%s\""), name);
	if (rq->advanced_custom && !rq->invisible) {
		/* the page asked for the vendor's placement form: say where it goes */
		size_t n = strlen(what);
		snprintf(what + n, sizeof(what) - n,
		         _(" (visible signature on page %d at %.0f,%.0f-%.0f,%.0f pt)"), rq->page,
		         rq->llx, rq->lly, rq->urx, rq->ury);
	}
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	so.digest = rq->digest;
	so.chain_file = cfg->chain_file;
	so.max_size = AG_MAX_PDF;
	so.field_name = rq->field_name;
	so.name = rq->signer_name;
	kyso_err_t rc = KYSO_OK;
	kyso_visible_t *vis = NULL;
	if (!rq->invisible && (rq->has_position || rq->role != AG_ROLE_NONE)) {
		vis = visible_from(rq, &err);
		if (vis == NULL)
			rc = err.code;
		else
			so.appearance = kyso_visible_opts(vis);
	}
	if (rq->tsa_url != NULL && *rq->tsa_url)
		so.tsa_url = rq->tsa_url;
	else if (cfg->pades != NULL)
		so.tsa_url = cfg->tsa_url;
	bool lta = cfg->pades != NULL && strcmp(cfg->pades, "B-LTA") == 0 && so.tsa_url != NULL;
	so.ltv = cfg->pades != NULL && strncmp(cfg->pades, "B-LT", 4) == 0;
	char *reason = compose_reason(rq);
	so.reason = reason;
	so.location = rq->location;
	so.contact_info = rq->contact;
	consent_t c = {
	        .cfg = cfg, .rq = rq, .cache = cache, .what = what, .key_id = so.token.key_id};
	kyso_signer_t *s = NULL;
	kyso_sign_result_t res;
	memset(&res, 0, sizeof(res));
	uint64_t t0 = kyso_now_ms();
	if (rc == KYSO_OK)
		rc = open_signer(&c, &so, &s, &err);
	if (rc == KYSO_OK)
		rc = consent_login(&c, s, &err);
	if (rc == KYSO_OK) {
		rc = kyso_signer_sign_pdf(s, in, out, &res, &err);
		if (rc != KYSO_OK)
			after_token_error(&c, rc);
	}
	kyso_timestamp_opts_t lo = {so.tsa_url, NULL, NULL, 0, NULL};
	if (rc == KYSO_OK && lta)
		rc = kyso_pdf_timestamp(out, out, &lo, &err);
	kyso_signer_free(&s);
	kyso_visible_free(&vis);
	free(reason);
	if (rc != KYSO_OK) {
		kyso_warn("agent: signing for %s failed: %s", rq->origin != NULL ? rq->origin : "?",
		          kyso_error_message(&err));
		if (so.tsa_url != NULL && (rc == KYSO_ERR_NETWORK || rc == KYSO_ERR_TSA)) {
			/* one fixed answer: what went wrong with the server (refused,
			 * not a TSA, which host) stays in the log, not a port scan for
			 * the page */
			fail_msg(o, KYSO_ERR_TSA,
			         _("Time stamping failed: the time-stamp server could not be used "
			           "(kyso-agent's log has the details)."));
			return;
		}
		fail(o, &err);
		return;
	}
	o->out_len = res.out_size;
	snprintf(o->signer, sizeof(o->signer), "%s", res.signer_subject);
	kyso_info("agent: signed %s for %s in %llu ms", what, rq->origin != NULL ? rq->origin : "?",
	          (unsigned long long)(kyso_now_ms() - t0));
	o->data = json_pack("{s:s, s:s, s:I}", "signer", res.signer_subject, "field",
	                    res.field_name, "size", (json_int_t)res.out_size);
	/* what the signer library cannot do yet */
	json_t *na = json_array();
	if (rq->ignored != NULL)
		json_array_append_new(na, json_string(rq->ignored));
	json_object_set_new(o->data, "not_applied", na);
	if (rq->proto == AG_PROTO_VGCA && vgca_upload(cfg, rq, o, &err) != KYSO_OK)
		fail(o, &err);
}

static void op_sign_hash(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq,
                         ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char what[600];
	if (rq->nhashes == 1)
		snprintf(what, sizeof(what), _("a document hash (%s) for \"%s\""),
		         kyso_digest_name(rq->hashes[0].alg),
		         rq->doc_name != NULL ? rq->doc_name : _("(unnamed)"));
	else
		snprintf(what, sizeof(what), _("%zu document hashes for \"%s\""), rq->nhashes,
		         rq->doc_name != NULL ? rq->doc_name : _("(unnamed)"));
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	consent_t c = {
	        .cfg = cfg, .rq = rq, .cache = cache, .what = what, .key_id = so.token.key_id};
	kyso_signer_t *s = NULL;
	kyso_err_t rc = open_signer(&c, &so, &s, &err);
	if (rc == KYSO_OK)
		rc = consent_login(&c, s, &err);
	json_t *sigs = json_array();
	kyso_buf_t sig;
	kyso_buf_init(&sig);
	for (size_t i = 0; rc == KYSO_OK && i < rq->nhashes; i++) {
		rc = kyso_signer_sign_digest(s, rq->hashes[i].alg, rq->hashes[i].d,
		                             rq->hashes[i].len, &sig, &err);
		if (rc == KYSO_OK) {
			char *b = ag_b64_encode(sig.data, sig.len, NULL);
			json_array_append_new(sigs, json_pack("{s:s, s:s}", "algorithm",
			                                      kyso_digest_name(rq->hashes[i].alg),
			                                      "signature", b != NULL ? b : ""));
			free(b);
		} else {
			after_token_error(&c, rc);
		}
	}
	kyso_buf_free(&sig);
	json_t *cj = rc == KYSO_OK ? cert_json(s, &err) : NULL;
	if (rc == KYSO_OK && cj == NULL)
		rc = err.code;
	if (rc != KYSO_OK) {
		json_decref(sigs);
		fail(o, &err);
	} else {
		o->data = json_pack("{s:o, s:O, s:O}", "signatures", sigs, "certificate",
		                    json_object_get(cj, "certificate"), "signer",
		                    json_object_get(cj, "subject"));
		snprintf(o->signer, sizeof(o->signer), "%s", kyso_signer_subject(s));
	}
	json_decref(cj);
	kyso_signer_free(&s);
}

/* Each item: a detached CMS or a raw signature (signArrDataAdvanced
 * cmsdetached/hash, signCms, VGCA SignMsg/Auth). One consent for all. Items
 * that could not be read keep their own code. o->data: {"items":[{code, data,
 * error}...], "certificate", "serial"}. */
static void op_sign_items(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq,
                          ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char what[600];
	char name[AG_NAME_SHOW + 8];
	ag_doc_label(rq, name, sizeof(name));
	size_t n = 0;
	for (size_t i = 0; i < rq->nitems; i++)
		n += rq->items[i].kind != AG_ITEM_BAD;
	if (rq->nitems == 1)
		snprintf(what, sizeof(what), _("the data of \"%s\""), name);
	else
		snprintf(what, sizeof(what), _("%zu documents or hashes for \"%s\""), n, name);
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	so.chain_file = cfg->chain_file;
	consent_t c = {
	        .cfg = cfg, .rq = rq, .cache = cache, .what = what, .key_id = so.token.key_id};
	kyso_signer_t *s = NULL;
	kyso_err_t rc = n > 0 ? open_signer(&c, &so, &s, &err) : KYSO_OK;
	if (rc == KYSO_OK && n > 0)
		rc = consent_login(&c, s, &err);
	json_t *items = json_array();
	kyso_buf_t sig;
	kyso_buf_init(&sig);
	for (size_t i = 0; rc == KYSO_OK && i < rq->nitems; i++) {
		const ag_item_t *it = &rq->items[i];
		if (it->kind == AG_ITEM_BAD) {
			json_array_append_new(items, json_pack("{s:i, s:s, s:s}", "code", it->code,
			                                       "data", "", "error", it->error));
			continue;
		}
		if (it->kind == AG_ITEM_CMS)
			rc = kyso_signer_sign_cms(s, it->h.alg, it->h.d, it->h.len, &sig, &err);
		else
			rc = kyso_signer_sign_digest(s, it->h.alg, it->h.d, it->h.len, &sig, &err);
		if (rc != KYSO_OK) {
			after_token_error(&c, rc);
			break;
		}
		char *b = ag_b64_encode(sig.data, sig.len, NULL);
		json_array_append_new(items, json_pack("{s:i, s:s, s:s, s:b}", "code", 0, "data",
		                                       b != NULL ? b : "", "error", "", "serial",
		                                       it->serial));
		free(b);
	}
	kyso_buf_free(&sig);
	json_t *cj = rc == KYSO_OK && s != NULL ? cert_json(s, &err) : NULL;
	if (rc == KYSO_OK && s != NULL && cj == NULL)
		rc = err.code;
	if (rc != KYSO_OK) {
		json_decref(items);
		fail(o, &err);
	} else {
		o->data = json_pack("{s:o, s:O?, s:O?}", "items", items, "certificate",
		                    json_object_get(cj, "certificate"), "serial",
		                    json_object_get(cj, "serial"));
		if (s != NULL)
			snprintf(o->signer, sizeof(o->signer), "%s", kyso_signer_subject(s));
	}
	json_decref(cj);
	kyso_signer_free(&s);
}

/* signXML / xml item: XMLDSig enveloped through the signer library */
static void op_sign_xml(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq,
                        ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	if (!kyso_xml_available()) {
		kyso_xml_sign(NULL, NULL, 0, NULL, NULL, &err);
		fail(o, &err);
		return;
	}
	char what[600];
	char name[AG_NAME_SHOW + 8];
	if (rq->doc_name != NULL)
		ag_name_shorten(rq->doc_name, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%.1f KB", (double)rq->pdf.len / 1e3);
	snprintf(what, sizeof(what), _("the XML document \"%s\""), name);
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	consent_t c = {
	        .cfg = cfg, .rq = rq, .cache = cache, .what = what, .key_id = so.token.key_id};
	kyso_signer_t *s = NULL;
	kyso_err_t rc = open_signer(&c, &so, &s, &err);
	if (rc == KYSO_OK)
		rc = consent_login(&c, s, &err);
	kyso_buf_t out;
	kyso_buf_init(&out);
	kyso_xml_opts_t xo = {
	        .parent = rq->xml_parent, .ref_id = rq->xml_ref, .digest = rq->digest};
	if (rc == KYSO_OK) {
		rc = kyso_xml_sign(s, rq->pdf.data, rq->pdf.len, &xo, &out, &err);
		if (rc != KYSO_OK)
			after_token_error(&c, rc);
	}
	if (rc != KYSO_OK) {
		fail(o, &err);
	} else {
		char *b = ag_b64_encode(out.data, out.len, NULL);
		o->data = json_pack("{s:s}", "xml", b != NULL ? b : "");
		free(b);
		snprintf(o->signer, sizeof(o->signer), "%s", kyso_signer_subject(s));
	}
	kyso_buf_free(&out);
	kyso_signer_free(&s);
}

/* "d/M/yyyy H:m:s" (local time), as pages send timeCheck; else now */
static time_t check_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (s != NULL && sscanf(s, "%d/%d/%d %d:%d:%d", &tm.tm_mday, &tm.tm_mon, &tm.tm_year,
	                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec) >= 3) {
		tm.tm_mon -= 1;
		tm.tm_year -= 1900;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if (t != (time_t)-1)
			return t;
	}
	return time(NULL);
}

/* VNPT certificate checks (table 7C): o->data = {"result": N} */
static void op_cert_check(const ag_config_t *cfg, ag_request_t *rq, ag_outcome_t *o)
{
	int f = rq->function_id;
	int result;
	if (f == 18 || f == 19 || f == 21 || f == 22) {
		/* OCSP / CRL: kyso-agent does not query revocation for pages */
		result = 6;
	} else {
		kyso_buf_t der;
		kyso_buf_init(&der);
		bool given = f == 15 || f == 17;
		if (given) {
			kyso_buf_append(&der, rq->cert.data, rq->cert.len);
		} else {
			kyso_error_t err;
			kyso_error_clear(&err);
			kyso_sign_opts_t so;
			kyso_sign_opts_init(&so);
			token_sel(cfg, rq, &so.token);
			kyso_signer_t *s = NULL;
			if (kyso_signer_open(&so, &s, &err) == KYSO_OK)
				(void)kyso_signer_cert_der(s, &der, &err);
			kyso_signer_free(&s);
		}
		kyso_verify_opts_t vo;
		memset(&vo, 0, sizeof(vo));
		vo.ca_files = (const char *const *)cfg->ca_files;
		kyso_cert_status_t st = kyso_cert_check(der.data, der.len, check_time(rq->doc_date),
		                                        &vo, cfg->chain_file, f == 14 || f == 15);
		kyso_buf_free(&der);
		static const int map[] = {
		        [KYSO_CERT_OK] = 0,
		        [KYSO_CERT_EXPIRED] = 2,
		        [KYSO_CERT_NOT_YET] = 3,
		        [KYSO_CERT_REVOKED] = 4,
		        [KYSO_CERT_NO_SIGN_USAGE] = 5,
		        [KYSO_CERT_UNTRUSTED] = 7,
		        [KYSO_CERT_NO_CA] = 9,
		        [KYSO_CERT_BAD] = 8,
		};
		result = map[st];
	}
	o->data = json_pack("{s:i}", "result", result);
}

static void op_verify(const ag_config_t *cfg, ag_request_t *rq, ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	if (rq->proto == AG_PROTO_VGCA && vgca_download(cfg, rq, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	const char *in = input_file(cfg, rq, &err);
	if (in == NULL) {
		fail(o, &err);
		return;
	}
	kyso_verify_opts_t vo;
	memset(&vo, 0, sizeof(vo));
	vo.ca_files = (const char *const *)cfg->ca_files;
	vo.max_size = AG_MAX_PDF;
	json_t *report = NULL;
	bool all_valid = false;
	if (kyso_verify_pdf(in, &vo, &report, &all_valid, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	/* no local path reaches a page: not the agent's temp file, not the
	 * trust anchors' files (where kyso is installed, the user's --ca) */
	json_object_del(report, "file");
	json_object_del(report, "anchors");
	o->data = report;
}

void ag_exec(const ag_config_t *cfg, ag_pincache_t *cache, ag_request_t *rq, ag_outcome_t *o)
{
	memset(o, 0, sizeof(*o));
	switch (rq->op) {
	case AG_OP_CERTS:
		op_certs(cfg, rq, o);
		break;
	case AG_OP_SIGN_PDF:
		op_sign_pdf(cfg, cache, rq, o);
		break;
	case AG_OP_SIGN_HASH:
		op_sign_hash(cfg, cache, rq, o);
		break;
	case AG_OP_VERIFY:
		op_verify(cfg, rq, o);
		break;
	case AG_OP_SIGN_ITEMS:
		op_sign_items(cfg, cache, rq, o);
		break;
	case AG_OP_CERT_CHECK:
		op_cert_check(cfg, rq, o);
		break;
	case AG_OP_SIGN_XML:
		op_sign_xml(cfg, cache, rq, o);
		break;
	case AG_OP_NONE:
		fail_msg(o, rq->err != KYSO_OK ? rq->err : KYSO_ERR_BAD_INPUT,
		         rq->err_msg != NULL ? rq->err_msg : "bad request");
		break;
	default:
		break; /* status, version, license: answered from the reply builder */
	}
}
