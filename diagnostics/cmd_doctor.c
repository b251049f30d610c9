/* `kyso doctor` (issue: doctor and reports). */
#include "kyso_diagnostics.h"

int kyso_cmd_doctor(int argc, char **argv)
{
	return kyso_cmd_not_ready("doctor", _("Find out why signing fails."), argc, argv);
}
