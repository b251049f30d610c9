#ifndef FP_RVNAME_H
#define FP_RVNAME_H

#include <p11-kit/pkcs11.h>

/* "CKR_PIN_LOCKED" for CKR_PIN_LOCKED; never NULL. */
const char *fp_rv_name(CK_RV rv);

#endif
