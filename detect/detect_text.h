/* Text output of `kyso detect` (private to detect/). */
#ifndef KYSO_DETECT_TEXT_H
#define KYSO_DETECT_TEXT_H
#include "kyso_detect.h"

void kyso_detect_print_token(FILE *out, size_t n, const kyso_token_t *t);
void kyso_detect_print_result(FILE *out, const kyso_detect_result_t *r);

#endif
