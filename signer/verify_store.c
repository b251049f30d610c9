/* The trust anchors of one verification (kyso_trust.h): the installed ones
 * unless told not to, the --ca files, the system store only when asked. */
#include "verify_int.h"

kyso_trust_t *kyso_verify_trust(const kyso_verify_opts_t *o, kyso_error_t *err)
{
	kyso_trust_opts_t to = {o->ca_files, o->no_system_anchors, o->system_ca};
	return kyso_trust_new(&to, err);
}
