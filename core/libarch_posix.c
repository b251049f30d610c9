/* Architecture of a shared library from its ELF header (e_ident, e_machine). */
#include "kyso_platform.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

const char *kyso_lib_format(void)
{
	return "ELF";
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386:
		return "i386";
	case EM_X86_64:
		return "x86_64";
	case EM_AARCH64:
		return "aarch64";
	case EM_ARM:
		return "arm";
	case EM_RISCV:
		return "riscv";
	case EM_PPC64:
		return "ppc64";
	case EM_S390:
		return "s390";
	case EM_MIPS:
		return "mips";
	default:
		return NULL;
	}
}

#if defined(__x86_64__)
#define KYSO_EM EM_X86_64
#elif defined(__i386__)
#define KYSO_EM EM_386
#elif defined(__aarch64__)
#define KYSO_EM EM_AARCH64
#elif defined(__arm__)
#define KYSO_EM EM_ARM
#else
#define KYSO_EM EM_NONE
#endif

#if UINTPTR_MAX > 0xffffffffu
#define KYSO_ELFCLASS ELFCLASS64
#else
#define KYSO_ELFCLASS ELFCLASS32
#endif

bool kyso_lib_arch(const char *path, char *name, size_t cap, bool *loadable)
{
	*loadable = false;
	if (cap > 0)
		name[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char h[EI_NIDENT + 4];
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return false;
	bool little = h[EI_DATA] == ELFDATA2LSB;
	/* e_type (2 bytes) then e_machine (2 bytes) right after e_ident */
	unsigned machine = little ? (unsigned)(h[EI_NIDENT + 2] | (h[EI_NIDENT + 3] << 8))
	                          : (unsigned)((h[EI_NIDENT + 2] << 8) | h[EI_NIDENT + 3]);
	const char *mn = machine_name(machine);
	if (mn != NULL)
		snprintf(name, cap, "%s%s", mn,
		         machine == EM_ARM || machine == EM_386 || machine == EM_MIPS
		                 ? ""
		                 : (h[EI_CLASS] == ELFCLASS32 ? " (32-bit)" : ""));
	else
		snprintf(name, cap, "machine %u (%s)", machine,
		         h[EI_CLASS] == ELFCLASS32 ? "32-bit" : "64-bit");
	*loadable = machine == KYSO_EM && h[EI_CLASS] == KYSO_ELFCLASS;
	return true;
}

void kyso_self_arch(char *name, size_t cap)
{
	bool dummy = false;
	if (!kyso_lib_arch("/proc/self/exe", name, cap, &dummy))
		snprintf(name, cap, "?");
}
