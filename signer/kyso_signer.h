/* kyso_signer: PDF reading, incremental update, CMS/PAdES, verification. */
#ifndef KYSO_SIGNER_H
#define KYSO_SIGNER_H
#include "kyso_core.h"

/* `kyso sign` and `kyso verify` */
int kyso_cmd_sign(int argc, char **argv);
int kyso_cmd_verify(int argc, char **argv);

#endif
