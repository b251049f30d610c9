/* Showing a result on Linux: xdg-open for a file, one key press on the
 * terminal (termios, non-canonical). */
#include "kyso_platform.h"

#include <stdio.h>
#include <termios.h>
#include <unistd.h>

kyso_err_t kyso_open_document(const char *path, kyso_error_t *err)
{
	const char *argv[] = {"xdg-open", path, NULL};
	int status = 0;
	kyso_err_t rc = kyso_spawn(argv, NULL, 0, 30000, &status, err);
	if (rc != KYSO_OK)
		return rc;
	if (status != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("xdg-open %s failed (exit status %d)"),
		                      path, status);
	return KYSO_OK;
}

int kyso_wait_key(void)
{
	struct termios old, raw;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tty = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	int c = getchar();
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
	if (c == EOF)
		return -1;
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}
