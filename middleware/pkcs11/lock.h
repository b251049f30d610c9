/* The module's one lock: every PKCS#11 call runs under it. */
#ifndef KYSO_P11_LOCK_H
#define KYSO_P11_LOCK_H

#ifdef _WIN32
#include <windows.h>
static SRWLOCK p11_lock = SRWLOCK_INIT;
static inline void lock_take(void)
{
	AcquireSRWLockExclusive(&p11_lock);
}
static inline void lock_give(void)
{
	ReleaseSRWLockExclusive(&p11_lock);
}
#else
#include <pthread.h>
static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static inline void lock_take(void)
{
	/* cannot fail for a default mutex taken once per thread */
	if (pthread_mutex_lock(&p11_lock) != 0)
		return;
}
static inline void lock_give(void)
{
	if (pthread_mutex_unlock(&p11_lock) != 0)
		return;
}
#endif

#endif
