/* File helpers common to every OS, built on the platform primitives. */
#include "core_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

kyso_err_t kyso_core_read_stream(FILE *fp, const char *path, size_t max, uint8_t **out, size_t *len,
                                 kyso_error_t *err)
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	uint8_t chunk[65536];
	size_t n;
	kyso_err_t rc = KYSO_OK;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > max) {
			rc = kyso_error_set(err, KYSO_ERR_TOO_LARGE,
			                    _("%s is larger than %zu bytes"), path, max);
			break;
		}
		rc = kyso_buf_append(&b, chunk, n);
		if (rc != KYSO_OK) {
			kyso_error_set(err, rc, NULL);
			break;
		}
	}
	if (rc == KYSO_OK && ferror(fp))
		rc = kyso_error_set(err, KYSO_ERR_IO, "%s: %s", path, strerror(errno));
	fclose(fp);
	if (rc != KYSO_OK) {
		kyso_buf_free(&b);
		return rc;
	}
	if (b.data == NULL && (rc = kyso_buf_reserve(&b, 0)) != KYSO_OK)
		return kyso_error_set(err, rc, NULL);
	*out = b.data;
	*len = b.len;
	return KYSO_OK;
}

kyso_err_t kyso_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                  kyso_error_t *err)
{
	kyso_atomic_file_t *af = kyso_atomic_file_new(path, mode, err);
	if (af == NULL)
		return err != NULL ? err->code : KYSO_ERR_IO;
	if (len > 0 && fwrite(data, 1, len, kyso_atomic_file_stream(af)) != len) {
		kyso_error_set(err, KYSO_ERR_IO, _("Writing %s failed: %s"), path, strerror(errno));
		kyso_atomic_file_abort(&af);
		return KYSO_ERR_IO;
	}
	return kyso_atomic_file_commit(&af, err);
}

int kyso_mkdirs(const char *path, unsigned mode)
{
	char p[4096];
	if ((size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || *s == '\\' || end) {
			char c = *s;
			*s = '\0';
			bool drive = s > p && s[-1] == ':'; /* C: */
			if (!drive && mkdir(p, mode) != 0 && errno != EEXIST)
				return -1;
			*s = c;
		}
		if (end)
			return 0;
	}
}
