/* Locked memory for the PIN cache on Windows (agent_lockmem_posix.c
 * elsewhere): committed pages from VirtualAlloc, VirtualLock()ed so they stay
 * in RAM (a small region fits the default working set). */
#include "agent.h"

#include <windows.h>

void *ag_lockmem_alloc(size_t need, size_t *len, bool *locked)
{
	SYSTEM_INFO si;
	GetSystemInfo(&si);
	size_t page = si.dwPageSize > 0 ? (size_t)si.dwPageSize : 4096;
	*len = (need + page - 1) / page * page;
	void *m = VirtualAlloc(NULL, *len, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
	if (m == NULL)
		return NULL;
	*locked = VirtualLock(m, *len) != 0;
	if (*locked)
		kyso_debug("agent: PIN cache: %zu bytes locked in memory", *len);
	else
		kyso_warn("agent: cannot lock the PIN cache in memory (VirtualLock): a "
		          "remembered PIN could be paged out");
	return m;
}

void ag_lockmem_free(void *p, size_t len, bool locked)
{
	if (p == NULL)
		return;
	if (locked && VirtualUnlock(p, len) == 0)
		kyso_debug("agent: VirtualUnlock failed");
	if (VirtualFree(p, 0, MEM_RELEASE) == 0)
		kyso_debug("agent: VirtualFree failed");
}
