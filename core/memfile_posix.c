/* kyso_memfile over open_memstream. */
#include "kyso_platform.h"

#include <stdlib.h>

struct kyso_memfile {
	FILE *f;
	char *buf;
	size_t len;
};

kyso_memfile_t *kyso_memfile_new(void)
{
	kyso_memfile_t *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->f = open_memstream(&m->buf, &m->len);
	if (m->f == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

FILE *kyso_memfile_stream(kyso_memfile_t *m)
{
	return m->f;
}

char *kyso_memfile_finish(kyso_memfile_t *m, size_t *len)
{
	char *out = NULL;
	if (fclose(m->f) == 0) {
		out = m->buf; /* open_memstream keeps it NUL-terminated */
		if (len != NULL)
			*len = m->len;
	} else {
		free(m->buf);
	}
	free(m);
	return out;
}
