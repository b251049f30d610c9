/* POSIX side of the platform shim: dlopen, nanosleep, CLOCK_MONOTONIC. */
#include "fp_platform.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

void *fp_dl_open(const char *path, char *err, size_t errlen)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *msg = dlerror();

		snprintf(err, errlen, "%s", msg ? msg : "dlopen failed");
	}
	return h;
}

void *fp_dl_sym(void *h, const char *name)
{
	return dlsym(h, name);
}

void fp_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

unsigned long long fp_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (unsigned long long)ts.tv_sec * 1000ULL +
	       (unsigned long long)ts.tv_nsec / 1000000ULL;
}

const char *fp_default_target(void)
{
	return "/usr/lib/softhsm/libsofthsm2.so";
}
