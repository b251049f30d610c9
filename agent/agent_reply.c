/* Answers in each protocol's format:
 * - VNPT-CA Plugin: "<result>*<callback>", result {"code","data","error"};
 * - VGCA Sign Service: {"Status","Message",...} (Status 0 = success);
 * - kyso API: {"id","ok",...} over WebSocket, or an HTTP response. */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag_reply_free(ag_reply_t **pr)
{
	ag_reply_t *r = pr != NULL ? *pr : NULL;
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->body);
	if (r->file != NULL) {
		remove(r->file);
		free(r->file);
	}
	free(r->extra_headers);
	free(r);
	*pr = NULL;
}

int ag_vnpt_code(kyso_err_t e)
{
	switch (e) {
	case KYSO_OK:
		return 0;
	case KYSO_ERR_PIN_CANCELLED:
		return 11;
	case KYSO_ERR_NO_TOKEN:
	case KYSO_ERR_MODULE_LOAD:
		return 2;
	case KYSO_ERR_KEY_NOT_FOUND:
		return 4;
	case KYSO_ERR_BAD_INPUT:
	case KYSO_ERR_BAD_PDF:
	case KYSO_ERR_TOO_LARGE:
	case KYSO_ERR_ENCRYPTED:
	case KYSO_ERR_BAD_PASSWORD:
	case KYSO_ERR_USAGE:
		return 1;
	default:
		return 3;
	}
}

static unsigned http_status(kyso_err_t e)
{
	switch (e) {
	case KYSO_OK:
		return 200;
	case KYSO_ERR_BAD_INPUT:
	case KYSO_ERR_BAD_PDF:
	case KYSO_ERR_ENCRYPTED:
	case KYSO_ERR_BAD_PASSWORD:
	case KYSO_ERR_USAGE:
		return 400;
	case KYSO_ERR_PIN_CANCELLED:
		return 403;
	case KYSO_ERR_NOT_FOUND:
		return 404;
	case KYSO_ERR_TOO_LARGE:
		return 413;
	case KYSO_ERR_PROBLEM:
		return 503;
	default:
		return 502;
	}
}

static ag_reply_t *reply_new(const ag_request_t *rq)
{
	ag_reply_t *r = calloc(1, sizeof(*r));
	if (r != NULL) {
		r->http = rq->http;
		r->status = 200;
	}
	return r;
}

static ag_reply_t *set_text(ag_reply_t *r, char *text)
{
	if (r == NULL || text == NULL) {
		free(text);
		ag_reply_free(&r);
		return NULL;
	}
	r->body = text;
	r->len = strlen(text);
	return r;
}

static ag_reply_t *set_json(ag_reply_t *r, json_t *j)
{
	char *t = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (r != NULL && t != NULL) {
		free(r->content_type);
		r->content_type = strdup("application/json");
	}
	return set_text(r, t);
}

/* Where a signed file goes in a JSON answer: r's body holds B64_MARK as the
 * file's base64 and keeps it out of memory: stream_file() cuts the mark and
 * the file is encoded while the answer is sent (ag_reply_t.file_b64). */
#define B64_MARK "kyso:file-base64:7c1e"

static ag_reply_t *stream_file(ag_reply_t *r, ag_outcome_t *o)
{
	char *at = r != NULL && r->body != NULL ? strstr(r->body, B64_MARK) : NULL;
	if (at == NULL || o->out_path == NULL)
		return r;
	size_t m = strlen(B64_MARK);
	memmove(at, at + m, strlen(at + m) + 1);
	r->len -= m;
	r->b64_at = (size_t)(at - r->body);
	r->file_b64 = true;
	free(r->file);
	r->file = o->out_path;
	o->out_path = NULL;
	return r;
}

/* ---- VNPT ----------------------------------------------------------------------- */

static ag_reply_t *vnpt_wrap(const ag_request_t *rq, json_t *result_or_null, const char *plain)
{
	char *res = plain != NULL ? strdup(plain)
	                          : json_dumps(result_or_null, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(result_or_null);
	char *out = NULL;
	if (res == NULL || asprintf(&out, "%s*%s", res, rq->callback) < 0)
		out = NULL;
	free(res);
	return set_text(reply_new(rq), out);
}

static json_t *vnpt_result(int code, json_t *data, const char *error)
{
	return json_pack("{s:i, s:o, s:s}", "code", code, "data",
	                 data != NULL ? data : json_string(""), "error",
	                 error != NULL ? error : "");
}

/* a JSON value as the text of a JSON string element (VR6) */
static void append_text(json_t *arr, json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(v);
	json_array_append_new(arr, json_string(t != NULL ? t : ""));
	free(t);
}

/* signArrDataAdvanced / signCms after the worker ran */
static ag_reply_t *vnpt_items_reply(const ag_request_t *rq, ag_outcome_t *o, int code,
                                    const char *msg)
{
	const json_t *items = json_object_get(o->data, "items");
	const json_t *serial = json_object_get(o->data, "serial");
	if (rq->shape == AG_SHAPE_SINGLE) {
		const json_t *it = json_array_get(items, 0);
		if (code != 0 || it == NULL)
			return vnpt_wrap(rq, vnpt_result(code ? code : 5, NULL, msg), NULL);
		return vnpt_wrap(rq,
		                 vnpt_result((int)json_integer_value(json_object_get(it, "code")),
		                             json_incref(json_object_get(it, "data")),
		                             json_string_value(json_object_get(it, "error"))),
		                 NULL);
	}
	json_t *arr = json_array();
	size_t n = rq->nitems > 0 ? rq->nitems : 1;
	for (size_t i = 0; i < n; i++) {
		const json_t *it = json_array_get(items, i);
		if (code != 0 || it == NULL) {
			append_text(arr, vnpt_result(code ? code : 5, NULL, msg));
			continue;
		}
		json_t *e = vnpt_result((int)json_integer_value(json_object_get(it, "code")),
		                        json_incref(json_object_get(it, "data")),
		                        json_string_value(json_object_get(it, "error")));
		if (json_is_true(json_object_get(it, "serial")) && json_is_string(serial))
			json_object_set(e, "serial", (json_t *)serial);
		append_text(arr, e);
	}
	return vnpt_wrap(rq, arr, NULL);
}

/* a signed document: {"code":0,"data":...} or, as a signArrDataAdvanced
 * item, an array holding that as a JSON string */
static ag_reply_t *vnpt_document(const ag_request_t *rq, json_t *data)
{
	if (rq->shape != AG_SHAPE_ARRAY)
		return vnpt_wrap(rq, vnpt_result(0, data, ""), NULL);
	json_t *arr = json_array();
	append_text(arr, vnpt_result(0, data, ""));
	return vnpt_wrap(rq, arr, NULL);
}

/* getCertInfo (VR4): flat, no "code"; "" when there is no certificate */
static json_t *vnpt_cert_info(const json_t *c)
{
	return json_pack(
	        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "serial",
	        json_object_get(c, "serial"), "subjectCN", json_object_get(c, "subject_cn"),
	        "issuerCN", json_object_get(c, "issuer_cn"), "notBefore",
	        json_object_get(c, "not_before"), "notAfter", json_object_get(c, "not_after"),
	        "base64", json_object_get(c, "certificate"), "signatureAlgorithm",
	        json_object_get(c, "signature_algorithm"), "keyUsage",
	        json_object_get(c, "key_usage"));
}

/* functions answered without the token */
static ag_reply_t *vnpt_answer(const ag_request_t *rq)
{
	switch (rq->function_id) {
	case 5: /* chooseFile: "" = nothing chosen (no file dialog in kyso-agent) */
		return vnpt_wrap(rq, NULL, "");
	case 13: /* checkPluginAdvanced: only VNPT's key passes; never "1" */
		return vnpt_wrap(rq, NULL, "-1");
	default: /* setLanguage, SetShowCertListDialog */
		return vnpt_wrap(rq, vnpt_result(0, NULL, ""), NULL);
	}
}

static ag_reply_t *vnpt_reply(const ag_request_t *rq, ag_outcome_t *o)
{
	if (rq->op == AG_OP_STATUS)
		return vnpt_wrap(rq, NULL, "1");
	if (rq->op == AG_OP_VERSION)
		return vnpt_wrap(rq, NULL, ag_vnpt_version());
	if (rq->op == AG_OP_LICENSE) /* not the licensor: every page may use it */
		return vnpt_wrap(rq, vnpt_result(1, NULL, ""), NULL);
	if (rq->op == AG_OP_ANSWER)
		return vnpt_answer(rq);
	if (rq->op == AG_OP_UNSUPPORTED) {
		char m[200];
		snprintf(m, sizeof(m), _("Function %d is not supported by kyso-agent."),
		         rq->function_id);
		return vnpt_wrap(rq, vnpt_result(5, NULL, m), NULL);
	}
	kyso_err_t e = o->err != KYSO_OK ? o->err : (rq->op == AG_OP_NONE ? rq->err : KYSO_OK);
	const char *m = o->message != NULL ? o->message : rq->err_msg;
	if (m == NULL)
		m = kyso_strerr(e);
	if (rq->op == AG_OP_CERT_CHECK) {
		char num[16];
		snprintf(num, sizeof(num), "%d",
		         e != KYSO_OK
		                 ? 8
		                 : (int)json_integer_value(json_object_get(o->data, "result")));
		return vnpt_wrap(rq, NULL, num);
	}
	if (rq->op == AG_OP_CERTS && e != KYSO_OK)
		return vnpt_wrap(rq, NULL, "");
	if (rq->op == AG_OP_SIGN_ITEMS || (rq->shape == AG_SHAPE_ARRAY && e != KYSO_OK))
		return vnpt_items_reply(rq, o, e != KYSO_OK ? ag_vnpt_code(e) : 0, m);
	if (e != KYSO_OK)
		return vnpt_wrap(rq, vnpt_result(ag_vnpt_code(e), NULL, m), NULL);
	json_t *data = NULL;
	switch (rq->op) {
	case AG_OP_CERTS:
		return vnpt_wrap(rq, vnpt_cert_info(json_array_get(o->data, 0)), NULL);
	case AG_OP_SIGN_PDF:
		if (o->out_path == NULL)
			return vnpt_wrap(rq, vnpt_result(3, NULL, ag_vnpt_code_text(3)), NULL);
		return stream_file(vnpt_document(rq, json_string(B64_MARK)), o);
	case AG_OP_SIGN_XML:
		return vnpt_document(rq, json_incref(json_object_get(o->data, "xml")));
	case AG_OP_SIGN_HASH: {
		data = json_array();
		const json_t *sigs = json_object_get(o->data, "signatures");
		for (size_t i = 0; i < json_array_size(sigs); i++)
			json_array_append(data,
			                  json_object_get(json_array_get(sigs, i), "signature"));
		break;
	}
	case AG_OP_VERIFY:
		data = json_incref(o->data);
		break;
	default:
		break;
	}
	return vnpt_wrap(rq, vnpt_result(0, data, ""), NULL);
}

/* ---- VGCA ------------------------------------------------------------------------ */

static ag_reply_t *vgca_reply(const ag_request_t *rq, ag_outcome_t *o)
{
	ag_reply_t *r = reply_new(rq);
	if (rq->op == AG_OP_UNSUPPORTED) {
		char m[160];
		snprintf(m, sizeof(m), _("/%s is not supported by kyso-agent."), rq->vgca_op);
		return set_json(
		        r, json_pack("{s:i, s:s, s:s}", "Status", 1, "Message", m, "Error", m));
	}
	if (o->err != KYSO_OK || rq->op == AG_OP_NONE) {
		kyso_err_t e = o->err != KYSO_OK ? o->err : rq->err;
		const char *m = o->message != NULL ? o->message : rq->err_msg;
		if (m == NULL)
			m = kyso_strerr(e);
		return set_json(r, json_pack("{s:i, s:s, s:s}", "Status",
		                             ag_vnpt_code(e) ? ag_vnpt_code(e) : 3, "Message", m,
		                             "Error", m));
	}
	switch (rq->op) {
	case AG_OP_SIGN_ITEMS: {
		const json_t *it = json_array_get(json_object_get(o->data, "items"), 0);
		return set_json(r, json_pack("{s:i, s:s, s:O?, s:O?}", "Status", 0, "Message", "",
		                             "Signature", json_object_get(it, "data"), "CertBase64",
		                             json_object_get(o->data, "certificate")));
	}
	case AG_OP_ANSWER: /* Config (ignored by the client), GetLicenseRequest */
		return set_json(r, json_pack("{s:i, s:s, s:s}", "Status", 0, "Message",
		                             strcmp(rq->vgca_op, "Config") == 0
		                                     ? ""
		                                     : _("kyso-agent needs no license."),
		                             "LicenseRequest", ""));
	case AG_OP_CERTS: {
		json_t *c = json_array_get(o->data, 0);
		json_t *j = json_pack("{s:i, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "Status", 0,
		                      "Message", "", "Base64", json_object_get(c, "certificate"),
		                      "Subject", json_object_get(c, "subject"), "Issuer",
		                      json_object_get(c, "issuer"), "SerialNumber",
		                      json_object_get(c, "serial"), "NotBefore",
		                      json_object_get(c, "not_before"), "NotAfter",
		                      json_object_get(c, "not_after"));
		/* the same fields nested, as pages read them (CertInfo) */
		json_t *ci = json_deep_copy(j);
		json_object_del(ci, "Status");
		json_object_del(ci, "Message");
		json_object_set_new(j, "CertInfo", ci);
		return set_json(r, j);
	}
	case AG_OP_SIGN_PDF:
		return set_json(
		        r,
		        json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "Status", 0, "Message", "",
		                  "FileName",
		                  o->file_name != NULL ? o->file_name
		                                       : (rq->doc_name ? rq->doc_name : ""),
		                  "FileServer", o->file_server != NULL ? o->file_server : "",
		                  "DocumentNumber", rq->doc_number ? rq->doc_number : "",
		                  "DocumentDate", rq->doc_date ? rq->doc_date : "",
		                  "CustomSignatureText",
		                  rq->appearance_text != NULL ? rq->appearance_text : o->signer));
	case AG_OP_VERIFY:
		return set_json(r, json_pack("{s:i, s:s, s:O}", "Status", 0, "Message", "",
		                             "Report", o->data));
	default:
		return set_json(r, json_pack("{s:i, s:s}", "Status", 0, "Message", ""));
	}
}

/* ---- kyso ------------------------------------------------------------------------- */

static json_t *kyso_error_json(kyso_err_t e, const char *msg)
{
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", kyso_err_id(e), "message",
	                 msg != NULL ? msg : kyso_strerr(e));
}

static void pct_encode(kyso_buf_t *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
		    *p == ' ' || *p == '=' || *p == ',')
			kyso_buf_append(b, p, 1);
		else
			kyso_buf_printf(b, "%%%02X", *p);
	}
}

static ag_reply_t *kyso_reply(const ag_request_t *rq, ag_outcome_t *o)
{
	ag_reply_t *r = reply_new(rq);
	if (r == NULL)
		return NULL;
	kyso_err_t e = o->err != KYSO_OK ? o->err : (rq->op == AG_OP_NONE ? rq->err : KYSO_OK);
	json_t *j;
	if (e != KYSO_OK) {
		j = kyso_error_json(e, o->message != NULL ? o->message : rq->err_msg);
		r->status = http_status(e);
	} else if (rq->op == AG_OP_SIGN_PDF && rq->http) {
		/* the signed PDF is the body; details in headers */
		r->content_type = strdup("application/pdf");
		r->file = o->out_path;
		r->file_len = o->out_len;
		o->out_path = NULL;
		kyso_buf_t h;
		kyso_buf_init(&h);
		kyso_buf_printf(&h, "x-kyso-signer: ");
		pct_encode(&h, o->signer);
		kyso_buf_printf(&h, "\r\n");
		json_t *na = json_object_get(o->data, "not_applied");
		if (json_array_size(na) > 0) {
			char *t = json_dumps(na, JSON_COMPACT);
			kyso_buf_printf(&h, "x-kyso-not-applied: ");
			pct_encode(&h, t != NULL ? t : "");
			kyso_buf_printf(&h, "\r\n");
			free(t);
		}
		kyso_buf_append(&h, "", 1);
		r->extra_headers = (char *)h.data;
		return r;
	} else {
		j = json_pack("{s:b}", "ok", 1);
		switch (rq->op) {
		case AG_OP_STATUS:
			json_object_update(j, o->data);
			break;
		case AG_OP_CERTS:
			json_object_set(j, "certificates", o->data);
			break;
		case AG_OP_SIGN_PDF:
			json_object_update(j, o->data);
			json_object_set_new(j, "pdf", json_string(B64_MARK));
			break;
		case AG_OP_SIGN_HASH:
			json_object_update(j, o->data);
			break;
		case AG_OP_VERIFY:
			json_object_set(j, "report", o->data);
			break;
		default:
			break;
		}
	}
	if (rq->id != NULL)
		json_object_set(j, "id", rq->id);
	return stream_file(set_json(r, j), o);
}

ag_reply_t *ag_reply_build(const ag_request_t *rq, ag_outcome_t *o)
{
	switch (rq->proto) {
	case AG_PROTO_VNPT:
		return vnpt_reply(rq, o);
	case AG_PROTO_VGCA:
		return vgca_reply(rq, o);
	case AG_PROTO_KYSO:
		break;
	}
	return kyso_reply(rq, o);
}

ag_reply_t *ag_reply_error(const ag_request_t *rq, kyso_err_t code, const char *msg)
{
	ag_outcome_t o;
	memset(&o, 0, sizeof(o));
	o.err = code;
	o.message = strdup(msg);
	ag_reply_t *r = ag_reply_build(rq, &o);
	ag_outcome_clear(&o);
	return r;
}
