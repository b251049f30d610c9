/* Autostart at logon on Windows: a value under
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Run. */
#include "kyso_platform.h"
#include "kyso_process.h"
#include "win_int.h"

#include <stdlib.h>

#define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"

kyso_err_t kyso_autostart_set(const char *name, const char *const argv[], kyso_error_t *err)
{
	char *cl = kyso_win_quote_argv(argv);
	if (cl == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_err_t rc = kyso_reg_set_string(KYSO_REG_USER, RUN_KEY, name, cl, err);
	free(cl);
	return rc;
}

kyso_err_t kyso_autostart_remove(const char *name, kyso_error_t *err)
{
	return kyso_reg_delete_value(KYSO_REG_USER, RUN_KEY, name, err);
}

char *kyso_autostart_get(const char *name)
{
	kyso_error_t err;
	char *cl = NULL;
	if (kyso_reg_get_string(KYSO_REG_USER, RUN_KEY, name, &cl, &err) != KYSO_OK)
		return NULL;
	return cl;
}

char *kyso_autostart_command(const char *const argv[])
{
	return kyso_win_quote_argv(argv);
}
