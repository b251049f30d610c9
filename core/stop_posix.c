/* Stop requests on POSIX: SIGINT/SIGTERM call the registered function;
 * SIGPIPE is ignored (a write to a closed socket fails with EPIPE instead). */
#include "kyso_platform.h"

#include <signal.h>
#include <string.h>

static void (*volatile stop_fn)(void);

static void on_signal(int sig)
{
	(void)sig;
	void (*fn)(void) = stop_fn;
	if (fn != NULL)
		fn();
}

void kyso_on_stop(void (*fn)(void))
{
	stop_fn = fn;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
