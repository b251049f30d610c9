/* Windows build without diagnostics/ (see installer/windows/CMakeLists.txt). */
#include "kyso_diagnostics.h"

int kyso_cmd_doctor(int argc, char **argv)
{
	return kyso_cmd_not_ready("doctor", _("Find out why signing fails."), argc, argv);
}

int kyso_cmd_reports(int argc, char **argv)
{
	return kyso_cmd_not_ready("reports", _("Collect and group doctor reports."), argc, argv);
}
