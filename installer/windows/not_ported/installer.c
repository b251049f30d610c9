/* Windows build without installer/ (see installer/windows/CMakeLists.txt). */
#include "kyso_installer.h"

int kyso_cmd_setup(int argc, char **argv)
{
	return kyso_cmd_not_ready("setup", _("Install and register the token driver."), argc, argv);
}
