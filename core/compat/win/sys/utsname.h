/* uname() for the Windows build (core/posix_compat_win.c, from
 * kyso_os_info()). */
#ifndef KYSO_COMPAT_SYS_UTSNAME_H
#define KYSO_COMPAT_SYS_UTSNAME_H

#ifdef __cplusplus
extern "C" {
#endif

struct utsname {
	char sysname[64];
	char nodename[64];
	char release[64];
	char version[64];
	char machine[32];
};

int uname(struct utsname *un);

#ifdef __cplusplus
}
#endif
#endif
