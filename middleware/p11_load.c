/* Why a PKCS#11 module file cannot be loaded: missing, not ELF, built for
 * another architecture (ELF header), missing dependency (dlerror). */
#include "kyso_middleware.h"
#include "mw_int.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *kyso_p11_load_status_id(kyso_p11_load_status_t st)
{
	switch (st) {
	case KYSO_P11_LOAD_OK:
		return "ok";
	case KYSO_P11_LOAD_MISSING:
		return "missing";
	case KYSO_P11_LOAD_NOT_ELF:
		return "not-elf";
	case KYSO_P11_LOAD_WRONG_ARCH:
		return "wrong-arch";
	case KYSO_P11_LOAD_MISSING_DEP:
		return "missing-dependency";
	case KYSO_P11_LOAD_DLOPEN:
		return "dlopen";
	case KYSO_P11_LOAD_NOT_PKCS11:
		return "not-pkcs11";
	case KYSO_P11_LOAD_INIT_FAILED:
		return "init-failed";
	}
	return "unknown";
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

bool kyso_elf_arch(const char *path, char *name, size_t cap, bool *loadable)
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

kyso_p11_load_status_t kyso_p11_check_file(const char *path, kyso_error_t *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s is missing: %s (the driver is not installed, "
		                 "or it is installed somewhere else)"),
		               path, strerror(errno));
		return KYSO_P11_LOAD_MISSING;
	}
	char arch[64];
	bool loadable = false;
	if (!kyso_elf_arch(path, arch, sizeof(arch), &loadable)) {
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("%s is not a shared library (no ELF header)"), path);
		return KYSO_P11_LOAD_NOT_ELF;
	}
	if (!loadable) {
		char self[64];
		bool dummy = false;
		if (!kyso_elf_arch("/proc/self/exe", self, sizeof(self), &dummy))
			snprintf(self, sizeof(self), "?");
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s is built for %s; this program is %s and cannot "
		                 "load it (install the driver for %s)"),
		               path, arch, self, self);
		return KYSO_P11_LOAD_WRONG_ARCH;
	}
	return KYSO_P11_LOAD_OK;
}

/* "libfoo.so.1: cannot open shared object file" for a file other than the
 * module itself means a dependency is missing. */
static bool missing_dependency(const char *why, const char *path, char *dep, size_t cap)
{
	const char *tail = strstr(why, ": cannot open shared object file");
	if (tail == NULL)
		return false;
	/* dlerror: "<module>: <dep>: cannot open shared object file: ..." */
	const char *start = tail;
	while (start > why && !(start[-1] == ' ' && start - 2 >= why && start[-2] == ':'))
		start--;
	size_t len = (size_t)(tail - start);
	if (len == 0 || len >= cap)
		return false;
	memcpy(dep, start, len);
	dep[len] = '\0';
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	return strcmp(dep, path) != 0 && strcmp(dep, base) != 0;
}

kyso_p11_load_status_t mw_dlopen(const char *path, void **handle, kyso_error_t *err)
{
	*handle = NULL;
	kyso_p11_load_status_t st = kyso_p11_check_file(path, err);
	if (st != KYSO_P11_LOAD_OK)
		return st;
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();
		if (why == NULL)
			why = "dlopen";
		char dep[256];
		if (missing_dependency(why, path, dep, sizeof(dep))) {
			kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
			               _("PKCS#11 module %s needs %s, which is not installed (%s)"),
			               path, dep, why);
			return KYSO_P11_LOAD_MISSING_DEP;
		}
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s cannot be loaded: %s"), path, why);
		return KYSO_P11_LOAD_DLOPEN;
	}
	*handle = h;
	return KYSO_P11_LOAD_OK;
}
