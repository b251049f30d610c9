/* Same-file test on POSIX: device and inode numbers. */
#include "kyso_platform.h"

#include <sys/stat.h>

bool kyso_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}
