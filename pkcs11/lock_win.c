/* The module lock on Windows: a static slim reader/writer lock. */
#include "lock.h"

#include <windows.h>

static SRWLOCK p11_lock = SRWLOCK_INIT;

void lock_take(void)
{
	AcquireSRWLockExclusive(&p11_lock);
}

void lock_give(void)
{
	ReleaseSRWLockExclusive(&p11_lock);
}
