/* PKCS#11 module lookup, the part that is the same on every OS: a list of
 * directories ($KYSO_P11_PATH) searched in order. */
#include "core_int.h"

#include <stdlib.h>
#include <string.h>

char *kyso_core_p11_search_list(const char *list, char sep, const char *name)
{
	char *copy = strdup(list);
	char *hit = NULL;
	if (copy == NULL)
		return NULL;
	for (char *d = copy, *next; d != NULL && hit == NULL; d = next) {
		next = strchr(d, sep);
		if (next != NULL)
			*next++ = '\0';
		if (*d != '\0')
			hit = kyso_core_p11_file_in(d, name);
	}
	free(copy);
	return hit;
}
