/* `kyso reports` (issue: doctor and reports). */
#include "kyso_diagnostics.h"

int kyso_cmd_reports(int argc, char **argv)
{
	return kyso_cmd_not_ready("reports", _("Collect and group doctor reports."), argc, argv);
}
