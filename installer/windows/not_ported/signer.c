/* Windows build without signer/ (see installer/windows/CMakeLists.txt). */
#include "kyso_signer.h"

int kyso_cmd_sign(int argc, char **argv)
{
	return kyso_cmd_not_ready("sign", _("Sign a PDF with the token."), argc, argv);
}

int kyso_cmd_verify(int argc, char **argv)
{
	return kyso_cmd_not_ready("verify", _("Check the signatures of a PDF."), argc, argv);
}
