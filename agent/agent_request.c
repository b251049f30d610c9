/* Request parsing for the three protocols: VNPT-CA Plugin JSON frames, VGCA
 * Sign Service endpoint + JSON, and the kyso API (WebSocket JSON or HTTP query
 * string). Pure functions over their input: every problem becomes rq->err. */
#include "agent.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

ag_request_t *ag_request_new(ag_proto_t proto)
{
	ag_request_t *rq = calloc(1, sizeof(*rq));
	if (rq == NULL)
		return NULL;
	rq->proto = proto;
	rq->digest = KYSO_DIGEST_SHA256;
	rq->page = 1;
	kyso_buf_init(&rq->pdf);
	kyso_buf_init(&rq->cert);
	return rq;
}

void ag_request_free(ag_request_t **prq)
{
	ag_request_t *rq = prq != NULL ? *prq : NULL;
	if (rq == NULL)
		return;
	free(rq->err_msg);
	free(rq->callback);
	free(rq->vgca_op);
	json_decref(rq->id);
	free(rq->origin);
	free(rq->doc_name);
	kyso_buf_free(&rq->pdf);
	if (rq->pdf_path != NULL) {
		remove(rq->pdf_path);
		free(rq->pdf_path);
	}
	free(rq->reason);
	free(rq->location);
	free(rq->signer_name);
	free(rq->contact);
	free(rq->field_name);
	free(rq->doc_number);
	free(rq->doc_date);
	free(rq->key_id);
	free(rq->serial);
	free(rq->tsa_url);
	free(rq->appearance_text);
	free(rq->ignored);
	free(rq->hashes);
	for (size_t i = 0; i < rq->nitems; i++)
		free(rq->items[i].error);
	free(rq->items);
	kyso_buf_free(&rq->cert);
	free(rq->xml_parent);
	free(rq->xml_ref);
	free(rq->file_url);
	free(rq->upload_url);
	free(rq->session_id);
	free(rq->jwt);
	json_decref(rq->metadata);
	free(rq);
	*prq = NULL;
}

void ag_request_fail(ag_request_t *rq, kyso_err_t code, const char *fmt, ...)
{
	if (rq->op != AG_OP_NONE || rq->err == KYSO_OK) {
		char buf[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		free(rq->err_msg);
		rq->err_msg = strdup(buf);
		rq->err = code;
	}
	rq->op = AG_OP_NONE;
}

/* ---- roles ----------------------------------------------------------------- */

static const struct {
	ag_role_t role;
	const char *id;
} roles[] = {
        {AG_ROLE_INITIAL, "initial"},   {AG_ROLE_APPROVAL, "approval"},
        {AG_ROLE_APPENDIX, "appendix"}, {AG_ROLE_ISSUE, "issue"},
        {AG_ROLE_COPY, "copy"},         {AG_ROLE_COMMENT, "comment"},
        {AG_ROLE_INCOME, "income"},
};

const char *ag_role_id(ag_role_t r)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == r)
			return roles[i].id;
	return "";
}

bool ag_role_parse(const char *s, ag_role_t *out)
{
	if (s == NULL || *s == '\0') {
		*out = AG_ROLE_NONE;
		return true;
	}
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i].id) == 0) {
			*out = roles[i].role;
			return true;
		}
	return false;
}

const char *ag_role_label(ag_role_t r)
{
	switch (r) {
	case AG_ROLE_INITIAL:
		return _("initial signature (ký nháy)");
	case AG_ROLE_APPROVAL:
		return _("approval signature (ký duyệt)");
	case AG_ROLE_APPENDIX:
		return _("appendix signature (ký phụ lục)");
	case AG_ROLE_ISSUE:
		return _("issuing with number and date (văn thư cấp số/ngày)");
	case AG_ROLE_COPY:
		return _("certified copy (ký sao)");
	case AG_ROLE_COMMENT:
		return _("comment signature (ký ý kiến)");
	case AG_ROLE_INCOME:
		return _("incoming document (ký văn bản đến)");
	case AG_ROLE_NONE:
		break;
	}
	return _("signature");
}

/* ---- JSON helpers ------------------------------------------------------------ */

static void note_ignored(ag_request_t *rq, const char *name)
{
	size_t old = rq->ignored != NULL ? strlen(rq->ignored) : 0;
	if (old > 2000)
		return;
	char *n = realloc(rq->ignored, old + strlen(name) + 2);
	if (n == NULL)
		return;
	if (old > 0)
		n[old++] = ',';
	memcpy(n + old, name, strlen(name) + 1);
	rq->ignored = n;
}

/* string option: a JSON string (or number, printed) */
static bool json_str_opt(ag_request_t *rq, json_t *v, const char *name, char **dst)
{
	if (v == NULL || json_is_null(v))
		return true;
	char num[64];
	const char *s = NULL;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
	} else {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"%s\" must be a string"), name);
		return false;
	}
	if (strlen(s) > 4096) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"%s\" is too long"), name);
		return false;
	}
	free(*dst);
	*dst = strdup(s);
	return *dst != NULL;
}

/* number option: JSON number or a numeric string */
static bool json_num_opt(ag_request_t *rq, json_t *v, const char *name, double *dst, bool *set)
{
	if (v == NULL || json_is_null(v))
		return true;
	double d;
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		char *end = NULL;
		const char *s = json_string_value(v);
		d = strtod(s, &end);
		if (end == s || *end != '\0') {
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"%s\" must be a number"), name);
			return false;
		}
	} else {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"%s\" must be a number"), name);
		return false;
	}
	if (!isfinite(d) || d < -1e6 || d > 1e6) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"%s\" is out of range"), name);
		return false;
	}
	*dst = d;
	if (set != NULL)
		*set = true;
	return true;
}

static json_t *obj_get_ci(json_t *o, const char *key)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static void set_page(ag_request_t *rq, double p)
{
	if (p < 1 || p > 100000 || p != floor(p))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("page must be a whole number from 1"));
	else
		rq->page = (int)p;
}

static void check_rect(ag_request_t *rq)
{
	if (rq->op != AG_OP_NONE && rq->has_position && (rq->urx <= rq->llx || rq->ury <= rq->lly))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
		                _("the signature rectangle is empty (need llx < urx, lly < ury)"));
}

/* kyso option names, shared by the WebSocket JSON and the HTTP query string */
static void kyso_opt(ag_request_t *rq, const char *key, json_t *v)
{
	double d = 0;
	bool set = false;
	if (strcmp(key, "role") == 0) {
		if (!json_is_string(v) || !ag_role_parse(json_string_value(v), &rq->role))
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
			                _("unknown role (initial, approval, appendix, issue, copy, "
			                  "comment, income)"));
	} else if (strcmp(key, "document") == 0) {
		json_str_opt(rq, v, key, &rq->doc_name);
	} else if (strcmp(key, "reason") == 0) {
		json_str_opt(rq, v, key, &rq->reason);
	} else if (strcmp(key, "location") == 0) {
		json_str_opt(rq, v, key, &rq->location);
	} else if (strcmp(key, "name") == 0) {
		json_str_opt(rq, v, key, &rq->signer_name);
	} else if (strcmp(key, "contact") == 0) {
		json_str_opt(rq, v, key, &rq->contact);
	} else if (strcmp(key, "field") == 0) {
		json_str_opt(rq, v, key, &rq->field_name);
	} else if (strcmp(key, "doc_number") == 0) {
		json_str_opt(rq, v, key, &rq->doc_number);
	} else if (strcmp(key, "doc_date") == 0) {
		json_str_opt(rq, v, key, &rq->doc_date);
	} else if (strcmp(key, "key_id") == 0) {
		json_str_opt(rq, v, key, &rq->key_id);
	} else if (strcmp(key, "text") == 0) {
		json_str_opt(rq, v, key, &rq->appearance_text);
	} else if (strcmp(key, "tsa_url") == 0) {
		json_str_opt(rq, v, key, &rq->tsa_url);
	} else if (strcmp(key, "digest") == 0) {
		if (!json_is_string(v) || !kyso_digest_parse(json_string_value(v), &rq->digest))
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
			                _("digest must be sha256, sha384 or sha512"));
	} else if (strcmp(key, "page") == 0) {
		if (json_num_opt(rq, v, key, &d, &set) && set)
			set_page(rq, d);
	} else if (strcmp(key, "llx") == 0) {
		json_num_opt(rq, v, key, &rq->llx, &rq->has_position);
	} else if (strcmp(key, "lly") == 0) {
		json_num_opt(rq, v, key, &rq->lly, &rq->has_position);
	} else if (strcmp(key, "urx") == 0) {
		json_num_opt(rq, v, key, &rq->urx, &rq->has_position);
	} else if (strcmp(key, "ury") == 0) {
		json_num_opt(rq, v, key, &rq->ury, &rq->has_position);
	}
	/* anything else ("op", "id", "pdf", "hash"...) is handled by the caller */
}

/* ---- hashes ------------------------------------------------------------------ */

static bool add_hash(ag_request_t *rq, const char *value, kyso_digest_t alg)
{
	if (rq->nhashes >= AG_MAX_HASHES) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("too many hashes (at most %d)"),
		                AG_MAX_HASHES);
		return false;
	}
	size_t want = alg == KYSO_DIGEST_SHA256 ? 32 : alg == KYSO_DIGEST_SHA384 ? 48 : 64;
	ag_hash_t h = {.alg = alg};
	size_t n = strlen(value);
	if (n == want * 2) {
		ssize_t got = kyso_hex_decode(value, h.d, sizeof(h.d));
		if (got != (ssize_t)want) {
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("bad hex hash"));
			return false;
		}
		h.len = want;
	} else {
		kyso_buf_t b;
		kyso_buf_init(&b);
		if (n > 200 || ag_b64_decode(value, n, &b) != KYSO_OK || b.len != want) {
			kyso_buf_free(&b);
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
			                _("a hash must be %zu bytes of %s in hex or base64"), want,
			                kyso_digest_name(alg));
			return false;
		}
		memcpy(h.d, b.data, want);
		h.len = want;
		kyso_buf_free(&b);
	}
	ag_hash_t *n2 = realloc(rq->hashes, (rq->nhashes + 1) * sizeof(*n2));
	if (n2 == NULL) {
		ag_request_fail(rq, KYSO_ERR_NOMEM, _("out of memory"));
		return false;
	}
	rq->hashes = n2;
	rq->hashes[rq->nhashes++] = h;
	return true;
}

/* {"hash": "...", "algorithm": "sha256"} or a bare string */
static bool hash_item(ag_request_t *rq, json_t *it, kyso_digest_t def)
{
	if (json_is_string(it))
		return add_hash(rq, json_string_value(it), def);
	if (!json_is_object(it)) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
		                _("a hash item must be a string or an object"));
		return false;
	}
	kyso_digest_t alg = def;
	json_t *a = obj_get_ci(it, "algorithm");
	if (a == NULL)
		a = obj_get_ci(it, "alg");
	if (a != NULL && (!json_is_string(a) || !kyso_digest_parse(json_string_value(a), &alg))) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
		                _("algorithm must be sha256, sha384 or sha512"));
		return false;
	}
	json_t *h = obj_get_ci(it, "hash");
	if (h == NULL)
		h = obj_get_ci(it, "data");
	if (!json_is_string(h)) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("a hash item needs \"hash\" (string)"));
		return false;
	}
	return add_hash(rq, json_string_value(h), alg);
}

static void parse_hashes(ag_request_t *rq, json_t *v, kyso_digest_t def)
{
	if (json_is_array(v)) {
		rq->hash_array = true;
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it)
		{
			if (!hash_item(rq, it, def))
				return;
		}
		if (rq->nhashes == 0)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("no hash to sign"));
	} else {
		hash_item(rq, v, def);
	}
}

/* ---- PDF in base64 -------------------------------------------------------------- */

/* the spooled string of the message being parsed (ag_parse_ws) */
static ag_spooled_t *spool_cur;

/* v is the spooled string (decoded into a file as it arrived) */
static ag_spooled_t *spooled(const json_t *v)
{
	return spool_cur != NULL && spool_cur->path != NULL && json_is_string(v) &&
	                       strcmp(json_string_value(v), ag_rx_placeholder()) == 0
	               ? spool_cur
	               : NULL;
}

/* the decoded bytes of the spooled string v into out (false: not spooled) */
static bool spooled_bytes(const json_t *v, kyso_buf_t *out, bool *ok)
{
	ag_spooled_t *sp = spooled(v);
	if (sp == NULL)
		return false;
	*ok = false;
	if (sp->bad || sp->big)
		return true;
	uint8_t *d = NULL;
	size_t n = 0;
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_file_read_all(sp->path, AG_MAX_PDF, &d, &n, &err) != KYSO_OK)
		return true;
	kyso_buf_free(out);
	out->data = d;
	out->len = n;
	out->cap = n;
	*ok = true;
	return true;
}

static void take_pdf_b64(ag_request_t *rq, json_t *v)
{
	if (!json_is_string(v)) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the PDF must be a base64 string"));
		return;
	}
	ag_spooled_t *sp = spooled(v);
	if (sp != NULL) {
		/* decoded into a file as it arrived: signed from there */
		if (sp->big)
			ag_request_fail(rq, KYSO_ERR_TOO_LARGE, _("the PDF is larger than 50 MB"));
		else if (sp->bad)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the PDF is not valid base64"));
		else if (sp->len < 5 || memcmp(sp->head, "%PDF-", 5) != 0)
			ag_request_fail(rq, KYSO_ERR_BAD_PDF, _("the data is not a PDF"));
		else {
			kyso_buf_free(&rq->pdf);
			if (rq->pdf_path != NULL) {
				remove(rq->pdf_path);
				free(rq->pdf_path);
			}
			rq->pdf_path = sp->path;
			sp->path = NULL;
		}
		return;
	}
	size_t n = json_string_length(v);
	if (n / 4 * 3 > AG_MAX_PDF + 2) {
		ag_request_fail(rq, KYSO_ERR_TOO_LARGE, _("the PDF is larger than 50 MB"));
		return;
	}
	rq->pdf.len = 0;
	if (ag_b64_decode(json_string_value(v), n, &rq->pdf) != KYSO_OK) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the PDF is not valid base64"));
		return;
	}
	if (rq->pdf.len > AG_MAX_PDF)
		ag_request_fail(rq, KYSO_ERR_TOO_LARGE, _("the PDF is larger than 50 MB"));
	else if (rq->pdf.len < 5 || memcmp(rq->pdf.data, "%PDF-", 5) != 0)
		ag_request_fail(rq, KYSO_ERR_BAD_PDF, _("the data is not a PDF"));
}

/* ---- VNPT-CA Plugin ------------------------------------------------------------ */

static const char *pdf_signer_ignored[] = {
        "ImageBase64",        "SigType",          "SigTextSize",     "SigColorRGB",
        "SetImageBackground", "ValidationOption", "OnlyDescription", "IsEncyptFile",
        "EncryptPassword",    "SigningTime",      "PagesArray",      "TsaUsername",
        "TsaPassword",        "listComment",      "sigAllPages",     NULL,
};

/* A certificate serial the page names (from getCertInfo): up to 64 hex
 * digits, else ignored (an empty or made-up value names no certificate). */
static void take_serial(ag_request_t *rq, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t n = s != NULL ? strlen(s) : 0;
	if (n == 0 || n > 64 || strspn(s, "0123456789abcdefABCDEF") != n || rq->serial != NULL)
		return;
	rq->serial = strdup(s);
}

static void vnpt_pdf_signer(ag_request_t *rq, const char *txt)
{
	if (txt == NULL || *txt == '\0')
		return;
	json_error_t je;
	json_t *o = json_loads(txt, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("PdfSigner is not a JSON object"));
		return;
	}
	double page = 0;
	bool pset = false;
	/* the V8 PdfSigner defaults for fields left null (page 1, 0 0 150 75) */
	rq->llx = 0;
	rq->lly = 0;
	rq->urx = 150;
	rq->ury = 75;
	json_t *vis = obj_get_ci(o, "SigVisible");
	if (json_is_false(vis))
		rq->invisible = true;
	if (json_is_true(obj_get_ci(o, "AdvancedCustom")))
		rq->advanced_custom = true;
	json_num_opt(rq, obj_get_ci(o, "page"), "page", &page, &pset);
	if (pset)
		set_page(rq, page);
	json_num_opt(rq, obj_get_ci(o, "llx"), "llx", &rq->llx, &rq->has_position);
	json_num_opt(rq, obj_get_ci(o, "lly"), "lly", &rq->lly, &rq->has_position);
	json_num_opt(rq, obj_get_ci(o, "urx"), "urx", &rq->urx, &rq->has_position);
	json_num_opt(rq, obj_get_ci(o, "ury"), "ury", &rq->ury, &rq->has_position);
	json_str_opt(rq, obj_get_ci(o, "Signer"), "Signer", &rq->signer_name);
	json_str_opt(rq, obj_get_ci(o, "Description"), "Description", &rq->appearance_text);
	json_str_opt(rq, obj_get_ci(o, "Reason"), "Reason", &rq->reason);
	json_str_opt(rq, obj_get_ci(o, "Location"), "Location", &rq->location);
	json_str_opt(rq, obj_get_ci(o, "TsaUrl"), "TsaUrl", &rq->tsa_url);
	json_str_opt(rq, obj_get_ci(o, "DocumentNumber"), "DocumentNumber", &rq->doc_number);
	json_str_opt(rq, obj_get_ci(o, "DocumentDate"), "DocumentDate", &rq->doc_date);
	json_str_opt(rq, obj_get_ci(o, "FileName"), "FileName", &rq->doc_name);
	json_t *role = obj_get_ci(o, "Role");
	if (role != NULL &&
	    (!json_is_string(role) || !ag_role_parse(json_string_value(role), &rq->role)))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("unknown Role"));
	take_serial(rq, obj_get_ci(o, "CertificateSerial"));
	for (size_t i = 0; pdf_signer_ignored[i] != NULL; i++)
		if (obj_get_ci(o, pdf_signer_ignored[i]) != NULL)
			note_ignored(rq, pdf_signer_ignored[i]);
	json_decref(o);
	if (rq->advanced_custom && !rq->has_position && !rq->invisible)
		rq->has_position = true; /* the placement step: the default rectangle */
	check_rect(rq);
}

static const char *arg_str(json_t *args, size_t i)
{
	json_t *v = json_array_get(args, i);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* setLanguage's argument (the script's constants en_US, vi_vn, la_lao): the
 * connection's messages in English or Vietnamese from now on; a language
 * kyso has no texts for (Lao) leaves it as it is. */
static void vnpt_language(ag_request_t *rq, const char *l)
{
	if (l == NULL)
		return;
	if (strncasecmp(l, "en", 2) == 0)
		memcpy(rq->lang, "en", 3);
	else if (strncasecmp(l, "vi", 2) == 0)
		memcpy(rq->lang, "vi", 3);
	else
		return;
	rq->set_lang = true;
}

/* ---- signature items (signArrDataAdvanced, signCms, VGCA SignMsg) ---------------- */

static ag_item_t *item_add(ag_request_t *rq)
{
	if (rq->nitems >= AG_MAX_HASHES) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("Too many items to sign (at most %d)."),
		                AG_MAX_HASHES);
		return NULL;
	}
	ag_item_t *n = realloc(rq->items, (rq->nitems + 1) * sizeof(*n));
	if (n == NULL) {
		ag_request_fail(rq, KYSO_ERR_NOMEM, _("out of memory"));
		return NULL;
	}
	rq->items = n;
	ag_item_t *it = &rq->items[rq->nitems++];
	memset(it, 0, sizeof(*it));
	return it;
}

static void item_bad(ag_item_t *it, int code, const char *msg)
{
	it->kind = AG_ITEM_BAD;
	it->code = code;
	free(it->error);
	it->error = strdup(msg);
}

/* the digest of base64 content (cmsdetached, SignMsg/Auth text) */
static bool item_digest_of(ag_item_t *it, const char *data, size_t n, bool b64)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	const char *ph = ag_rx_placeholder();
	bool spool = b64 && spool_cur != NULL && spool_cur->path != NULL && n == strlen(ph) &&
	             memcmp(data, ph, n) == 0;
	if (spool && spool_cur->big) {
		item_bad(it, 1, _("The data to sign is larger than 50 MB."));
		return false;
	}
	if (spool) {
		json_t *v = json_string(ph);
		bool ok = false;
		spooled_bytes(v, &b, &ok);
		json_decref(v);
		if (!ok) {
			kyso_buf_free(&b);
			item_bad(it, 1, _("The data to sign is not valid base64."));
			return false;
		}
	} else if (n / 4 * 3 > AG_MAX_PDF + 2) {
		item_bad(it, 1, _("The data to sign is larger than 50 MB."));
		return false;
	} else if (b64 && ag_b64_decode(data, n, &b) != KYSO_OK) {
		kyso_buf_free(&b);
		item_bad(it, 1, _("The data to sign is not valid base64."));
		return false;
	}
	const uint8_t *d = b64 ? b.data : (const uint8_t *)data;
	size_t dl = b64 ? b.len : n;
	it->h.alg = KYSO_DIGEST_SHA256;
	it->h.len = 32;
	unsigned int mdlen = 0;
	bool ok = EVP_Digest(d != NULL ? d : (const uint8_t *)"", dl, it->h.d, &mdlen, EVP_sha256(),
	                     NULL) == 1;
	kyso_buf_free(&b);
	if (!ok)
		item_bad(it, 5, ag_vnpt_code_text(5));
	return ok;
}

/* a digest given in base64 (or hex, kyso's older hash shape) */
static bool item_digest_given(ag_item_t *it, const char *value, kyso_digest_t alg)
{
	size_t want = alg == KYSO_DIGEST_SHA256 ? 32 : alg == KYSO_DIGEST_SHA384 ? 48 : 64;
	size_t n = strlen(value);
	it->h.alg = alg;
	it->h.len = want;
	if (n == want * 2 && kyso_hex_decode(value, it->h.d, sizeof(it->h.d)) == (ssize_t)want)
		return true;
	kyso_buf_t b;
	kyso_buf_init(&b);
	bool ok = n <= 200 && ag_b64_decode(value, n, &b) == KYSO_OK && b.len == want;
	if (ok)
		memcpy(it->h.d, b.data, want);
	kyso_buf_free(&b);
	if (!ok) {
		char m[200];
		snprintf(m, sizeof(m), _("The hash must be %zu bytes of %s in base64."), want,
		         kyso_digest_name(alg));
		item_bad(it, 1, m);
	}
	return ok;
}

/* sigOptions: a JSON string (possibly "null") or an object */
static json_t *sig_options(json_t *v)
{
	if (json_is_object(v))
		return json_incref(v);
	if (!json_is_string(v))
		return NULL;
	json_error_t je;
	json_t *o = json_loads(json_string_value(v), 0, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void hash_type_item(ag_item_t *it, json_t *data, json_t *opts)
{
	kyso_digest_t alg = KYSO_DIGEST_SHA256;
	json_t *a = obj_get_ci(opts, "DigestAlgorithm");
	if (json_is_string(a) && !kyso_digest_parse(json_string_value(a), &alg)) {
		item_bad(it, 1, _("The digest algorithm must be SHA256, SHA384 or SHA512."));
		return;
	}
	/* detached (the default) = a CMS over the document whose digest this is;
	 * detached=false = the raw signature of the digest */
	it->kind = json_is_false(obj_get_ci(opts, "detached")) ? AG_ITEM_RAW : AG_ITEM_CMS;
	item_digest_given(it, json_string_value(data), alg);
}

/* One element of the signArrDataAdvanced array. Returns false when the whole
 * request failed (rq->err). *pdf_item: the element is a PDF (handled by the
 * caller). */
static bool vnpt_item(ag_request_t *rq, json_t *el, json_t **pdf_item)
{
	ag_item_t *it = item_add(rq);
	if (it == NULL)
		return false;
	json_t *o = NULL;
	json_error_t je;
	if (json_is_string(el)) {
		o = json_loads(json_string_value(el), JSON_DECODE_ANY, &je);
		if (!json_is_object(o)) {
			/* kyso's older shape: a bare digest */
			json_decref(o);
			it->kind = AG_ITEM_RAW;
			item_digest_given(it, json_string_value(el), KYSO_DIGEST_SHA256);
			return true;
		}
	} else if (json_is_object(el)) {
		o = json_incref(el);
	} else {
		item_bad(it, 1, ag_vnpt_code_text(1));
		return true;
	}
	json_t *type = obj_get_ci(o, "type");
	json_t *data = obj_get_ci(o, "data");
	if (data == NULL)
		data = obj_get_ci(o, "hash");
	const char *t = json_is_string(type) ? json_string_value(type) : "";
	json_t *opts = sig_options(obj_get_ci(o, "sigOptions"));
	if (!json_is_string(data)) {
		item_bad(it, 1, ag_vnpt_code_text(1));
	} else if (strcasecmp(t, "pdf") == 0 || strcasecmp(t, "xml") == 0) {
		*pdf_item = json_incref(o);
	} else if (strcasecmp(t, "cmsdetached") == 0) {
		it->kind = AG_ITEM_CMS;
		it->serial = true;
		item_digest_of(it, json_string_value(data), json_string_length(data), true);
	} else if (strcasecmp(t, "hash") == 0) {
		hash_type_item(it, data, opts);
	} else if (*t == '\0') {
		/* {"hash": ...} of kyso's older shape */
		it->kind = AG_ITEM_RAW;
		kyso_digest_t alg = KYSO_DIGEST_SHA256;
		json_t *a = obj_get_ci(o, "algorithm");
		if (json_is_string(a))
			(void)kyso_digest_parse(json_string_value(a), &alg);
		item_digest_given(it, json_string_value(data), alg);
	} else {
		char m[200];
		snprintf(m, sizeof(m),
		         _("Signing data of type \"%.40s\" is not supported by kyso-agent."), t);
		item_bad(it, 5, m);
	}
	json_decref(opts);
	json_decref(o);
	return true;
}

/* the XML document (base64) and V8's XmlSigner options */
static void take_xml(ag_request_t *rq, json_t *data, const char *signer)
{
	rq->op = AG_OP_SIGN_XML;
	size_t n = json_is_string(data) ? json_string_length(data) : 0;
	bool ok = false;
	if (spooled_bytes(data, &rq->pdf, &ok)) {
		if (!ok) {
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", ag_vnpt_code_text(1));
			return;
		}
	} else if (n == 0 || n / 4 * 3 > AG_MAX_PDF + 2 ||
	           ag_b64_decode(json_string_value(data), n, &rq->pdf) != KYSO_OK) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", ag_vnpt_code_text(1));
		return;
	}
	json_error_t je;
	json_t *o = signer != NULL ? json_loads(signer, 0, &je) : NULL;
	if (json_is_object(o)) {
		json_t *p = obj_get_ci(o, "ParrentTagSigning");
		if (!json_is_string(p) || json_string_length(p) == 0)
			p = obj_get_ci(o, "TagSaveResult");
		json_str_opt(rq, p, "ParrentTagSigning", &rq->xml_parent);
		json_str_opt(rq, obj_get_ci(o, "NodeToSign"), "NodeToSign", &rq->xml_ref);
		json_t *dm = obj_get_ci(o, "DigestMethod");
		if (json_is_string(dm) && !kyso_digest_parse(json_string_value(dm), &rq->digest))
			ag_request_fail(
			        rq, KYSO_ERR_BAD_INPUT, "%s",
			        _("The digest algorithm must be SHA256, SHA384 or SHA512."));
	}
	json_decref(o);
}

static void vnpt_items(ag_request_t *rq, const char *arr)
{
	rq->op = AG_OP_SIGN_ITEMS;
	rq->shape = AG_SHAPE_ARRAY;
	json_error_t je;
	json_t *a = arr != NULL ? json_loads(arr, 0, &je) : NULL;
	if (!json_is_array(a) || json_array_size(a) == 0) {
		json_decref(a);
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", ag_vnpt_code_text(1));
		return;
	}
	json_t *pdf = NULL;
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el)
	{
		json_t *p = NULL;
		if (!vnpt_item(rq, el, &p))
			break;
		if (p == NULL)
			continue;
		if (json_array_size(a) == 1) {
			pdf = p;
		} else {
			json_decref(p);
			item_bad(&rq->items[rq->nitems - 1], 5,
			         _("kyso-agent signs one PDF or XML document per call; send each "
			           "in its "
			           "own call."));
		}
	}
	json_decref(a);
	json_t *ty = pdf != NULL ? obj_get_ci(pdf, "type") : NULL;
	if (pdf != NULL && strcasecmp(json_string_value(ty), "xml") == 0) {
		rq->nitems = 0;
		json_t *so = obj_get_ci(pdf, "sigOptions");
		take_xml(rq, obj_get_ci(pdf, "data"),
		         json_is_string(so) ? json_string_value(so) : NULL);
		json_decref(pdf);
	} else if (pdf != NULL) {
		/* one PDF: signed like signPdf, answered as an array */
		rq->nitems = 0;
		rq->op = AG_OP_SIGN_PDF;
		take_pdf_b64(rq, obj_get_ci(pdf, "data"));
		json_t *so = obj_get_ci(pdf, "sigOptions");
		if (rq->op != AG_OP_NONE && json_is_string(so))
			vnpt_pdf_signer(rq, strcmp(json_string_value(so), "null") == 0
			                            ? NULL
			                            : json_string_value(so));
		else if (rq->op != AG_OP_NONE && json_is_object(so)) {
			char *t = json_dumps(so, JSON_COMPACT);
			vnpt_pdf_signer(rq, t);
			free(t);
		}
		json_decref(pdf);
	}
}

/* VGCA /SignMsg: {"HashAlg","HashValue"(base64 digest),"Encode"} or bare
 * base64 content; /Auth: the auth-code text. One raw signature. */
static void vgca_msg(ag_request_t *rq, const char *msg, size_t len)
{
	ag_item_t *it = item_add(rq);
	if (it == NULL)
		return;
	it->kind = AG_ITEM_RAW;
	bool auth = strcmp(rq->vgca_op, "Auth") == 0;
	json_error_t je;
	json_t *o = auth ? NULL : json_loadb(msg, len, 0, &je);
	if (json_is_object(o)) {
		kyso_digest_t alg = KYSO_DIGEST_SHA256;
		json_t *a = obj_get_ci(o, "HashAlg");
		json_t *h = obj_get_ci(o, "HashValue");
		if (json_is_string(a) && !kyso_digest_parse(json_string_value(a), &alg))
			item_bad(it, 1,
			         _("The digest algorithm must be SHA256, SHA384 or SHA512."));
		else if (!json_is_string(h))
			item_bad(it, 1, ag_vnpt_code_text(1));
		else
			item_digest_given(it, json_string_value(h), alg);
	} else if (len == 0) {
		item_bad(it, 1, ag_vnpt_code_text(1));
	} else {
		item_digest_of(it, msg, len, !auth);
	}
	json_decref(o);
	if (it->kind == AG_ITEM_BAD)
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", it->error);
}

/* signCms (4): [base64 content] -> one detached CMS */
static void vnpt_cms(ag_request_t *rq, const char *b64)
{
	rq->op = AG_OP_SIGN_ITEMS;
	rq->shape = AG_SHAPE_SINGLE;
	if (b64 == NULL) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", ag_vnpt_code_text(1));
		return;
	}
	ag_item_t *it = item_add(rq);
	if (it != NULL && item_digest_of(it, b64, strlen(b64), true))
		it->kind = AG_ITEM_CMS;
	if (it != NULL && it->kind == AG_ITEM_BAD)
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, "%s", it->error);
}

/* ValidateCertificate* / CheckValidTime* / OCSP / CRL: [serial|certB64, timeCheck, ...] */
static void vnpt_cert_check(ag_request_t *rq, json_t *args, bool base64)
{
	rq->op = AG_OP_CERT_CHECK;
	const char *v = arg_str(args, 0);
	/* a certificate that cannot be read stays empty: answered as 8 */
	if (base64 && v != NULL && strlen(v) <= 64 * 1024 &&
	    ag_b64_decode(v, strlen(v), &rq->cert) != KYSO_OK)
		rq->cert.len = 0;
	/* the serial form checks the token's signing certificate (one per token) */
	const char *tc = arg_str(args, 1);
	if (tc != NULL && *tc) /* "d/M/yyyy H:m:s" (local time) */
		json_str_opt(rq, json_array_get(args, 1), "timeCheck", &rq->doc_date);
}

ag_request_t *ag_parse_vnpt(const char *msg, size_t len)
{
	ag_request_t *rq = ag_request_new(AG_PROTO_VNPT);
	if (rq == NULL)
		return NULL;
	rq->callback = strdup("callbackDefault");
	json_error_t je;
	json_t *o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the request is not a JSON object"));
		json_decref(o);
		return rq;
	}
	json_t *cb = json_object_get(o, "funcCallback");
	if (json_is_string(cb) && json_string_length(cb) > 0 && json_string_length(cb) < 128) {
		/* the callback name goes back verbatim before/after '*': keep it a
		 * plain identifier */
		const char *s = json_string_value(cb);
		bool ok = true;
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '$' && *p != '.')
				ok = false;
		if (ok) {
			free(rq->callback);
			rq->callback = strdup(s);
		}
	}
	json_t *fid = json_object_get(o, "functionID");
	long long id = -1;
	if (json_is_integer(fid))
		id = json_integer_value(fid);
	else if (json_is_string(fid)) {
		char *end = NULL;
		id = strtoll(json_string_value(fid), &end, 10);
		if (end == json_string_value(fid) || *end != '\0')
			id = -1;
	}
	if (id < 0 || id > 100000) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("functionID is missing or not a number"));
		json_decref(o);
		return rq;
	}
	rq->function_id = (int)id;
	json_t *args = json_object_get(o, "args");
	if (args != NULL && !json_is_array(args)) {
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("args must be an array"));
		json_decref(o);
		return rq;
	}
	switch (id) {
	case 7: /* checkPlugin */
		rq->op = AG_OP_STATUS;
		break;
	case 11: /* getVersion */
		rq->op = AG_OP_VERSION;
		break;
	case 6: /* setLicenseKey */
		rq->op = AG_OP_LICENSE;
		break;
	case 0: /* GetCertInfo */
		rq->op = AG_OP_CERTS;
		break;
	case 2:  /* SignPDF */
	case 12: /* SignPDFMultiplePages */
		rq->op = AG_OP_SIGN_PDF;
		if (json_array_size(args) < 1) {
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
			                _("SignPDF needs [base64Pdf, PdfSigner]"));
			break;
		}
		take_pdf_b64(rq, json_array_get(args, 0));
		if (rq->op != AG_OP_NONE)
			vnpt_pdf_signer(rq, arg_str(args, 1));
		if (id == 12 && rq->op != AG_OP_NONE)
			note_ignored(rq, "PagesArray");
		break;
	case 10: /* signArrDataAdvanced: [items, serial, clearPIN, showCertList] */
		vnpt_items(rq, arg_str(args, 0));
		take_serial(rq, json_array_get(args, 1));
		break;
	case 1: /* signXML (V8): [b64] or [b64, JSON(XmlSigner)] */
		take_xml(rq, json_array_get(args, 0), arg_str(args, 1));
		break;
	case 4: /* signCms */
		vnpt_cms(rq, arg_str(args, 0));
		break;
	case 14: /* ValidateCertificate */
	case 16: /* CheckValidTime */
	case 18: /* CheckOCSP */
	case 21: /* CheckCRL */
		vnpt_cert_check(rq, args, false);
		break;
	case 15: /* ValidateCertificateBase64 */
	case 17: /* CheckValidTimeBase64 */
	case 19: /* CheckOCSPBase64 */
	case 22: /* CheckCRLBase64 */
		vnpt_cert_check(rq, args, true);
		break;
	case 23: /* setLanguage: ["en_US" | "vi_vn" | "la_lao"]; others keep the language */
		rq->op = AG_OP_ANSWER;
		vnpt_language(rq, arg_str(args, 0));
		break;
	case 5:  /* chooseFile */
	case 13: /* checkPluginAdvanced */
	case 37: /* SetShowCertListDialog */
		rq->op = AG_OP_ANSWER;
		break;
	case 42: /* VerifyPdf */
		rq->op = AG_OP_VERIFY;
		if (json_array_size(args) < 1)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("VerifyPdf needs [base64Pdf]"));
		else
			take_pdf_b64(rq, json_array_get(args, 0));
		break;
	default:
		rq->op = AG_OP_UNSUPPORTED;
		break;
	}
	json_decref(o);
	return rq;
}

/* ---- VGCA Sign Service ------------------------------------------------------------- */

static const struct {
	const char *path;
	ag_op_t op;
	ag_role_t role;
} vgca_ops[] = {
        {"GetCertInfo", AG_OP_CERTS, AG_ROLE_NONE},
        {"SignMsg", AG_OP_SIGN_ITEMS, AG_ROLE_NONE},
        {"Auth", AG_OP_SIGN_ITEMS, AG_ROLE_NONE},
        {"Config", AG_OP_ANSWER, AG_ROLE_NONE},
        {"GetLicenseRequest", AG_OP_ANSWER, AG_ROLE_NONE},
        {"SignPDF", AG_OP_SIGN_PDF, AG_ROLE_NONE},
        {"SignFile", AG_OP_SIGN_PDF, AG_ROLE_NONE},
        {"SignApproved", AG_OP_SIGN_PDF, AG_ROLE_APPROVAL},
        {"SignIssued", AG_OP_SIGN_PDF, AG_ROLE_ISSUE},
        {"SignAppendix", AG_OP_SIGN_PDF, AG_ROLE_APPENDIX},
        {"SignCopy", AG_OP_SIGN_PDF, AG_ROLE_COPY},
        {"Comment", AG_OP_SIGN_PDF, AG_ROLE_COMMENT},
        {"SignIncome", AG_OP_SIGN_PDF, AG_ROLE_INCOME},
        {"VerifyPDF", AG_OP_VERIFY, AG_ROLE_NONE},
};

/* last path segment of a URL, without query */
static char *url_file_name(const char *url)
{
	const char *end = url + strcspn(url, "?#");
	const char *s = end;
	while (s > url && s[-1] != '/')
		s--;
	size_t n = (size_t)(end - s);
	if (n == 0 || n > 200)
		return strdup("document.pdf");
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hi = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0'
			                                      : (tolower(s[i + 1]) - 'a' + 10);
			lo = isdigit((unsigned char)s[i + 2]) ? s[i + 2] - '0'
			                                      : (tolower(s[i + 2]) - 'a' + 10);
			char c = (char)(hi * 16 + lo);
			o[j++] = (c == '/' || c == '\0' || c == '\\') ? '_' : c;
			i += 2;
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

ag_request_t *ag_parse_vgca(const char *path, const char *msg, size_t len)
{
	ag_request_t *rq = ag_request_new(AG_PROTO_VGCA);
	if (rq == NULL)
		return NULL;
	while (path != NULL && *path == '/')
		path++;
	rq->vgca_op = strndup(path != NULL ? path : "", 64);
	size_t k = sizeof(vgca_ops) / sizeof(vgca_ops[0]);
	size_t i;
	for (i = 0; i < k; i++)
		if (strcmp(rq->vgca_op, vgca_ops[i].path) == 0)
			break;
	if (i == k) {
		rq->op = AG_OP_UNSUPPORTED;
		return rq;
	}
	rq->op = vgca_ops[i].op;
	rq->role = vgca_ops[i].role;
	if (rq->op == AG_OP_CERTS || rq->op == AG_OP_ANSWER)
		return rq; /* payload is a literal ("get_cert_info", "config", "request") */
	if (rq->op == AG_OP_SIGN_ITEMS) {
		vgca_msg(rq, msg, len);
		return rq;
	}
	json_error_t je;
	json_t *o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the request is not a JSON object"));
		return rq;
	}
	json_str_opt(rq, obj_get_ci(o, "FileName"), "FileName", &rq->file_url);
	json_str_opt(rq, obj_get_ci(o, "FileUploadHandler"), "FileUploadHandler", &rq->upload_url);
	json_str_opt(rq, obj_get_ci(o, "SessionId"), "SessionId", &rq->session_id);
	json_str_opt(rq, obj_get_ci(o, "JWTToken"), "JWTToken", &rq->jwt);
	json_str_opt(rq, obj_get_ci(o, "DocNumber"), "DocNumber", &rq->doc_number);
	json_str_opt(rq, obj_get_ci(o, "IssuedDate"), "IssuedDate", &rq->doc_date);
	json_str_opt(rq, obj_get_ci(o, "Reason"), "Reason", &rq->reason);
	json_t *role = obj_get_ci(o, "Role");
	if (role != NULL &&
	    (!json_is_string(role) || !ag_role_parse(json_string_value(role), &rq->role)))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("unknown Role"));
	json_t *md = obj_get_ci(o, "MetaData");
	if (md != NULL && !json_is_null(md)) {
		bool ok = json_is_array(md) && json_array_size(md) <= 64;
		size_t j;
		json_t *it;
		json_array_foreach(md, j, it)
		{
			if (!json_is_object(it) || !json_is_string(obj_get_ci(it, "Key")))
				ok = false;
		}
		if (!ok)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
			                _("MetaData must be an array of {\"Key\",\"Value\"}"));
		else
			rq->metadata = json_incref(md);
	}
	/* the native service has its own position dialog; kyso takes the kyso
	 * option names as an extension */
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "page") == 0 || strcmp(key, "llx") == 0 ||
		    strcmp(key, "lly") == 0 || strcmp(key, "urx") == 0 || strcmp(key, "ury") == 0)
			kyso_opt(rq, key, v);
	}
	json_decref(o);
	if (rq->op != AG_OP_NONE && (rq->file_url == NULL || *rq->file_url == '\0'))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
		                _("FileName (the URL of the PDF) is required: kyso-agent has no "
		                  "file-browse dialog"));
	if (rq->op == AG_OP_SIGN_PDF && (rq->upload_url == NULL || *rq->upload_url == '\0'))
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("FileUploadHandler is required"));
	if (rq->op != AG_OP_NONE)
		rq->doc_name = url_file_name(rq->file_url);
	check_rect(rq);
	return rq;
}

/* ---- kyso API -------------------------------------------------------------------- */

static bool op_parse(const char *s, ag_op_t *op)
{
	static const struct {
		const char *n;
		ag_op_t op;
	} t[] = {{"status", AG_OP_STATUS},
	         {"certificates", AG_OP_CERTS},
	         {"sign_pdf", AG_OP_SIGN_PDF},
	         {"sign_hash", AG_OP_SIGN_HASH},
	         {"verify", AG_OP_VERIFY}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0) {
			*op = t[i].op;
			return true;
		}
	return false;
}

ag_request_t *ag_parse_kyso_ws(const char *msg, size_t len)
{
	ag_request_t *rq = ag_request_new(AG_PROTO_KYSO);
	if (rq == NULL)
		return NULL;
	json_error_t je;
	json_t *o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the request is not a JSON object"));
		return rq;
	}
	json_t *id = json_object_get(o, "id");
	if (id != NULL && (json_is_string(id) || json_is_integer(id)))
		rq->id = json_incref(id);
	json_t *op = json_object_get(o, "op");
	if (!json_is_string(op) || !op_parse(json_string_value(op), &rq->op)) {
		json_decref(o);
		ag_request_fail(
		        rq, KYSO_ERR_BAD_INPUT,
		        _("\"op\" must be status, certificates, sign_pdf, sign_hash or verify"));
		return rq;
	}
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (rq->op == AG_OP_NONE)
			break;
		kyso_opt(rq, key, v);
	}
	if (rq->op == AG_OP_SIGN_PDF || rq->op == AG_OP_VERIFY) {
		json_t *pdf = json_object_get(o, "pdf");
		if (pdf == NULL)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"pdf\" (base64) is required"));
		else
			take_pdf_b64(rq, pdf);
	} else if (rq->op == AG_OP_SIGN_HASH) {
		json_t *h = json_object_get(o, "hash");
		if (h == NULL)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"hash\" is required"));
		else
			parse_hashes(rq, h, rq->digest);
	}
	json_decref(o);
	check_rect(rq);
	return rq;
}

static char *pct_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			o[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		           isxdigit((unsigned char)s[i + 2])) {
			char hx[3] = {s[i + 1], s[i + 2], 0};
			o[j++] = (char)strtol(hx, NULL, 16);
			i += 2;
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

ag_request_t *ag_parse_kyso_http(const char *method, const char *path, const char *query)
{
	ag_request_t *rq = ag_request_new(AG_PROTO_KYSO);
	if (rq == NULL)
		return NULL;
	rq->http = true;
	bool post = strcmp(method, "POST") == 0;
	if (strcmp(path, "/v1/status") == 0 && !post)
		rq->op = AG_OP_STATUS;
	else if (strcmp(path, "/v1/certificates") == 0 && !post)
		rq->op = AG_OP_CERTS;
	else if (strcmp(path, "/v1/sign/pdf") == 0 && post)
		rq->op = AG_OP_SIGN_PDF;
	else if (strcmp(path, "/v1/sign/hash") == 0 && post)
		rq->op = AG_OP_SIGN_HASH;
	else if (strcmp(path, "/v1/verify") == 0 && post)
		rq->op = AG_OP_VERIFY;
	else {
		ag_request_fail(rq, KYSO_ERR_NOT_FOUND, _("no such API endpoint: %s %s"), method,
		                path);
		return rq;
	}
	const char *q = query != NULL ? query : "";
	while (*q && rq->op != AG_OP_NONE) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		if (eq != NULL && n < 8192) {
			char *k = pct_decode(q, (size_t)(eq - q));
			char *v = pct_decode(eq + 1, n - (size_t)(eq - q) - 1);
			if (k != NULL && v != NULL) {
				json_t *jv = json_string(v);
				if (jv == NULL)
					ag_request_fail(rq, KYSO_ERR_BAD_INPUT,
					                _("\"%s\" is not UTF-8"), k);
				else
					kyso_opt(rq, k, jv);
				json_decref(jv);
			}
			free(k);
			free(v);
		}
		q += n;
		if (*q == '&')
			q++;
	}
	check_rect(rq);
	return rq;
}

void ag_parse_kyso_hash_body(ag_request_t *rq, const char *body, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("the body is not a JSON object"));
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (rq->op == AG_OP_NONE)
			break;
		kyso_opt(rq, key, v);
	}
	json_t *h = json_object_get(o, "hash");
	if (rq->op != AG_OP_NONE) {
		if (h == NULL)
			ag_request_fail(rq, KYSO_ERR_BAD_INPUT, _("\"hash\" is required"));
		else
			parse_hashes(rq, h, rq->digest);
	}
	json_decref(o);
}

ag_request_t *ag_parse_ws(ag_proto_t kind, const char *path, const char *msg, size_t len,
                          ag_spooled_t *sp)
{
	spool_cur = sp;
	ag_request_t *rq = kind == AG_PROTO_VNPT   ? ag_parse_vnpt(msg, len)
	                   : kind == AG_PROTO_VGCA ? ag_parse_vgca(path, msg, len)
	                                           : ag_parse_kyso_ws(msg, len);
	spool_cur = NULL;
	return rq;
}
