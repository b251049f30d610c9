/* Running one request in the token worker: the consent + PIN prompt, PDF
 * signing through the signer library, digest signing and certificate listing
 * through its PKCS#11 layer, verification, and for VGCA the download of the
 * document and the upload of the result. */
#include "agent.h"
#include "appearance.h"
#include "sign_int.h"

#include <curl/curl.h>
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

/* ---- the prompt ----------------------------------------------------------------- */

typedef struct {
	const ag_config_t *cfg;
	const ag_request_t *rq;
	const char *what; /* "the document X" / "N hashes" */
} prompt_ctx_t;

static const char *pinentry_program(const ag_config_t *cfg)
{
	if (cfg->pinentry != NULL)
		return cfg->pinentry;
	const char *e = getenv("KYSO_PINENTRY");
	return e != NULL && *e ? e : "pinentry";
}

static kyso_err_t prompt_pin(void *vctx, const kyso_pin_request_t *req, char *pin, size_t cap,
                             kyso_error_t *err)
{
	prompt_ctx_t *c = vctx;
	char tries[256] = "";
	const char *t = kyso_pin_tries_text(req->tries);
	if (t != NULL && *t)
		snprintf(tries, sizeof(tries), "\n%s", t);
	char desc[2048];
	snprintf(desc, sizeof(desc),
	         _("The web site %s asks to sign %s\nas: %s.\n\nSigner: %s\nToken: %s%s\n\nEnter "
	           "the "
	           "token PIN to agree, or Cancel to refuse."),
	         c->rq->origin != NULL ? c->rq->origin : "?", c->what, ag_role_label(c->rq->role),
	         req->cert_subject != NULL ? req->cert_subject : "?",
	         req->token_label != NULL ? req->token_label : "?", tries);
	kyso_pin_request_t r2 = *req;
	r2.description = desc;
	kyso_info("agent: asking consent and PIN for %s from %s", c->what,
	          c->rq->origin != NULL ? c->rq->origin : "?");
	return kyso_pin_pinentry(pinentry_program(c->cfg), &r2, pin, cap, err);
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
	int fd = mkstemp(p);
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
	if (rq->jwt != NULL && *rq->jwt && asprintf(&h, "Authorization: Bearer %s", rq->jwt) >= 0) {
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

static json_t *cert_json(X509 *x, const char *token)
{
	char subj[512], iss[512];
	kyso_x509_name_line(X509_get_subject_name(x), subj, sizeof(subj));
	kyso_x509_name_line(X509_get_issuer_name(x), iss, sizeof(iss));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *serial = bn != NULL ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	unsigned char *der = NULL;
	int dlen = i2d_X509(x, &der);
	char *b64 = dlen > 0 ? ag_b64_encode(der, (size_t)dlen, NULL) : NULL;
	OPENSSL_free(der);
	char *nb = asn1_time_text(X509_get0_notBefore(x));
	char *na = asn1_time_text(X509_get0_notAfter(x));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "subject", subj, "issuer",
	                      iss, "serial", serial != NULL ? serial : "", "not_before", nb,
	                      "not_after", na, "token", token, "certificate", b64);
	OPENSSL_free(serial);
	free(b64);
	free(nb);
	free(na);
	return j;
}

static void op_certs(const ag_config_t *cfg, const ag_request_t *rq, ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_token_sel_t sel;
	token_sel(cfg, rq, &sel);
	kyso_p11_t *p = NULL;
	if (kyso_p11_open(&sel, &p, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	json_t *arr = json_array();
	json_array_append_new(arr, cert_json(kyso_p11_cert(p), kyso_p11_token_label(p)));
	o->data = arr;
	kyso_p11_free(&p);
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
 * invisibly. date gets the YYYY-MM-DD part of the document date. */
static bool appearance_from(const ag_request_t *rq, kyso_appearance_opts_t *ap, char date[11])
{
	if (!rq->has_position && rq->role == AG_ROLE_NONE)
		return false;
	kyso_appearance_opts_init(ap);
	ap->visible = true;
	switch (rq->role) {
	case AG_ROLE_INITIAL:
		ap->role = KYSO_ROLE_INITIAL;
		break;
	case AG_ROLE_APPROVAL:
		ap->role = KYSO_ROLE_APPROVE;
		break;
	case AG_ROLE_APPENDIX:
		ap->role = KYSO_ROLE_APPENDIX;
		break;
	case AG_ROLE_ISSUE:
		ap->role = KYSO_ROLE_ISSUE;
		break;
	default:
		ap->role = KYSO_ROLE_NONE;
		break;
	}
	if (rq->has_position) {
		ap->page = rq->page;
		ap->has_rect = true;
		ap->rect[0] = rq->llx;
		ap->rect[1] = rq->lly;
		ap->rect[2] = rq->urx - rq->llx;
		ap->rect[3] = rq->ury - rq->lly;
	}
	ap->text = rq->appearance_text;
	ap->number = rq->doc_number != NULL && *rq->doc_number ? rq->doc_number : NULL;
	const char *d = rq->doc_date;
	if (d != NULL && strlen(d) >= 10 && d[4] == '-' && d[7] == '-') {
		memcpy(date, d, 10);
		date[10] = '\0';
		ap->date = date;
	}
	kyso_role_defaults(ap);
	return true;
}

static void op_sign_pdf(const ag_config_t *cfg, ag_request_t *rq, ag_outcome_t *o)
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
	char what[600];
	snprintf(what, sizeof(what), _("the document \"%s\""),
	         rq->doc_name != NULL ? rq->doc_name : _("(unnamed)"));
	prompt_ctx_t pc = {cfg, rq, what};
	kyso_sign_opts_t so;
	kyso_sign_opts_init(&so);
	token_sel(cfg, rq, &so.token);
	so.pin_fn = prompt_pin;
	so.pin_ctx = &pc;
	so.pinentry = pinentry_program(cfg);
	so.digest = rq->digest;
	so.chain_file = cfg->chain_file;
	so.max_size = AG_MAX_PDF;
	so.field_name = rq->field_name;
	so.name = rq->signer_name;
	kyso_appearance_opts_t ap;
	char date[11] = "";
	if (appearance_from(rq, &ap, date))
		so.appearance = &ap;
	if (rq->tsa_url != NULL && *rq->tsa_url)
		so.tsa_url = rq->tsa_url;
	char *reason = compose_reason(rq);
	so.reason = reason;
	so.location = rq->location;
	so.contact_info = rq->contact;
	kyso_sign_result_t res;
	memset(&res, 0, sizeof(res));
	uint64_t t0 = kyso_now_ms();
	kyso_err_t rc = kyso_sign_pdf(&so, in, out, &res, &err);
	free(reason);
	o->out_path = out;
	if (rc != KYSO_OK) {
		kyso_warn("agent: signing for %s failed: %s", rq->origin != NULL ? rq->origin : "?",
		          kyso_error_message(&err));
		fail(o, &err);
		return;
	}
	o->out_len = res.out_size;
	snprintf(o->signer, sizeof(o->signer), "%s", res.signer_subject);
	kyso_info("agent: signed %s for %s in %llu ms", what, rq->origin != NULL ? rq->origin : "?",
	          (unsigned long long)(kyso_now_ms() - t0));
	o->data = json_pack("{s:s, s:s, s:I}", "signer", res.signer_subject, "field",
	                    res.field_name, "size", (json_int_t)res.out_size);
	/* what the signer library cannot do yet (visible appearance: issue 6) */
	json_t *na = json_array();
	if (rq->ignored != NULL)
		json_array_append_new(na, json_string(rq->ignored));
	json_object_set_new(o->data, "not_applied", na);
	if (rq->proto == AG_PROTO_VGCA && vgca_upload(cfg, rq, o, &err) != KYSO_OK)
		fail(o, &err);
}

static void op_sign_hash(const ag_config_t *cfg, ag_request_t *rq, ag_outcome_t *o)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_token_sel_t sel;
	token_sel(cfg, rq, &sel);
	kyso_p11_t *p = NULL;
	if (kyso_p11_open(&sel, &p, &err) != KYSO_OK) {
		fail(o, &err);
		return;
	}
	char what[600];
	if (rq->nhashes == 1)
		snprintf(what, sizeof(what), _("a document hash (%s) for \"%s\""),
		         kyso_digest_name(rq->hashes[0].alg),
		         rq->doc_name != NULL ? rq->doc_name : _("(unnamed)"));
	else
		snprintf(what, sizeof(what), _("%zu document hashes for \"%s\""), rq->nhashes,
		         rq->doc_name != NULL ? rq->doc_name : _("(unnamed)"));
	prompt_ctx_t pc = {cfg, rq, what};
	char subj[512];
	kyso_x509_name_line(X509_get_subject_name(kyso_p11_cert(p)), subj, sizeof(subj));
	kyso_pin_request_t req = {.token_label = kyso_p11_token_label(p),
	                          .cert_subject = subj,
	                          .tries = kyso_p11_pin_tries(p)};
	kyso_err_t rc = KYSO_OK;
	if (req.tries == KYSO_PIN_TRIES_LOCKED)
		rc = kyso_error_set(&err, KYSO_ERR_PIN_LOCKED, _("The token PIN is locked."));
	char pin[256];
	if (rc == KYSO_OK && !kyso_p11_has_pinpad(p)) {
		rc = prompt_pin(&pc, &req, pin, sizeof(pin), &err);
		if (rc == KYSO_OK) {
			kyso_redact_secret(pin);
			rc = kyso_p11_login(p, pin, &err);
		}
		kyso_memzero(pin, sizeof(pin));
	} else if (rc == KYSO_OK) {
		rc = prompt_pin(&pc, &req, pin, sizeof(pin), &err); /* consent, PIN on the pad */
		kyso_memzero(pin, sizeof(pin));
		if (rc == KYSO_OK)
			rc = kyso_p11_login(p, NULL, &err);
	}
	json_t *sigs = json_array();
	size_t cap = kyso_p11_sig_max_len(p);
	uint8_t *sig = cap > 0 ? malloc(cap) : NULL;
	if (rc == KYSO_OK && sig == NULL)
		rc = kyso_error_set(&err, KYSO_ERR_NOMEM, NULL);
	for (size_t i = 0; rc == KYSO_OK && i < rq->nhashes; i++) {
		size_t slen = cap;
		rc = kyso_p11_sign_digest(p, kyso_digest_md(rq->hashes[i].alg), rq->hashes[i].d,
		                          rq->hashes[i].len, sig, &slen, &err);
		if (rc == KYSO_OK) {
			char *b = ag_b64_encode(sig, slen, NULL);
			json_array_append_new(sigs, json_pack("{s:s, s:s}", "algorithm",
			                                      kyso_digest_name(rq->hashes[i].alg),
			                                      "signature", b != NULL ? b : ""));
			free(b);
		}
	}
	free(sig);
	if (rc != KYSO_OK) {
		json_decref(sigs);
		fail(o, &err);
	} else {
		json_t *c = cert_json(kyso_p11_cert(p), kyso_p11_token_label(p));
		o->data = json_pack("{s:o, s:O}", "signatures", sigs, "certificate",
		                    json_object_get(c, "certificate"));
		json_object_set(o->data, "signer", json_object_get(c, "subject"));
		json_decref(c);
		snprintf(o->signer, sizeof(o->signer), "%s", subj);
	}
	kyso_p11_free(&p);
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
	o->data = report;
}

void ag_exec(const ag_config_t *cfg, ag_request_t *rq, ag_outcome_t *o)
{
	memset(o, 0, sizeof(*o));
	switch (rq->op) {
	case AG_OP_CERTS:
		op_certs(cfg, rq, o);
		break;
	case AG_OP_SIGN_PDF:
		op_sign_pdf(cfg, rq, o);
		break;
	case AG_OP_SIGN_HASH:
		op_sign_hash(cfg, rq, o);
		break;
	case AG_OP_VERIFY:
		op_verify(cfg, rq, o);
		break;
	case AG_OP_NONE:
		fail_msg(o, rq->err != KYSO_OK ? rq->err : KYSO_ERR_BAD_INPUT,
		         rq->err_msg != NULL ? rq->err_msg : "bad request");
		break;
	default:
		break; /* status, version, license: answered from the reply builder */
	}
}
