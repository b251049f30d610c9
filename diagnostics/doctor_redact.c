/* The doctor's redaction of its report and log: the personal values seen
 * during the run (certificate names, ID numbers, e-mails, serials, labels)
 * and the user names in paths (home folders, Windows profiles, Firefox
 * profile folders) become keyed pseudonyms (kyso_redact_hash). */
#include "doctor_int.h"

#include <stdlib.h>
#include <string.h>

/* Personal values seen during the run. Reports are redacted with these only:
 * kyso_redact_line()'s PIN patterns would mask ordinary words after "PIN" in
 * the report's sentences, and a report never holds a PIN to begin with. */
#define MAX_PERSONAL 64
static char *personal[MAX_PERSONAL];
static size_t n_personal;
static bool redact_on = true;

void kyso_doctor_personal(const char *value)
{
	if (value == NULL || strlen(value) < 3 || n_personal >= MAX_PERSONAL)
		return;
	kyso_redact_personal(value); /* log lines too */
	for (size_t i = 0; i < n_personal; i++)
		if (strcmp(personal[i], value) == 0)
			return;
	char *copy = strdup(value);
	if (copy != NULL)
		personal[n_personal++] = copy;
}

void kyso_doctor_set_redact(bool on)
{
	redact_on = on;
	kyso_redact_set_personal(on);
}

/* Longest values first, so a subject is replaced before the name inside it. */
static int by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

char *kyso_doctor_redact_string(const char *s)
{
	kyso_buf_t cur;
	kyso_buf_init(&cur);
	if (kyso_buf_append(&cur, s, strlen(s) + 1) != KYSO_OK)
		return NULL;
	if (!redact_on)
		return (char *)cur.data;
	qsort(personal, n_personal, sizeof(personal[0]), by_length_desc);
	for (size_t i = 0; i < n_personal; i++) {
		const char *text = (const char *)cur.data;
		if (strstr(text, personal[i]) == NULL)
			continue;
		char h[KYSO_REDACT_HASH_SIZE];
		kyso_redact_hash(personal[i], h);
		kyso_buf_t out;
		kyso_buf_init(&out);
		const char *p = text, *hit;
		size_t nl = strlen(personal[i]);
		bool ok = true;
		while (ok && (hit = strstr(p, personal[i])) != NULL) {
			ok = kyso_buf_append(&out, p, (size_t)(hit - p)) == KYSO_OK &&
			     kyso_buf_append(&out, h, strlen(h)) == KYSO_OK;
			p = hit + nl;
		}
		ok = ok && kyso_buf_append(&out, p, strlen(p) + 1) == KYSO_OK;
		kyso_buf_free(&cur);
		if (!ok) {
			kyso_buf_free(&out);
			return NULL;
		}
		cur = out;
	}
	char *r = kyso_doctor_redact_paths((const char *)cur.data);
	kyso_buf_free(&cur);
	return r;
}

/* A folder after one of these holds a user's or a profile's name. Where such
 * names may hold spaces (Windows accounts, Firefox profiles) a space does not
 * end the name when a path separator follows before any other punctuation. */
static const struct {
	const char *mark;
	bool spaces;
} path_marks[] = {
        {"/home/", false},
        {"/Users/", false},
        {"\\Users\\", true},
        {"\\Documents and Settings\\", true},
        {"/.mozilla/firefox/", true},
        {"/Firefox/Profiles/", true},
        {"\\Firefox\\Profiles\\", true},
};

/* Folder names after a mark that name nobody. */
static const char *const not_personal[] = {"Public",        "Default",      "Default User",
                                           "All Users",     "profiles.ini", "installs.ini",
                                           "Crash Reports", "Pending Pings"};

static size_t name_len(const char *s, bool spaces)
{
	size_t hard = strcspn(s, "\"'<>:;,()\r\n\t"), sep = strcspn(s, "/\\");
	if (spaces && sep < hard)
		return sep;
	return strcspn(s, "/\\\"'<>:;,() \r\n\t");
}

static bool append_pseudonym(kyso_buf_t *out, const char *name, size_t len)
{
	char *v = strndup(name, len);
	if (v == NULL)
		return false;
	char h[KYSO_REDACT_HASH_SIZE];
	kyso_redact_hash(v, h);
	free(v);
	return kyso_buf_append(out, h, strlen(h)) == KYSO_OK;
}

static bool keep_name(const char *name, size_t len)
{
	if (len == 0 || name[0] == '[') /* nothing, or a pseudonym already */
		return true;
	for (size_t i = 0; i < sizeof(not_personal) / sizeof(not_personal[0]); i++)
		if (strlen(not_personal[i]) == len && strncasecmp(name, not_personal[i], len) == 0)
			return true;
	return false;
}

/* This account's home folder as it is written (HOME, else USERPROFILE), also
 * outside /home: its last part replaced. */
static char *redact_home(const char *s)
{
	const char *env = getenv("HOME");
	if (env == NULL || *env == '\0')
		env = getenv("USERPROFILE");
	size_t hl = env != NULL ? strlen(env) : 0;
	while (hl > 1 && (env[hl - 1] == '/' || env[hl - 1] == '\\'))
		hl--;
	const char *base = env;
	for (size_t i = 0; i < hl; i++)
		if (env[i] == '/' || env[i] == '\\')
			base = env + i + 1;
	size_t bl = env != NULL ? (size_t)(env + hl - base) : 0;
	if (bl < 2 || keep_name(base, bl) || strstr(s, base) == NULL)
		return strdup(s);
	char *home = strndup(env, hl);
	if (home == NULL)
		return NULL;
	kyso_buf_t out;
	kyso_buf_init(&out);
	const char *p = s, *hit;
	bool ok = true;
	while (ok && (hit = strstr(p, home)) != NULL) {
		char next = hit[hl];
		bool whole = next == '\0' || next == '/' || next == '\\' ||
		             strchr("\"'<>:;,() \r\n\t", next) != NULL;
		size_t keep = whole ? (size_t)(base - env) : hl;
		ok = kyso_buf_append(&out, p, (size_t)(hit - p)) == KYSO_OK &&
		     kyso_buf_append(&out, hit, keep) == KYSO_OK &&
		     (!whole || append_pseudonym(&out, base, bl));
		p = hit + hl;
	}
	ok = ok && kyso_buf_append(&out, p, strlen(p) + 1) == KYSO_OK;
	free(home);
	if (!ok) {
		kyso_buf_free(&out);
		return NULL;
	}
	return (char *)out.data;
}

char *kyso_doctor_redact_paths(const char *s)
{
	char *h = redact_home(s);
	if (h == NULL)
		return NULL;
	kyso_buf_t out;
	kyso_buf_init(&out);
	bool ok = true;
	const char *p = h;
	while (ok && *p != '\0') {
		size_t m = 0, ml = 0;
		bool found = false;
		for (; m < sizeof(path_marks) / sizeof(path_marks[0]); m++) {
			ml = strlen(path_marks[m].mark);
			if (strncasecmp(p, path_marks[m].mark, ml) == 0) {
				found = true;
				break;
			}
		}
		if (!found) {
			ok = kyso_buf_append(&out, p, 1) == KYSO_OK;
			p++;
			continue;
		}
		const char *name = p + ml;
		size_t nl = name_len(name, path_marks[m].spaces);
		ok = kyso_buf_append(&out, p, ml) == KYSO_OK &&
		     (keep_name(name, nl) ? kyso_buf_append(&out, name, nl) == KYSO_OK
		                          : append_pseudonym(&out, name, nl));
		/* the separator stays for the next mark ("/home/x/.mozilla/firefox/y") */
		p = name + nl;
	}
	ok = ok && kyso_buf_append(&out, "", 1) == KYSO_OK;
	free(h);
	if (!ok) {
		kyso_buf_free(&out);
		return NULL;
	}
	return (char *)out.data;
}

void kyso_doctor_personal_profiles(char *const *dbs)
{
	for (size_t i = 0; dbs != NULL && dbs[i] != NULL; i++) {
		const char *slash = strrchr(dbs[i], '/');
		if (slash == NULL)
			slash = strrchr(dbs[i], '\\');
		if (slash != NULL &&
		    (strstr(dbs[i], "firefox") != NULL || strstr(dbs[i], "Firefox") != NULL))
			kyso_doctor_personal(slash + 1);
	}
}
