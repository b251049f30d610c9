/* The collector's dashboard: server-side HTML, inline CSS and SVG charts,
 * no scripts and no external assets (the page's CSP forbids them). */
#include "doctor_int.h"
#include "reports_db_int.h"
#include "reports_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define esc     kyso_doctor_html_esc
#define CHART_W 640

static const char style[] =
        "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse}"
        "td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #ddd}"
        ".n{text-align:right;font-variant-numeric:tabular-nums}.new{color:#b00}"
        "form.f label{margin-right:.8em}.big{font-size:2em;font-weight:bold}"
        "a{color:#0645ad}</style>";

static void head(kyso_buf_t *b, const char *title)
{
	kyso_buf_printf(b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">",
	                kyso_i18n_lang());
	kyso_buf_printf(b, "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	esc(b, title);
	kyso_buf_printf(b, "</title>%s</head><body><h1>", style);
	esc(b, title);
	kyso_buf_printf(b, "</h1>");
}

static char *finish(kyso_buf_t *b)
{
	kyso_buf_printf(b, "</body></html>");
	if (kyso_buf_append(b, "", 1) != KYSO_OK) {
		kyso_buf_free(b);
		return NULL;
	}
	return (char *)b->data;
}

static void url_enc(kyso_buf_t *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '-' || c == '.' || c == '_')
			kyso_buf_append(b, s, 1);
		else
			kyso_buf_printf(b, "%%%02X", c);
	}
}

/* The filter as a query string (without check): "days=30&unit=...". */
static void filter_query(kyso_buf_t *b, const kyso_reports_filter_t *f)
{
	kyso_buf_printf(b, "days=%d", f->days);
	const char *names[] = {"unit", "token", "os", "version"};
	const char *vals[] = {f->org, f->token_type, f->os, f->version};
	for (int i = 0; i < 4; i++) {
		if (vals[i] == NULL || *vals[i] == '\0')
			continue;
		kyso_buf_printf(b, "&amp;%s=", names[i]);
		url_enc(b, vals[i]);
	}
}

static void select_box(kyso_buf_t *b, const char *name, const char *label, const json_t *opts,
                       const char *cur)
{
	kyso_buf_printf(b, "<label>");
	esc(b, label);
	kyso_buf_printf(b, " <select name=\"%s\"><option value=\"\">", name);
	esc(b, _("all"));
	kyso_buf_printf(b, "</option>");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)opts, k, v)
	{
		kyso_buf_printf(b, "<option value=\"");
		esc(b, k);
		kyso_buf_printf(b, "\"%s>", cur != NULL && strcmp(cur, k) == 0 ? " selected" : "");
		esc(b, k);
		kyso_buf_printf(b, "</option>");
	}
	kyso_buf_printf(b, "</select></label>");
}

static json_int_t max_of(const json_t *o)
{
	json_int_t m = 1;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		if (json_integer_value(v) > m)
			m = json_integer_value(v);
	}
	return m;
}

/* A cause's reports per day over the window, as a line. */
static void sparkline(kyso_buf_t *b, const json_t *per_day, int days)
{
	json_int_t m = max_of(per_day);
	kyso_buf_printf(b,
	                "<td><svg class=\"spark\" width=\"122\" height=\"18\" role=\"img\">"
	                "<polyline fill=\"none\" stroke=\"#b00\" stroke-width=\"1.5\" points=\"");
	for (int i = 0; i < days; i++) {
		char day[16];
		kyso_reports_db_day(days - 1 - i, day);
		json_int_t x = json_integer_value(json_object_get(per_day, day));
		kyso_buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "",
		                1 + (days > 1 ? 120.0 * i / (days - 1) : 0.0),
		                17 - 16.0 * (double)x / (double)m);
	}
	kyso_buf_printf(b, "\"/></svg></td>");
}

static int window_days(int days)
{
	return days <= 0 || days > 366 ? 30 : days;
}

/* Horizontal bars, one per key; with `check_links`, each label opens the
 * list of the reports for that cause; `fresh` adds "+N today", `trend` a
 * line of the cause's reports per day. */
static void bars(kyso_buf_t *b, const char *id, const json_t *o, const json_t *fresh,
                 const json_t *trend, const kyso_reports_filter_t *f, bool check_links)
{
	size_t n = json_object_size(o);
	if (n == 0) {
		kyso_buf_printf(b, "<p>-</p>");
		return;
	}
	json_int_t m = max_of(o);
	kyso_buf_printf(b, "<table id=\"%s\">", id);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		json_int_t x = json_integer_value(v);
		long w = (long)(x * 300 / m);
		kyso_buf_printf(b, "<tr><td>");
		if (check_links) {
			kyso_buf_printf(b, "<a href=\"/cause?check=");
			url_enc(b, k);
			kyso_buf_printf(b, "&amp;");
			filter_query(b, f);
			kyso_buf_printf(b, "\">");
			esc(b, k);
			kyso_buf_printf(b, "</a>");
		} else
			esc(b, k);
		kyso_buf_printf(
		        b,
		        "</td><td><svg width=\"304\" height=\"16\" role=\"img\"><rect x=\"0\" "
		        "y=\"2\" width=\"%ld\" height=\"12\" fill=\"#3367d6\"/></svg></td>"
		        "<td class=\"n count\">%lld</td>",
		        w < 2 ? 2 : w, (long long)x);
		if (fresh != NULL) {
			json_int_t nw = json_integer_value(json_object_get(fresh, k));
			kyso_buf_printf(b, "<td class=\"n new\">");
			if (nw > 0)
				kyso_buf_printf(b, _("+%lld today"), (long long)nw);
			kyso_buf_printf(b, "</td>");
		}
		if (trend != NULL)
			sparkline(b, json_object_get(trend, k), window_days(f->days));
		kyso_buf_printf(b, "</tr>");
	}
	kyso_buf_printf(b, "</table>");
}

/* Reports per day over the window, every day shown (zero days too). */
static void trend(kyso_buf_t *b, const json_t *by_day, int days)
{
	days = window_days(days);
	json_int_t m = max_of(by_day);
	double bw = (double)CHART_W / days;
	kyso_buf_printf(b,
	                "<svg id=\"trend-chart\" width=\"%d\" height=\"170\" role=\"img\" "
	                "viewBox=\"0 0 %d 170\"><rect x=\"0\" y=\"0\" width=\"%d\" height=\"150\" "
	                "fill=\"#f4f6fa\"/>",
	                CHART_W, CHART_W, CHART_W);
	for (int i = 0; i < days; i++) {
		char day[16];
		kyso_reports_db_day(days - 1 - i, day);
		json_int_t x = json_integer_value(json_object_get(by_day, day));
		double h = (double)x * 140.0 / (double)m;
		kyso_buf_printf(b,
		                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		                "fill=\"#e8710a\"><title>%s: %lld</title></rect>",
		                i * bw + 1, 150 - h, bw > 3 ? bw - 2 : bw, h, day, (long long)x);
		if (i == 0 || i == days - 1)
			kyso_buf_printf(b,
			                "<text x=\"%.1f\" y=\"165\" font-size=\"11\" "
			                "text-anchor=\"%s\">%s</text>",
			                i == 0 ? 0.0 : (double)CHART_W, i == 0 ? "start" : "end",
			                day);
	}
	kyso_buf_printf(b, "<text x=\"4\" y=\"12\" font-size=\"11\">max %lld</text></svg>",
	                (long long)m);
}

char *kyso_reports_dash_home(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                             kyso_error_t *err)
{
	json_t *s = kyso_reports_db_summary(db, f, err);
	kyso_reports_filter_t all = {.days = f->days};
	json_t *opts = s != NULL ? kyso_reports_db_summary(db, &all, err) : NULL;
	if (s == NULL || opts == NULL) {
		json_decref(s);
		return NULL;
	}
	kyso_buf_t b;
	kyso_buf_init(&b);
	head(&b, _("kyso: helpdesk reports"));
	kyso_buf_printf(&b, "<form class=\"f\" method=\"get\" action=\"/\">");
	select_box(&b, "unit", _("Unit"), json_object_get(opts, "by_org"), f->org);
	select_box(&b, "token", _("Token type"), json_object_get(opts, "by_token_type"),
	           f->token_type);
	select_box(&b, "os", _("Operating system"), json_object_get(opts, "by_os"), f->os);
	select_box(&b, "version", _("kyso version"), json_object_get(opts, "by_version"),
	           f->version);
	kyso_buf_printf(&b, "<label>");
	esc(&b, _("Days"));
	kyso_buf_printf(&b, " <input name=\"days\" size=\"4\" value=\"%d\"></label><button>",
	                f->days);
	esc(&b, _("Show"));
	kyso_buf_printf(&b, "</button></form>");
	json_int_t fresh = 0;
	const char *k;
	const json_t *v;
	json_object_foreach(json_object_get(s, "new_since_yesterday"), k, v)
	{
		fresh += json_integer_value(v);
	}
	kyso_buf_printf(&b, "<p><span class=\"big\" id=\"total\">%lld</span> ",
	                (long long)json_integer_value(json_object_get(s, "total")));
	if (f->days > 0)
		kyso_buf_printf(&b, _("report(s) in the last %d day(s)"), f->days);
	else
		esc(&b, _("report(s)"));
	kyso_buf_printf(&b, " &middot; <span class=\"new\">");
	kyso_buf_printf(&b, _("%lld failing check(s) reported today"), (long long)fresh);
	kyso_buf_printf(&b, "</span></p><h2>");
	esc(&b, _("Failing checks"));
	kyso_buf_printf(&b, "</h2>");
	bars(&b, "causes", json_object_get(s, "by_failing_check"),
	     json_object_get(s, "new_since_yesterday"), json_object_get(s, "trend"), f, true);
	kyso_buf_printf(&b, "<h2>");
	esc(&b, _("Reports per day"));
	kyso_buf_printf(&b, "</h2>");
	trend(&b, json_object_get(s, "by_day"), f->days);
	static const struct {
		const char *key, *title;
	} groups[] = {
	        {"by_warning_check", N_("Warnings")}, {"by_org", N_("Units")},
	        {"by_token_type", N_("Token types")}, {"by_os", N_("Operating systems")},
	        {"by_version", N_("kyso versions")},
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		kyso_buf_printf(&b, "<h2>");
		esc(&b, _(groups[i].title));
		kyso_buf_printf(&b, "</h2>");
		bars(&b, groups[i].key + 3, json_object_get(s, groups[i].key), NULL, NULL, f,
		     false);
	}
	json_decref(s);
	json_decref(opts);
	return finish(&b);
}

char *kyso_reports_dash_cause(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                              kyso_error_t *err)
{
	json_t *list = kyso_reports_db_list(db, f, 500, err);
	if (list == NULL)
		return NULL;
	kyso_buf_t b;
	kyso_buf_init(&b);
	char title[256];
	snprintf(title, sizeof(title), _("Reports failing \"%s\""),
	         f->check != NULL ? f->check : "");
	head(&b, title);
	kyso_buf_printf(&b, "<p><a href=\"/?");
	filter_query(&b, f);
	kyso_buf_printf(&b, "\">");
	esc(&b, _("Back to the dashboard"));
	kyso_buf_printf(&b, "</a> &middot; <span id=\"listed\">%zu</span></p><table><tr>",
	                json_array_size(list));
	const char *cols[] = {N_("Created"),          N_("Unit"),         N_("Token type"),
	                      N_("Operating system"), N_("kyso version"), N_("Result")};
	for (size_t i = 0; i < 6; i++) {
		kyso_buf_printf(&b, "<th>");
		esc(&b, _(cols[i]));
		kyso_buf_printf(&b, "</th>");
	}
	kyso_buf_printf(&b, "</tr>");
	size_t i;
	const json_t *r;
	json_array_foreach(list, i, r)
	{
		const char *keys[] = {"org", "token_type", "os", "kyso_version", "result"};
		kyso_buf_printf(&b, "<tr><td><a href=\"/report/");
		url_enc(&b, json_string_value(json_object_get(r, "id")));
		kyso_buf_printf(&b, "\">");
		esc(&b, json_string_value(json_object_get(r, "created")));
		kyso_buf_printf(&b, "</a></td>");
		for (size_t j = 0; j < 5; j++) {
			kyso_buf_printf(&b, "<td>");
			esc(&b, json_string_value(json_object_get(r, keys[j])));
			kyso_buf_printf(&b, "</td>");
		}
		kyso_buf_printf(&b, "</tr>");
	}
	kyso_buf_printf(&b, "</table>");
	json_decref(list);
	return finish(&b);
}

char *kyso_reports_dash_login(bool failed)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	head(&b, _("kyso: helpdesk reports"));
	if (failed) {
		kyso_buf_printf(&b, "<p class=\"new\">");
		esc(&b, _("Wrong token."));
		kyso_buf_printf(&b, "</p>");
	}
	kyso_buf_printf(&b, "<form method=\"post\" action=\"/login\"><label>");
	esc(&b, _("Collector token"));
	kyso_buf_printf(
	        &b, " <input type=\"password\" name=\"token\" autocomplete=\"current-password\" "
	            "autofocus></label> <button>");
	esc(&b, _("Sign in"));
	kyso_buf_printf(&b, "</button></form>");
	return finish(&b);
}
