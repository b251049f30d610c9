/* A thread's own language (kyso-agent: the language a page chose for its
 * connection, VNPT setLanguage), over the process's (kyso_i18n_init). Shared
 * by i18n.c and i18n_win.c. */
#include "core_int.h"

#include <string.h>

static _Thread_local char thread_lang[4];

void kyso_i18n_thread_lang(const char *lang)
{
	if (lang != NULL && (strcmp(lang, "vi") == 0 || strcmp(lang, "en") == 0))
		memcpy(thread_lang, lang, 3);
	else
		thread_lang[0] = '\0';
}

const char *kyso_core_thread_lang(void)
{
	return thread_lang[0] != '\0' ? thread_lang : NULL;
}
