/* Registry access (RegGetValueW, RegSetKeyValueW, RegDeleteTreeW), UTF-8
 * in and out. Keys are 64-bit views (KEY_WOW64_64KEY). */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdlib.h>

static HKEY root_key(kyso_reg_root_t root)
{
	return root == KYSO_REG_MACHINE ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;
}

static const char *root_name(kyso_reg_root_t root)
{
	return root == KYSO_REG_MACHINE ? "HKLM" : "HKCU";
}

/* Converts key and value to UTF-16; value NULL stays NULL (default value). */
static kyso_err_t wide_args(const char *key, const char *value, wchar_t **wkey, wchar_t **wvalue,
                            kyso_error_t *err)
{
	*wkey = kyso_win_wide(key);
	*wvalue = value != NULL && *value != '\0' ? kyso_win_wide(value) : NULL;
	if (*wkey == NULL || (value != NULL && *value != '\0' && *wvalue == NULL)) {
		free(*wkey);
		free(*wvalue);
		*wkey = NULL;
		*wvalue = NULL;
		kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), key);
		return KYSO_ERR_BAD_INPUT;
	}
	return KYSO_OK;
}

kyso_err_t kyso_reg_get_string(kyso_reg_root_t root, const char *key, const char *value, char **out,
                               kyso_error_t *err)
{
	*out = NULL;
	wchar_t *wkey, *wvalue;
	kyso_err_t rc = wide_args(key, value, &wkey, &wvalue, err);
	if (rc != KYSO_OK)
		return rc;
	/* a 64-bit program reads the 64-bit view natively */
	DWORD flags = RRF_RT_REG_SZ; /* REG_EXPAND_SZ comes back expanded, as REG_SZ */
	DWORD size = 0;
	LSTATUS st = RegGetValueW(root_key(root), wkey, wvalue, flags, NULL, NULL, &size);
	wchar_t *data = NULL;
	if (st == ERROR_SUCCESS) {
		data = malloc(size + sizeof(wchar_t));
		if (data == NULL)
			st = ERROR_NOT_ENOUGH_MEMORY;
		else
			st = RegGetValueW(root_key(root), wkey, wvalue, flags, NULL, data, &size);
	}
	free(wkey);
	free(wvalue);
	if (st == ERROR_FILE_NOT_FOUND || st == ERROR_PATH_NOT_FOUND) {
		free(data);
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND, "%s\\%s: %s", root_name(root), key,
		                      value != NULL ? value : "(default)");
	}
	if (st != ERROR_SUCCESS) {
		free(data);
		return kyso_error_set(err, KYSO_ERR_IO, "%s\\%s: %s", root_name(root), key,
		                      kyso_win_strerror((DWORD)st));
	}
	*out = kyso_win_utf8(data);
	free(data);
	if (*out == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	return KYSO_OK;
}

kyso_err_t kyso_reg_set_string(kyso_reg_root_t root, const char *key, const char *value,
                               const char *data, kyso_error_t *err)
{
	wchar_t *wkey, *wvalue;
	kyso_err_t rc = wide_args(key, value, &wkey, &wvalue, err);
	if (rc != KYSO_OK)
		return rc;
	wchar_t *wdata = kyso_win_wide(data);
	HKEY k = NULL;
	LSTATUS st = wdata == NULL
	                     ? ERROR_INVALID_DATA
	                     : RegCreateKeyExW(root_key(root), wkey, 0, NULL, 0,
	                                       KEY_SET_VALUE | KEY_WOW64_64KEY, NULL, &k, NULL);
	if (st == ERROR_SUCCESS) {
		DWORD bytes = (DWORD)((wcslen(wdata) + 1) * sizeof(wchar_t));
		st = RegSetValueExW(k, wvalue, 0, REG_SZ, (const BYTE *)wdata, bytes);
		RegCloseKey(k);
	}
	free(wkey);
	free(wvalue);
	free(wdata);
	if (st != ERROR_SUCCESS)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot write the registry value %s\\%s: %s"),
		                      root_name(root), key, kyso_win_strerror((DWORD)st));
	return KYSO_OK;
}

kyso_err_t kyso_reg_delete_value(kyso_reg_root_t root, const char *key, const char *value,
                                 kyso_error_t *err)
{
	wchar_t *wkey, *wvalue;
	kyso_err_t rc = wide_args(key, value, &wkey, &wvalue, err);
	if (rc != KYSO_OK)
		return rc;
	HKEY k = NULL;
	LSTATUS st = RegOpenKeyExW(root_key(root), wkey, 0, KEY_SET_VALUE | KEY_WOW64_64KEY, &k);
	if (st == ERROR_SUCCESS) {
		st = RegDeleteValueW(k, wvalue);
		RegCloseKey(k);
	}
	free(wkey);
	free(wvalue);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND && st != ERROR_PATH_NOT_FOUND)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot delete the registry value %s\\%s: %s"),
		                      root_name(root), key, kyso_win_strerror((DWORD)st));
	return KYSO_OK;
}

kyso_err_t kyso_reg_delete_tree(kyso_reg_root_t root, const char *key, kyso_error_t *err)
{
	wchar_t *wkey = kyso_win_wide(key);
	if (wkey == NULL)
		return kyso_error_set(err, KYSO_ERR_BAD_INPUT, _("Not valid UTF-8: %s"), key);
	LSTATUS st = RegDeleteTreeW(root_key(root), wkey);
	if (st == ERROR_SUCCESS)
		st = RegDeleteKeyExW(root_key(root), wkey, KEY_WOW64_64KEY, 0);
	free(wkey);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND && st != ERROR_PATH_NOT_FOUND)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("Cannot delete the registry key %s\\%s: %s"),
		                      root_name(root), key, kyso_win_strerror((DWORD)st));
	return KYSO_OK;
}
