/* Windows build without detect/ (see installer/windows/CMakeLists.txt). */
#include "kyso_detect.h"

int kyso_cmd_detect(int argc, char **argv)
{
	return kyso_cmd_not_ready("detect", _("Identify the connected token."), argc, argv);
}
