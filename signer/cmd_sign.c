/* `kyso sign` (issue: PDF signer core). */
#include "kyso_signer.h"

int kyso_cmd_sign(int argc, char **argv)
{
	return kyso_cmd_not_ready("sign", _("Sign a PDF with the token."), argc, argv);
}
