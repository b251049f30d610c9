/* kyso_installer: `kyso setup` orchestration, plan/apply/rollback, report. */
#ifndef KYSO_INSTALLER_H
#define KYSO_INSTALLER_H
#include "kyso_core.h"

#endif
