/* Stop requests on Windows: a console control handler (Ctrl+C, Ctrl+Break,
 * console closed, logoff, shutdown). Windows runs it in a thread of its own;
 * for the close/logoff/shutdown events the process ends when the handler
 * returns, so it gives the main loop a moment to finish first. */
#include "kyso_platform.h"
#include "win_int.h"

static void (*volatile stop_fn)(void);

static BOOL WINAPI on_ctrl(DWORD type)
{
	void (*fn)(void) = stop_fn;
	if (fn == NULL)
		return FALSE;
	fn();
	if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
		Sleep(2000);
	return TRUE;
}

void kyso_on_stop(void (*fn)(void))
{
	stop_fn = fn;
	SetConsoleCtrlHandler(on_ctrl, TRUE);
}
