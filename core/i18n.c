/* gettext wiring: Vietnamese by default, English with --lang en. Messages
 * are English msgids translated by data/po/vi.po. */
#include "core_int.h"

#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define KYSO_DOMAIN "kyso"

static char ui_lang[8] = "vi";

/* "vi_VN.UTF-8:en" -> "vi"; unknown -> NULL */
static const char *normalise_lang(const char *l)
{
	if (l == NULL || *l == '\0')
		return NULL;
	if (strncmp(l, "vi", 2) == 0)
		return "vi";
	if (strncmp(l, "en", 2) == 0 || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0)
		return "en";
	return NULL;
}

void kyso_i18n_init(const char *lang)
{
	const char *l = normalise_lang(lang);
	if (l == NULL)
		l = normalise_lang(getenv("LANGUAGE"));
	if (l == NULL)
		l = "vi";
	snprintf(ui_lang, sizeof(ui_lang), "%s", l);

	if (setenv("LANGUAGE", ui_lang, 1) != 0)
		kyso_warn("cannot set LANGUAGE");
	if (setlocale(LC_ALL, "") == NULL)
		setlocale(LC_ALL, "C.UTF-8");
	/* gettext ignores LANGUAGE in the "C" locale: use C.UTF-8 then. */
	const char *cur = setlocale(LC_MESSAGES, NULL);
	if (cur == NULL || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)
		setlocale(LC_MESSAGES, "C.UTF-8");
	cur = setlocale(LC_CTYPE, NULL);
	if (cur == NULL || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	/* Numbers in PDFs, JSON and reports always use '.' */
	setlocale(LC_NUMERIC, "C");

	if (bindtextdomain(KYSO_DOMAIN, kyso_path_locale()) == NULL ||
	    bind_textdomain_codeset(KYSO_DOMAIN, "UTF-8") == NULL)
		kyso_warn("gettext: cannot bind the message catalog");
}

const char *kyso_i18n_lang(void)
{
	const char *t = kyso_core_thread_lang();
	return t != NULL ? t : ui_lang;
}

const char *kyso_gettext(const char *msgid)
{
	const char *t = kyso_core_thread_lang();
	if (t != NULL && strcmp(t, "en") == 0)
		return msgid; /* msgids are English */
	return dgettext(KYSO_DOMAIN, msgid);
}
