/* kyso_detect: token catalog, PC/SC scan, USB scan, matching. */
#ifndef KYSO_DETECT_H
#define KYSO_DETECT_H
#include "kyso_core.h"

/* `kyso detect` */
int kyso_cmd_detect(int argc, char **argv);

#endif
