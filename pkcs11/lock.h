/* The module's one lock: every PKCS#11 call runs under it (lock_posix.c:
 * a pthread mutex; lock_win.c: an SRW lock). */
#ifndef KYSO_P11_LOCK_H
#define KYSO_P11_LOCK_H

void lock_take(void);
void lock_give(void);

#endif
