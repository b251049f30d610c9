/* Architecture of a DLL from its PE header: the MZ stub's e_lfanew points
 * at "PE\0\0", followed by the COFF header whose first field is Machine. */
#include "kyso_platform.h"
#include "win_int.h"

#include <stdio.h>
#include <string.h>

const char *kyso_lib_format(void)
{
	return "PE";
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case IMAGE_FILE_MACHINE_AMD64:
		return "x86_64";
	case IMAGE_FILE_MACHINE_I386:
		return "i386";
	case 0xAA64: /* IMAGE_FILE_MACHINE_ARM64 */
		return "aarch64";
	case IMAGE_FILE_MACHINE_ARMNT:
		return "arm";
	default:
		return NULL;
	}
}

#if defined(__x86_64__)
#define KYSO_PE_MACHINE IMAGE_FILE_MACHINE_AMD64
#elif defined(__i386__)
#define KYSO_PE_MACHINE IMAGE_FILE_MACHINE_I386
#elif defined(__aarch64__)
#define KYSO_PE_MACHINE 0xAA64
#else
#define KYSO_PE_MACHINE 0
#endif

static unsigned le16(const unsigned char *p)
{
	return (unsigned)(p[0] | (p[1] << 8));
}

static unsigned long le32(const unsigned char *p)
{
	return (unsigned long)p[0] | ((unsigned long)p[1] << 8) | ((unsigned long)p[2] << 16) |
	       ((unsigned long)p[3] << 24);
}

bool kyso_lib_arch(const char *path, char *name, size_t cap, bool *loadable)
{
	*loadable = false;
	if (cap > 0)
		name[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	unsigned char mz[64];
	unsigned char pe[6];
	bool ok = fread(mz, 1, sizeof(mz), f) == sizeof(mz) && mz[0] == 'M' && mz[1] == 'Z';
	unsigned long off = ok ? le32(mz + 0x3C) : 0;
	ok = ok && off >= sizeof(mz) && off < 0x100000 && fseek(f, (long)off, SEEK_SET) == 0 &&
	     fread(pe, 1, sizeof(pe), f) == sizeof(pe) && memcmp(pe, "PE\0\0", 4) == 0;
	fclose(f);
	if (!ok)
		return false;
	unsigned machine = le16(pe + 4);
	const char *mn = machine_name(machine);
	if (mn != NULL)
		snprintf(name, cap, "%s", mn);
	else
		snprintf(name, cap, "machine 0x%04x", machine);
	*loadable = machine == KYSO_PE_MACHINE;
	return true;
}

void kyso_self_arch(char *name, size_t cap)
{
	const char *mn = machine_name(KYSO_PE_MACHINE);
	snprintf(name, cap, "%s", mn != NULL ? mn : "?");
}
