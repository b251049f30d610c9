/* kyso_diagnostics: `kyso doctor` checks and writers, `kyso reports`. */
#ifndef KYSO_DIAGNOSTICS_H
#define KYSO_DIAGNOSTICS_H
#include "kyso_core.h"

int kyso_cmd_doctor(int argc, char **argv);
int kyso_cmd_reports(int argc, char **argv);

#endif
