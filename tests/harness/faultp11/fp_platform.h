/* The only OS-specific pieces of kyso-faultp11: loading the target module,
 * sleeping and the default target path. One implementation per OS
 * (fp_platform_posix.c, fp_platform_win32.c), chosen by CMake. */
#ifndef FP_PLATFORM_H
#define FP_PLATFORM_H

#include <stddef.h>

/* Load the shared library PATH; on failure NULL and a message in ERR. */
void *fp_dl_open(const char *path, char *err, size_t errlen);
/* Address of symbol NAME in library H, or NULL. */
void *fp_dl_sym(void *h, const char *name);
void fp_sleep_ms(unsigned ms);
/* Milliseconds from an arbitrary fixed point (monotonic). */
unsigned long long fp_now_ms(void);
/* SoftHSM2 module used when KYSO_FAULT_TARGET is not set. */
const char *fp_default_target(void);

#endif
