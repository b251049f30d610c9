/* Names and absence classes of the PKCS#11 functions. */
#include "fp_funcs.h"

#include <string.h>

#define FP_NAME(name, cls) #name,
static const char *const fp_names[FP_NFUNCS] = {FP_FUNCS(FP_NAME)};
#undef FP_NAME

#define FP_CLASS(name, cls) cls,
static const enum fp_class fp_classes[FP_NFUNCS] = {FP_FUNCS(FP_CLASS)};
#undef FP_CLASS

const char *fp_func_name(enum fp_func f)
{
	return (unsigned)f < FP_NFUNCS ? fp_names[f] : "C_?";
}

enum fp_class fp_func_class(enum fp_func f)
{
	return (unsigned)f < FP_NFUNCS ? fp_classes[f] : FP_NONE;
}

int fp_func_lookup(const char *name, size_t len)
{
	for (int i = 0; i < FP_NFUNCS; i++) {
		if (strlen(fp_names[i]) == len && memcmp(fp_names[i], name, len) == 0)
			return i;
	}
	return -1;
}
