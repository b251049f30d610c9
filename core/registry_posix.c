/* Registry: Windows only. On other systems every call says so. */
#include "kyso_platform.h"

static kyso_err_t no_registry(kyso_error_t *err)
{
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED, _("This system has no Windows registry"));
}

kyso_err_t kyso_reg_get_string(kyso_reg_root_t root, const char *key, const char *value, char **out,
                               kyso_error_t *err)
{
	(void)root;
	(void)key;
	(void)value;
	*out = NULL;
	return no_registry(err);
}

kyso_err_t kyso_reg_set_string(kyso_reg_root_t root, const char *key, const char *value,
                               const char *data, kyso_error_t *err)
{
	(void)root;
	(void)key;
	(void)value;
	(void)data;
	return no_registry(err);
}

kyso_err_t kyso_reg_delete_value(kyso_reg_root_t root, const char *key, const char *value,
                                 kyso_error_t *err)
{
	(void)root;
	(void)key;
	(void)value;
	return no_registry(err);
}

kyso_err_t kyso_reg_delete_tree(kyso_reg_root_t root, const char *key, kyso_error_t *err)
{
	(void)root;
	(void)key;
	return no_registry(err);
}
