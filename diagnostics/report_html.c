/* HTML writer: one self-contained page (inline CSS, no scripts, no external
 * assets), summary on top, problems first. */
#include "doctor_int.h"

#include <stdlib.h>
#include <string.h>

void kyso_doctor_html_esc(kyso_buf_t *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<':
			kyso_buf_printf(b, "&lt;");
			break;
		case '>':
			kyso_buf_printf(b, "&gt;");
			break;
		case '&':
			kyso_buf_printf(b, "&amp;");
			break;
		case '"':
			kyso_buf_printf(b, "&quot;");
			break;
		case '\'':
			kyso_buf_printf(b, "&#39;");
			break;
		default:
			kyso_buf_append(b, s, 1);
		}
	}
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
}

static const char *status_word(const char *st)
{
	if (strcmp(st, "pass") == 0)
		return _("OK");
	if (strcmp(st, "warn") == 0)
		return _("Warning");
	if (strcmp(st, "fail") == 0)
		return _("Problem");
	return _("Skipped");
}

/* Does any sub-result carry its own remedy? */
static bool parts_have_remedy(const json_t *parts)
{
	size_t i;
	const json_t *p;
	json_array_foreach(parts, i, p)
	{
		if (*str(p, "remedy"))
			return true;
	}
	return false;
}

/* Sub-results of a check (the agent's protocols), each with its own remedy. */
static void parts_list(kyso_buf_t *b, const json_t *parts)
{
	size_t i;
	const json_t *p;
	kyso_buf_printf(b, "<ul class=\"parts\">");
	json_array_foreach(parts, i, p)
	{
		const char *st = str(p, "status");
		kyso_buf_printf(b, "<li class=\"%s\"><b>%s</b> ", st, status_word(st));
		kyso_doctor_html_esc(b, str(p, "protocol"));
		kyso_buf_printf(b, ": ");
		kyso_doctor_html_esc(b, str(p, "detail"));
		if (*str(p, "remedy") && (strcmp(st, "fail") == 0 || strcmp(st, "warn") == 0)) {
			kyso_buf_printf(b, "<div class=\"r\">→ ");
			kyso_doctor_html_esc(b, str(p, "remedy"));
			kyso_buf_printf(b, "</div>");
		}
		kyso_buf_printf(b, "</li>");
	}
	kyso_buf_printf(b, "</ul>");
}

static void rows(kyso_buf_t *b, const json_t *checks, const char *want)
{
	size_t i;
	const json_t *c;
	json_array_foreach(checks, i, c)
	{
		const char *st = str(c, "status");
		if (strcmp(st, want) != 0)
			continue;
		kyso_buf_printf(b, "<tr class=\"%s\" id=\"check-%s\"><td class=\"st\">%s</td><td>",
		                st, str(c, "id"), status_word(st));
		kyso_buf_printf(b, "<div class=\"t\">");
		kyso_doctor_html_esc(b, str(c, "title"));
		kyso_buf_printf(b, "</div><div class=\"d\">");
		kyso_doctor_html_esc(b, str(c, "detail"));
		kyso_buf_printf(b, "</div>");
		const json_t *parts = json_object_get(json_object_get(c, "data"), "protocols");
		if (json_array_size(parts) > 0)
			parts_list(b, parts);
		/* with parts, the check's remedy only when no part has its own */
		if (*str(c, "remedy") && strcmp(st, "pass") != 0 && strcmp(st, "skip") != 0 &&
		    !parts_have_remedy(parts)) {
			kyso_buf_printf(b, "<div class=\"r\">→ ");
			kyso_doctor_html_esc(b, str(c, "remedy"));
			kyso_buf_printf(b, "</div>");
		}
		kyso_buf_printf(b, "</td><td class=\"ms\">%lld ms</td></tr>\n",
		                (long long)json_integer_value(json_object_get(c, "duration_ms")));
	}
}

static const char css[] =
        "body{font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif;margin:0;"
        "background:#f4f5f7;color:#1d2330}"
        "main{max-width:960px;margin:0 auto;padding:24px}"
        "h1{font-size:26px;margin:0 0 4px}.meta{color:#5a6272;font-size:14px}"
        ".sum{border-radius:10px;padding:18px 22px;margin:18px 0;font-size:20px;"
        "font-weight:600;color:#fff}"
        ".sum.pass{background:#2e7d32}.sum.warn{background:#b26a00}.sum.fail{background:#c62828}"
        ".counts{font-size:15px;font-weight:400;margin-top:6px}"
        "table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;"
        "overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
        "td{padding:10px 14px;border-bottom:1px solid #e5e7eb;vertical-align:top}"
        "td.st{width:90px;font-weight:700;font-size:14px}td.ms{width:70px;color:#8a91a0;"
        "font-size:12px;text-align:right}"
        "tr.fail td.st{color:#c62828}tr.warn td.st{color:#b26a00}tr.pass td.st{color:#2e7d32}"
        "tr.skip td.st{color:#8a91a0}tr.fail{background:#fdecea}tr.warn{background:#fff6e0}"
        ".t{font-weight:600}.d{margin-top:2px}.r{margin-top:6px;font-weight:600;color:#0d47a1}"
        "tr.skip .d{color:#6b7280}ul.parts{margin:6px 0 0;padding-left:18px}"
        "ul.parts li{margin:3px 0}li.fail b{color:#c62828}li.warn b{color:#b26a00}"
        "li.pass b{color:#2e7d32}li.skip b{color:#8a91a0}";

char *kyso_doctor_html(const json_t *report)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	const json_t *sum = json_object_get(report, "summary");
	const json_t *os = json_object_get(report, "os");
	const char *res = kyso_doctor_result(report);
	kyso_buf_printf(&b,
	                "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	                "<meta name=\"viewport\" content=\"width=device-width\">"
	                "<title>%s</title><style>%s</style></head><body><main>\n",
	                str(report, "lang"), _("kyso doctor report"), css);
	kyso_buf_printf(&b, "<h1>%s</h1><div class=\"meta\">", _("kyso doctor report"));
	kyso_doctor_html_esc(&b, str(report, "created"));
	kyso_buf_printf(&b, " · %s %s · kyso %s · %s ", str(os, "name"), str(os, "release"),
	                str(report, "kyso_version"), _("report id"));
	kyso_doctor_html_esc(&b, str(report, "id"));
	kyso_buf_printf(&b, "</div>\n<div class=\"sum %s\" id=\"summary\">", res);
	if (strcmp(res, "pass") == 0)
		kyso_buf_printf(&b, "%s", _("Everything checked is in order."));
	else
		kyso_buf_printf(&b, "%s", _("Signing may not work: see the problems below."));
	kyso_buf_printf(
	        &b, "<div class=\"counts\">%lld %s · %lld %s · %lld %s · %lld %s</div></div>\n",
	        (long long)json_integer_value(json_object_get(sum, "fail")), _("problem(s)"),
	        (long long)json_integer_value(json_object_get(sum, "warn")), _("warning(s)"),
	        (long long)json_integer_value(json_object_get(sum, "pass")), _("OK"),
	        (long long)json_integer_value(json_object_get(sum, "skip")), _("skipped"));
	kyso_buf_printf(&b, "<table>\n");
	const json_t *checks = json_object_get(report, "checks");
	rows(&b, checks, "fail");
	rows(&b, checks, "warn");
	rows(&b, checks, "pass");
	rows(&b, checks, "skip");
	kyso_buf_printf(&b, "</table></main></body></html>\n");
	if (kyso_buf_append(&b, "", 1) != KYSO_OK) {
		kyso_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

kyso_err_t kyso_doctor_write_html(const json_t *report, const char *path, kyso_error_t *err)
{
	char *page = kyso_doctor_html(report);
	if (page == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_file_write_atomic(path, page, strlen(page), 0644, err);
	free(page);
	return rc;
}
