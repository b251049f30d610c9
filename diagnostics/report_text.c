/* Text writer: one line per check, remedy under problems; colours on a terminal. */
#include "doctor_int.h"

#include <string.h>

static const char *label_of(const char *st, bool colour)
{
	if (strcmp(st, "pass") == 0)
		return colour ? "\033[32m[ OK ]\033[0m" : "[ OK ]";
	if (strcmp(st, "warn") == 0)
		return colour ? "\033[33m[WARN]\033[0m" : "[WARN]";
	if (strcmp(st, "fail") == 0)
		return colour ? "\033[1;31m[FAIL]\033[0m" : "[FAIL]";
	return colour ? "\033[90m[SKIP]\033[0m" : "[SKIP]";
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
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

/* Sub-results of a check (the agent's protocols): a line each, its own remedy. */
static void parts_text(FILE *out, const json_t *parts, bool colour)
{
	size_t i;
	const json_t *p;
	json_array_foreach(parts, i, p)
	{
		const char *st = str(p, "status");
		fprintf(out, "       %s %s: %s\n", label_of(st, colour), str(p, "protocol"),
		        str(p, "detail"));
		if ((strcmp(st, "fail") == 0 || strcmp(st, "warn") == 0) && *str(p, "remedy"))
			fprintf(out, "              → %s\n", str(p, "remedy"));
	}
}

void kyso_doctor_write_text(FILE *out, const json_t *report, bool colour)
{
	fprintf(out, "%s\n\n", _("kyso doctor: checking the signing set-up"));
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(report, "checks"), i, c)
	{
		const char *st = str(c, "status");
		fprintf(out, "%s %s: %s\n", label_of(st, colour), str(c, "title"),
		        str(c, "detail"));
		const json_t *parts = json_object_get(json_object_get(c, "data"), "protocols");
		if (json_array_size(parts) > 0)
			parts_text(out, parts, colour);
		/* with parts, the check's remedy only when no part has its own */
		if ((strcmp(st, "fail") == 0 || strcmp(st, "warn") == 0) && *str(c, "remedy") &&
		    !parts_have_remedy(parts))
			fprintf(out, "       → %s\n", str(c, "remedy"));
	}
	const json_t *s = json_object_get(report, "summary");
	fprintf(out, "\n");
	const char *res = kyso_doctor_result(report);
	if (strcmp(res, "pass") == 0)
		fprintf(out, "%s\n", _("Everything checked is in order."));
	else
		fprintf(out,
		        _("%lld problem(s), %lld warning(s): do what the arrows say, top "
		          "first.\n"),
		        (long long)json_integer_value(json_object_get(s, "fail")),
		        (long long)json_integer_value(json_object_get(s, "warn")));
	fprintf(out, _("Report id: %s\n"), str(report, "id"));
}
