/* `kyso verify` (issue: PDF signer core). */
#include "kyso_signer.h"

int kyso_cmd_verify(int argc, char **argv)
{
	return kyso_cmd_not_ready("verify", _("Check the signatures of a PDF."), argc, argv);
}
