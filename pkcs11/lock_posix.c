/* The module lock on POSIX: a static pthread mutex. */
#include "lock.h"

#include <pthread.h>

static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;

void lock_take(void)
{
	/* cannot fail for a default mutex taken once per thread */
	if (pthread_mutex_lock(&p11_lock) != 0)
		return;
}

void lock_give(void)
{
	if (pthread_mutex_unlock(&p11_lock) != 0)
		return;
}
