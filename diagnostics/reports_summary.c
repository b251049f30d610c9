/* What the helpdesk looks at: counts by cause, token type, OS, version,
 * organisation and day over a window, the trend per cause, what is new
 * today; the reports behind a cause. Two grouped scans, whatever the size. */
#include "reports_db_int.h"

#include <stdlib.h>
#include <string.h>

/* The filter as the parameters $1..$5 of WHERE_REPORTS. */
#define WHERE_REPORTS                                                                              \
	" r.day >= $1 AND (r.org = $2 OR $2 IS NULL) AND (r.token_type = $3 OR $3 IS NULL)"        \
	" AND (r.os = $4 OR $4 IS NULL) AND (r.kyso_version = $5 OR $5 IS NULL)"

static int filter_params(const kyso_reports_filter_t *f, char since[16], store_val_t p[6])
{
	if (f->days > 0)
		kyso_reports_db_day(f->days - 1, since);
	else
		snprintf(since, 16, "0000");
	const char *v[] = {since, f->org, f->token_type, f->os, f->version, f->check};
	int attrs = 0;
	for (int i = 0; i < 6; i++) {
		p[i].data = v[i] != NULL && *v[i] != '\0' ? v[i] : NULL;
		p[i].len = 0;
		p[i].blob = false;
		attrs += i > 0 && i < 5 && p[i].data != NULL;
	}
	return attrs;
}

static void add(json_t *o, const char *key, json_int_t n)
{
	json_int_t had = json_integer_value(json_object_get(o, key));
	json_object_set_new(o, key, json_integer(had + n));
}

typedef struct {
	json_t *total, *res, *os, *ver, *type, *org, *day;
	json_t *fail, *warn, *trend, *fresh;
	char today[16];
	json_int_t n;
} sum_t;

static const char *key_of(const store_val_t *v, const char *none)
{
	return v->data != NULL && *(const char *)v->data != '\0' ? v->data : none;
}

static bool report_row(void *ctx, int n, const store_val_t *c)
{
	sum_t *s = ctx;
	if (n < 6)
		return false;
	json_int_t k = strtoll(c[5].data, NULL, 10);
	s->n += k;
	add(s->res, key_of(&c[0], "?"), k);
	add(s->os, key_of(&c[1], "?"), k);
	add(s->ver, key_of(&c[2], "?"), k);
	add(s->type, key_of(&c[3], "unknown"), k);
	add(s->org, key_of(&c[4], "-"), k);
	return true;
}

static bool day_row(void *ctx, int n, const store_val_t *c)
{
	sum_t *s = ctx;
	if (n < 2)
		return false;
	add(s->day, key_of(&c[0], "?"), strtoll(c[1].data, NULL, 10));
	return true;
}

static bool problem_row(void *ctx, int n, const store_val_t *c)
{
	sum_t *s = ctx;
	if (n < 4 || c[1].data == NULL || c[2].data == NULL)
		return n >= 4;
	json_int_t k = strtoll(c[3].data, NULL, 10);
	const char *day = key_of(&c[0], "?"), *check = c[2].data;
	if (strcmp(c[1].data, "fail") != 0) {
		add(s->warn, check, k);
		return true;
	}
	add(s->fail, check, k);
	json_t *t = json_object_get(s->trend, check);
	if (t == NULL) {
		t = json_object();
		json_object_set_new(s->trend, check, t);
	}
	add(t, day, k);
	if (strcmp(day, s->today) == 0)
		add(s->fresh, check, k);
	return true;
}

typedef struct {
	const char *key;
	json_int_t n;
} kv_t;

static int by_count(const void *a, const void *b)
{
	const kv_t *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const kv_t *)a)->key, ((const kv_t *)b)->key);
}

/* A new object with o's members in order (most first, or by key). */
static json_t *sorted(json_t *o, bool keys)
{
	size_t n = json_object_size(o), i = 0;
	kv_t *v = calloc(n + 1, sizeof(*v));
	json_t *out = json_object();
	const char *k;
	json_t *x;
	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		json_decref(o);
		return NULL;
	}
	json_object_foreach(o, k, x)
	{
		v[i].key = k;
		v[i++].n = json_integer_value(x);
	}
	qsort(v, n, sizeof(*v), keys ? by_key : by_count);
	for (i = 0; i < n; i++)
		json_object_set(out, v[i].key, json_object_get(o, v[i].key));
	free(v);
	json_decref(o);
	return out;
}

json_t *kyso_reports_db_summary(kyso_reports_db_t *db, const kyso_reports_filter_t *f,
                                kyso_error_t *err)
{
	char since[16];
	store_val_t p[6];
	int attrs = filter_params(f, since, p);
	sum_t s;
	memset(&s, 0, sizeof(s));
	kyso_reports_db_day(0, s.today);
	json_t **all[] = {&s.res, &s.os,   &s.ver,  &s.type,  &s.org,
	                  &s.day, &s.fail, &s.warn, &s.trend, &s.fresh};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		*all[i] = json_object();
	/* grouped in the order of the reports_groups index (no sort), then per day */
	kyso_err_t rc = kyso_reports_db_exec(
	        db,
	        "SELECT r.result, r.os, r.kyso_version, r.token_type, r.org, "
	        "COUNT(*) FROM reports r WHERE" WHERE_REPORTS
	        " GROUP BY r.result, r.os, r.kyso_version, r.token_type, r.org",
	        5, p, report_row, &s, err);
	if (rc == KYSO_OK)
		rc = kyso_reports_db_exec(
		        db,
		        "SELECT r.day, COUNT(*) FROM reports r WHERE" WHERE_REPORTS
		        " GROUP BY r.day",
		        5, p, day_row, &s, err);
	/* without a filter on the reports, problems alone (day is kept there too) */
	if (rc == KYSO_OK && attrs == 0)
		rc = kyso_reports_db_exec(
		        db,
		        "SELECT p.day, p.status, p.check_id, COUNT(*) FROM problems p WHERE "
		        "p.day >= $1 GROUP BY p.day, p.status, p.check_id",
		        1, p, problem_row, &s, err);
	else if (rc == KYSO_OK)
		rc = kyso_reports_db_exec(
		        db,
		        "SELECT p.day, p.status, p.check_id, COUNT(*) FROM problems p JOIN "
		        "reports r ON r.id = p.report_id WHERE" WHERE_REPORTS
		        " GROUP BY p.day, p.status, p.check_id",
		        5, p, problem_row, &s, err);
	if (rc != KYSO_OK) {
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			json_decref(*all[i]);
		return NULL;
	}
	const char *k;
	json_t *t, *trend = json_object();
	json_object_foreach(s.trend, k, t)
	{
		json_object_set_new(trend, k, sorted(json_incref(t), true));
	}
	json_decref(s.trend);
	json_t *fail = sorted(s.fail, false);
	/* the trend in the order of the causes */
	json_t *trend_ordered = json_object();
	json_object_foreach(fail, k, t)
	{
		json_object_set(trend_ordered, k, json_object_get(trend, k));
	}
	json_decref(trend);
	return json_pack("{s:i, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	                 "schema", 2, "total", s.n, "since", since, "today", s.today, "by_result",
	                 sorted(s.res, false), "by_failing_check", fail, "by_warning_check",
	                 sorted(s.warn, false), "by_token_type", sorted(s.type, false), "by_os",
	                 sorted(s.os, false), "by_version", sorted(s.ver, false), "by_org",
	                 sorted(s.org, false), "by_day", sorted(s.day, true), "trend",
	                 trend_ordered, "new_since_yesterday", sorted(s.fresh, false));
}

static bool list_row(void *ctx, int n, const store_val_t *c)
{
	static const char *const names[] = {"id",           "created",    "result", "os",
	                                    "kyso_version", "token_type", "org"};
	if (n < 7)
		return false;
	json_t *o = json_object();
	for (int i = 0; i < 7; i++)
		json_object_set_new(o, names[i],
		                    c[i].data != NULL ? json_string(c[i].data) : json_null());
	json_array_append_new(ctx, o);
	return true;
}

json_t *kyso_reports_db_list(kyso_reports_db_t *db, const kyso_reports_filter_t *f, int limit,
                             kyso_error_t *err)
{
	char since[16], sql[1024];
	store_val_t p[6];
	filter_params(f, since, p);
	snprintf(sql, sizeof(sql),
	         "SELECT r.id, r.created, r.result, r.os, r.kyso_version, r.token_type, r.org "
	         "FROM reports r WHERE" WHERE_REPORTS
	         " AND (EXISTS (SELECT 1 FROM problems p WHERE p.report_id = r.id AND "
	         "p.check_id = $6 AND p.status = 'fail') OR $6 IS NULL) ORDER BY r.created "
	         "DESC, r.id LIMIT %d",
	         limit > 0 ? limit : 100);
	json_t *a = json_array();
	if (kyso_reports_db_exec(db, sql, 6, p, list_row, a, err) != KYSO_OK) {
		json_decref(a);
		return NULL;
	}
	return a;
}
