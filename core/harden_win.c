/* kyso_process_harden on Windows: DLLs from System32 (and the program's
 * folder through the loader's own search) only, never the current folder or
 * a folder on PATH: a DLL planted beside a file on a USB stick is not loaded. */
#include "kyso_process.h"
#include "win_int.h"

#include <stdlib.h>

void kyso_process_harden(void)
{
	SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_SYSTEM32 |
	                         LOAD_LIBRARY_SEARCH_APPLICATION_DIR);
	SetDllDirectoryW(L"");
}

const char *kyso_test_hook(const char *name)
{
	return KYSO_TEST_HOOKS ? getenv(name) : NULL;
}
