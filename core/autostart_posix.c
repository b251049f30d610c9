/* Autostart at logon on Linux desktops: an XDG autostart entry
 * $XDG_CONFIG_HOME/autostart/<name>.desktop (default ~/.config). */
#include "kyso_platform.h"
#include "kyso_process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void entry_path(char *dst, size_t cap, const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && *xdg == '/')
		snprintf(dst, cap, "%s/autostart/%s.desktop", xdg, name);
	else
		snprintf(dst, cap, "%s/.config/autostart/%s.desktop", home != NULL ? home : "/tmp",
		         name);
}

/* Exec= quoting of the Desktop Entry Specification. */
static kyso_err_t append_exec_arg(kyso_buf_t *b, const char *arg)
{
	kyso_err_t rc = kyso_buf_append(b, b->len > 0 && b->data[b->len - 1] != '=' ? " \"" : "\"",
	                                b->len > 0 && b->data[b->len - 1] != '=' ? 2 : 1);
	for (const char *p = arg; rc == KYSO_OK && *p != '\0'; p++) {
		if (*p == '"' || *p == '`' || *p == '$' || *p == '\\')
			rc = kyso_buf_append(b, "\\", 1);
		if (rc == KYSO_OK && *p == '%')
			rc = kyso_buf_append(b, "%", 1);
		if (rc == KYSO_OK)
			rc = kyso_buf_append(b, p, 1);
	}
	return rc == KYSO_OK ? kyso_buf_append(b, "\"", 1) : rc;
}

static kyso_err_t make_dirs(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return KYSO_ERR_IO;
	}
	return KYSO_OK;
}

kyso_err_t kyso_autostart_set(const char *name, const char *const argv[], kyso_error_t *err)
{
	char path[4096];
	entry_path(path, sizeof(path), name);
	if (make_dirs(path) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_IO, "%s: %s", path, strerror(errno));
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_err_t rc =
	        kyso_buf_printf(&b, "[Desktop Entry]\nType=Application\nName=%s\nExec=", name);
	for (size_t i = 0; rc == KYSO_OK && argv[i] != NULL; i++)
		rc = append_exec_arg(&b, argv[i]);
	if (rc == KYSO_OK)
		rc = kyso_buf_printf(&b, "\nX-GNOME-Autostart-enabled=true\nNoDisplay=true\n");
	if (rc != KYSO_OK) {
		kyso_buf_free(&b);
		return kyso_error_set(err, rc, NULL);
	}
	rc = kyso_file_write_atomic(path, b.data, b.len, 0644, err);
	kyso_buf_free(&b);
	return rc;
}

kyso_err_t kyso_autostart_remove(const char *name, kyso_error_t *err)
{
	char path[4096];
	entry_path(path, sizeof(path), name);
	if (unlink(path) != 0 && errno != ENOENT)
		return kyso_error_set(err, KYSO_ERR_IO, "%s: %s", path, strerror(errno));
	return KYSO_OK;
}

char *kyso_autostart_get(const char *name)
{
	char path[4096];
	entry_path(path, sizeof(path), name);
	kyso_error_t err;
	uint8_t *data = NULL;
	size_t len = 0;
	if (kyso_file_read_all(path, 65536, &data, &len, &err) != KYSO_OK)
		return NULL;
	char *line = strstr((char *)data, "\nExec=");
	char *cl = NULL;
	if (line != NULL) {
		line += 6;
		cl = strndup(line, strcspn(line, "\n"));
	}
	free(data);
	return cl;
}

char *kyso_autostart_command(const char *const argv[])
{
	kyso_buf_t b;
	kyso_buf_init(&b);
	kyso_err_t rc = KYSO_OK;
	for (size_t i = 0; rc == KYSO_OK && argv[i] != NULL; i++)
		rc = append_exec_arg(&b, argv[i]);
	return kyso_buf_take_string(&b, rc);
}
