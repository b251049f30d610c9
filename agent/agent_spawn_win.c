/* Windows (agent_spawn_posix.c elsewhere): libassuan starts pinentry with
 * CreateProcess and pipes for its stdin/stdout; there is no fork() whose child
 * could deadlock, so libassuan's own system hooks stay. */
#include "agent.h"

void ag_spawn_hooks_install(void)
{
}
