/* Locked memory for the PIN cache on POSIX (agent_lockmem_win.c on Windows):
 * anonymous pages, mlock()ed against swapping and left out of core dumps. */
#include "agent.h"

#include <sys/mman.h>
#include <unistd.h>

void *ag_lockmem_alloc(size_t need, size_t *len, bool *locked)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	*len = (need + page - 1) / page * page;
	void *m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	*locked = mlock(m, *len) == 0;
	if (*locked)
		kyso_debug("agent: PIN cache: %zu bytes locked in memory", *len);
	else
		kyso_warn("agent: cannot lock the PIN cache in memory (RLIMIT_MEMLOCK): a "
		          "remembered PIN could be swapped out");
#ifdef MADV_DONTDUMP
	if (madvise(m, *len, MADV_DONTDUMP) != 0)
		kyso_debug("agent: madvise(MADV_DONTDUMP) failed");
#endif
	return m;
}

void ag_lockmem_free(void *p, size_t len, bool locked)
{
	if (p == NULL)
		return;
	if (locked && munlock(p, len) != 0)
		kyso_debug("agent: munlock failed");
	if (munmap(p, len) != 0)
		kyso_debug("agent: munmap failed");
}
