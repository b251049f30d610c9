/* Program lookup on POSIX: a name with a '/' as it is, else each PATH entry. */
#include "kyso_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *kyso_find_program(const char *name)
{
	if (name == NULL || *name == '\0')
		return NULL;
	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	char *copy = strdup(path), *save = NULL, *out = NULL;
	for (char *d = copy != NULL ? strtok_r(copy, ":", &save) : NULL; d != NULL && out == NULL;
	     d = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", d, name);
		if (access(full, X_OK) == 0)
			out = strdup(full);
	}
	free(copy);
	return out;
}
