/* `kyso verify --html FILE`: one self-contained page (no external
 * resources) a văn thư can read: the file's verdict first, then one card per
 * signature with its parts, problems and warnings. */
#include "kyso_signer.h"
#include "kyso_trust.h"

#include <string.h>

static void esc(kyso_buf_t *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		const char *r = *s == '<'   ? "&lt;"
		                : *s == '>' ? "&gt;"
		                : *s == '&' ? "&amp;"
		                : *s == '"' ? "&quot;"
		                            : NULL;
		if (r != NULL)
			kyso_buf_append(b, r, strlen(r));
		else
			kyso_buf_append(b, s, 1);
	}
}

static void put(kyso_buf_t *b, const char *s)
{
	kyso_buf_append(b, s, strlen(s));
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
}

/* CSS class and words for an indication */
static const char *klass(const char *ind)
{
	return strcmp(ind, "TOTAL-PASSED") == 0   ? "ok"
	       : strcmp(ind, "TOTAL-FAILED") == 0 ? "bad"
	                                          : "unk";
}

static const char *words(const char *ind)
{
	return strcmp(ind, "TOTAL-PASSED") == 0   ? _("VALID")
	       : strcmp(ind, "TOTAL-FAILED") == 0 ? _("INVALID")
	                                          : _("cannot be confirmed now");
}

static void row(kyso_buf_t *b, const char *label, const char *value)
{
	put(b, "<tr><th>");
	esc(b, label);
	put(b, "</th><td>");
	esc(b, value);
	put(b, "</td></tr>\n");
}

static void list(kyso_buf_t *b, json_t *a, const char *cls)
{
	for (size_t i = 0; i < json_array_size(a); i++) {
		put(b, "<p class=\"");
		put(b, cls);
		put(b, "\">");
		esc(b, json_string_value(json_array_get(a, i)));
		put(b, "</p>\n");
	}
}

static void card(kyso_buf_t *b, json_t *s, size_t i, size_t n)
{
	const char *ind = jstr(s, "indication");
	json_t *signer = json_object_get(s, "signer");
	char head[128];
	snprintf(head, sizeof(head), _("Signature %zu/%zu"), i + 1, n);
	put(b, "<section class=\"card ");
	put(b, klass(ind));
	put(b, "\"><h2>");
	esc(b, head);
	put(b, ": ");
	esc(b, words(ind));
	put(b, "</h2>\n");
	const char *img = json_string_value(json_object_get(s, "image"));
	if (img != NULL && strncmp(img, "data:image/", 11) == 0) {
		put(b, "<img class=\"sigimg\" alt=\"");
		esc(b, _("signature image"));
		put(b, "\" src=\"");
		esc(b, img);
		put(b, "\">\n");
	}
	put(b, "<table>\n");
	if (json_is_object(signer)) {
		row(b, _("signer"), jstr(signer, "subject"));
		row(b, _("issuer"), jstr(signer, "issuer"));
	} else {
		row(b, _("signer"),
		    strcmp(jstr(s, "type"), "doc-timestamp") == 0 ? _("document time stamp") : "-");
	}
	row(b, _("signing time"), jstr(s, "signing_time"));
	if (*jstr(s, "reason"))
		row(b, _("reason"), jstr(s, "reason"));
	if (*jstr(s, "location"))
		row(b, _("location"), jstr(s, "location"));
	const char *cat = json_string_value(json_object_get(s, "root_category"));
	if (cat != NULL)
		row(b, _("root"), kyso_trust_category_text(cat));
	char v[160];
	const char *sub = json_string_value(json_object_get(s, "sub_indication"));
	snprintf(v, sizeof(v), "%s%s%s", ind, sub ? " / " : "", sub ? sub : "");
	row(b, _("verdict (ETSI EN 319 102-1)"), v);
	put(b, "</table>\n<table class=\"parts\">\n");
	static const char *const names[] = {"integrity", "signer_trusted", "certificate_status",
	                                    "timestamp", "later_changes"};
	const char *labels[] = {_("integrity"), _("signer trusted"), _("certificate status"),
	                        _("time stamp"), _("later changes")};
	json_t *parts = json_object_get(s, "parts");
	for (size_t k = 0; k < 5; k++) {
		json_t *p = json_object_get(parts, names[k]);
		if (!json_is_object(p))
			continue;
		const char *pi = jstr(p, "indication");
		const char *ps = json_string_value(json_object_get(p, "sub_indication"));
		put(b, "<tr class=\"");
		put(b, klass(pi));
		put(b, "\"><th>");
		esc(b, labels[k]);
		put(b, "</th><td>");
		esc(b, words(pi));
		if (ps != NULL) {
			put(b, " <small>(");
			esc(b, ps);
			put(b, ")</small>");
		}
		put(b, "</td></tr>\n");
	}
	put(b, "</table>\n");
	list(b, json_object_get(s, "problems"), "problem");
	list(b, json_object_get(s, "warnings"), "warning");
	put(b, "</section>\n");
}

kyso_err_t kyso_verify_html_write(json_t *doc, const char *path, kyso_error_t *err)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	const char *ind = jstr(doc, "indication");
	json_t *sigs = json_object_get(doc, "signatures");
	size_t n = json_array_size(sigs);
	put(&b, "<!DOCTYPE html>\n<html lang=\"");
	put(&b, _("en"));
	put(&b, "\"><head><meta charset=\"utf-8\"><title>");
	esc(&b, _("Signature check"));
	put(&b, "</title>\n<style>body{font-family:sans-serif;max-width:52em;margin:1em auto;"
	        "color:#222}.summary{padding:1em;border-radius:6px;color:#fff}"
	        ".summary.ok{background:#1b7a3a}.summary.bad{background:#b3261e}"
	        ".summary.unk{background:#a15c00}.card{border:2px solid #ccc;border-radius:6px;"
	        "padding:0 1em 1em;margin:1em 0}.card.ok{border-color:#1b7a3a}"
	        ".card.bad{border-color:#b3261e}.card.unk{border-color:#a15c00}"
	        "th{text-align:left;padding-right:1em;vertical-align:top;font-weight:600}"
	        "tr.ok td{color:#1b7a3a}tr.bad td{color:#b3261e}tr.unk td{color:#a15c00}"
	        ".sigimg{max-width:18em;max-height:8em;float:right;border:1px solid #ddd}"
	        ".problem{color:#b3261e}.warning{color:#6b4e00}</style></head><body>\n");
	put(&b, "<div class=\"summary ");
	put(&b, n > 0 ? klass(ind) : "bad");
	put(&b, "\"><h1>");
	esc(&b, n > 0 ? words(ind) : _("The document has no signature."));
	put(&b, "</h1><p>");
	esc(&b, jstr(doc, "file"));
	char cnt[96];
	snprintf(cnt, sizeof(cnt), _(" — %zu signature(s)"), n);
	esc(&b, cnt);
	put(&b, "</p></div>\n");
	for (size_t i = 0; i < n; i++)
		card(&b, json_array_get(sigs, i), i, n);
	put(&b, "</body></html>\n");
	kyso_err_t rc = kyso_file_write_atomic(path, b.data, b.len, 0644, err);
	kyso_buf_free(&b);
	return rc;
}
