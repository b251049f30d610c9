/* The optional call log (rule log=FILE): one line per call, function name,
 * return value and the fault that changed the call, never any argument. */
#ifndef FP_LOG_H
#define FP_LOG_H

#include "fp_funcs.h"

#include <p11-kit/pkcs11.h>

#include <stdbool.h>

/* FINISHED: the target got the call too and answered TARGET_RV (dropped). */
void fp_log_call(const char *path, enum fp_func f, CK_RV rv, const char *fault, bool finished,
                 CK_RV target_rv);

#endif
