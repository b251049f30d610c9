/* kyso_middleware: PKCS#11 probing, driver install plans, registration. */
#ifndef KYSO_MIDDLEWARE_H
#define KYSO_MIDDLEWARE_H
#include "kyso_core.h"
#include "kyso_detect.h"

#endif
