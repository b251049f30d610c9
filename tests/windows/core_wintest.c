/* Checks of core's Windows platform layer, run under wine by test_wine.sh:
 * paths, atomic files (Vietnamese names), spawn (quoting, exit codes, not
 * found, timeout), registry, autostart, PKCS#11 module lookup, the .mo reader,
 * the trust store, OS info and the POSIX compat functions.
 *
 *   kyso-core-wintest.exe              run every check, "ok - ..."/"FAIL - ..."
 *   kyso-core-wintest.exe --echo A...  print the arguments joined by '|'
 *   kyso-core-wintest.exe --exit N     exit with status N
 *   kyso-core-wintest.exe --sleep MS   sleep, then exit 0 */
#include "kyso_core.h"
#include "kyso_platform.h"
#include "kyso_process.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

static int fails;
static int passes;

static void check(bool ok, const char *what, const char *detail)
{
	if (ok) {
		passes++;
		printf("ok - %s\n", what);
	} else {
		fails++;
		printf("FAIL - %s%s%s\n", what, detail != NULL ? ": " : "",
		       detail != NULL ? detail : "");
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_paths(void)
{
	const char *sys = kyso_path_config_system();
	check(strstr(sys, "ProgramData") != NULL && ends_with(sys, "\\kyso"),
	      "system config is %ProgramData%\\kyso", sys);
	const char *user = kyso_path_config_user();
	check(strstr(user, "Roaming") != NULL && ends_with(user, "\\kyso"),
	      "user config is %APPDATA%\\kyso", user);
	const char *state = kyso_path_state_user();
	check(strstr(state, "Local") != NULL && ends_with(state, "\\kyso"),
	      "user state is %LOCALAPPDATA%\\kyso", state);
	const char *exe = kyso_path_exe_dir();
	check(*exe != '\0' && strchr(exe, '\\') != NULL, "exe dir known", exe);
	check(kyso_now_ms() > 0, "monotonic clock runs", NULL);
}

static char tmpdir[1024];

static void test_files(void)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s\\tệp thử ký số.txt", tmpdir);
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_err_t rc = kyso_file_write_atomic(path, "một", strlen("một"), 0644, &err);
	check(rc == KYSO_OK, "atomic write to a Vietnamese file name", kyso_error_message(&err));
	rc = kyso_file_write_atomic(path, "hai ba", 6, 0644, &err);
	check(rc == KYSO_OK, "atomic write replaces an existing file", kyso_error_message(&err));
	uint8_t *data = NULL;
	size_t len = 0;
	rc = kyso_file_read_all(path, 1024, &data, &len, &err);
	check(rc == KYSO_OK && len == 6 && memcmp(data, "hai ba", 6) == 0,
	      "read back the replaced content", kyso_error_message(&err));
	free(data);
	rc = kyso_file_read_all(path, 3, &data, &len, &err);
	check(rc == KYSO_ERR_TOO_LARGE, "read_all honours max", NULL);
	/* fopen() takes UTF-8 thanks to the activeCodePage manifest */
	FILE *fp = fopen(path, "rb");
	check(fp != NULL, "fopen() opens a UTF-8 path (manifest)", path);
	if (fp != NULL)
		fclose(fp);
	/* no temporary files left behind */
	char pattern[1200];
	snprintf(pattern, sizeof(pattern), "%s\\*", tmpdir);
	WIN32_FIND_DATAA fd;
	HANDLE h = FindFirstFileA(pattern, &fd);
	int n = 0;
	if (h != INVALID_HANDLE_VALUE) {
		do {
			if (strcmp(fd.cFileName, ".") != 0 && strcmp(fd.cFileName, "..") != 0)
				n++;
		} while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	check(n == 1, "no temporary file left next to it", NULL);
	rc = kyso_file_read_all("C:\\no\\such\\file", 10, &data, &len, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "missing file is KYSO_ERR_NOT_FOUND", NULL);
	/* streaming abort leaves nothing */
	snprintf(path, sizeof(path), "%s\\aborted.txt", tmpdir);
	kyso_atomic_file_t *af = kyso_atomic_file_new(path, 0644, &err);
	check(af != NULL, "atomic stream opens", kyso_error_message(&err));
	if (af != NULL) {
		fputs("x", kyso_atomic_file_stream(af));
		kyso_atomic_file_abort(&af);
	}
	struct stat st;
	check(stat(path, &st) != 0, "aborted atomic file does not exist", NULL);
}

static const char *self;

static void test_spawn(void)
{
	kyso_error_t err;
	kyso_buf_t out;
	int status = -1;
	kyso_buf_init(&out);
	const char *echo[] = {self, "--echo", "a b", "c\"d", "e\\", "", "f\\\\\"g", "ký số", NULL};
	kyso_err_t rc = kyso_spawn(echo, &out, 4096, 20000, &status, &err);
	const char *want = "a b|c\"d|e\\||f\\\\\"g|ký số";
	bool same = rc == KYSO_OK && out.len >= strlen(want) &&
	            memcmp(out.data, want, strlen(want)) == 0;
	kyso_buf_append(&out, "", 1);
	check(same && status == 0, "spawn passes arguments through quoting unchanged",
	      out.data != NULL ? (const char *)out.data : "");
	kyso_buf_free(&out);

	const char *ex[] = {self, "--exit", "7", NULL};
	rc = kyso_spawn(ex, NULL, 0, 20000, &status, &err);
	check(rc == KYSO_OK && status == 7, "spawn returns the exit status", NULL);

	const char *none[] = {"kyso-no-such-program-xyz", NULL};
	rc = kyso_spawn(none, NULL, 0, 5000, &status, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "missing program is KYSO_ERR_NOT_FOUND",
	      kyso_error_message(&err));

	const char *slow[] = {self, "--sleep", "20000", NULL};
	uint64_t t0 = kyso_now_ms();
	rc = kyso_spawn(slow, NULL, 0, 700, &status, &err);
	uint64_t took = kyso_now_ms() - t0;
	check(rc == KYSO_ERR_CHILD_PROCESS && took < 10000, "spawn timeout kills the child",
	      kyso_error_message(&err));

	kyso_buf_init(&out);
	const char *cap[] = {self, "--echo", "0123456789", NULL};
	rc = kyso_spawn(cap, &out, 4, 20000, &status, &err);
	check(rc == KYSO_OK && out.len == 4, "spawn caps captured output", NULL);
	kyso_buf_free(&out);
}

#define TEST_KEY "Software\\kyso-core-wintest"

static void test_registry(void)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char *v = NULL;
	kyso_err_t rc =
	        kyso_reg_set_string(KYSO_REG_USER, TEST_KEY "\\sub", "Tên", "Giá trị ✓", &err);
	check(rc == KYSO_OK, "registry: write a value", kyso_error_message(&err));
	rc = kyso_reg_get_string(KYSO_REG_USER, TEST_KEY "\\sub", "Tên", &v, &err);
	check(rc == KYSO_OK && v != NULL && strcmp(v, "Giá trị ✓") == 0,
	      "registry: read it back (UTF-8)", v != NULL ? v : kyso_error_message(&err));
	free(v);
	rc = kyso_reg_get_string(KYSO_REG_USER, TEST_KEY "\\sub", "missing", &v, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "registry: missing value is NOT_FOUND", NULL);
	rc = kyso_reg_delete_value(KYSO_REG_USER, TEST_KEY "\\sub", "Tên", &err);
	check(rc == KYSO_OK, "registry: delete the value", kyso_error_message(&err));
	rc = kyso_reg_get_string(KYSO_REG_USER, TEST_KEY "\\sub", "Tên", &v, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "registry: value gone", NULL);
	rc = kyso_reg_delete_tree(KYSO_REG_USER, TEST_KEY, &err);
	check(rc == KYSO_OK, "registry: delete the key tree", kyso_error_message(&err));
	rc = kyso_reg_set_string(KYSO_REG_USER, TEST_KEY, "x", "y", &err);
	rc = kyso_reg_delete_tree(KYSO_REG_USER, TEST_KEY, &err);
	rc = kyso_reg_get_string(KYSO_REG_USER, TEST_KEY, "x", &v, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "registry: key tree gone", NULL);
	rc = kyso_reg_delete_tree(KYSO_REG_USER, TEST_KEY, &err);
	check(rc == KYSO_OK, "registry: deleting a missing key is fine", NULL);
}

static void test_autostart(void)
{
	kyso_error_t err;
	const char *argv[] = {"C:\\Program Files\\kyso\\kyso-agent.exe", "--background", NULL};
	kyso_err_t rc = kyso_autostart_set("kyso-wintest", argv, &err);
	check(rc == KYSO_OK, "autostart: register", kyso_error_message(&err));
	char *cl = kyso_autostart_get("kyso-wintest");
	check(cl != NULL &&
	              strcmp(cl, "\"C:\\Program Files\\kyso\\kyso-agent.exe\" --background") == 0,
	      "autostart: HKCU Run value is the quoted command line", cl);
	free(cl);
	char *raw = NULL;
	rc = kyso_reg_get_string(KYSO_REG_USER, "Software\\Microsoft\\Windows\\CurrentVersion\\Run",
	                         "kyso-wintest", &raw, &err);
	check(rc == KYSO_OK, "autostart: value is under HKCU\\...\\Run", NULL);
	free(raw);
	rc = kyso_autostart_remove("kyso-wintest", &err);
	cl = kyso_autostart_get("kyso-wintest");
	check(rc == KYSO_OK && cl == NULL, "autostart: removed", NULL);
	free(cl);
}

static void test_p11_lookup(void)
{
	char dir[1200], path[1300];
	snprintf(dir, sizeof(dir), "%s\\Nhà cung cấp", tmpdir);
	check(mkdir(dir, 0755) == 0, "compat mkdir(path, mode)", dir);
	snprintf(path, sizeof(path), "%s\\vendor_csp11.dll", dir);
	kyso_error_t err;
	kyso_file_write_atomic(path, "MZ", 2, 0644, &err);
	char env[1300];
	snprintf(env, sizeof(env), "C:\\nowhere;%s", dir);
	check(setenv("KYSO_P11_PATH", env, 1) == 0, "compat setenv", NULL);
	char *hit = kyso_p11_module_find(NULL, "vendor_csp11.dll");
	check(hit != NULL && strcmp(hit, path) == 0, "p11 lookup: KYSO_P11_PATH", hit);
	free(hit);
	unsetenv("KYSO_P11_PATH");
	hit = kyso_p11_module_find(NULL, "kernel32.dll");
	check(hit != NULL && (strstr(hit, "system32") != NULL || strstr(hit, "System32") != NULL),
	      "p11 lookup: System32", hit);
	free(hit);
	hit = kyso_p11_module_find(NULL, "kyso-no-such-module.dll");
	check(hit == NULL, "p11 lookup: missing module is NULL", hit);
	free(hit);
	hit = kyso_p11_module_find(NULL, path);
	check(hit != NULL, "p11 lookup: a full path is checked", path);
	free(hit);
}

static void test_i18n(void)
{
	kyso_i18n_init("vi");
	const char *vi = _("Commands:");
	check(strcmp(kyso_i18n_lang(), "vi") == 0 && strcmp(vi, "Commands:") != 0,
	      "i18n: Vietnamese catalog read from the .mo file", vi);
	bool non_ascii = false;
	for (const char *p = vi; *p != '\0'; p++)
		non_ascii |= (*p & 0x80) != 0;
	check(non_ascii, "i18n: the translation is UTF-8 Vietnamese", vi);
	check(strcmp(_("kyso: no such message id xyz"), "kyso: no such message id xyz") == 0,
	      "i18n: unknown msgid comes back unchanged", NULL);
	kyso_i18n_init("en");
	check(strcmp(_("Commands:"), "Commands:") == 0, "i18n: English is the msgid", NULL);
	kyso_i18n_init("vi");
}

static uint8_t *self_signed(size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	uint8_t *der = NULL;
	if (k != NULL && x != NULL) {
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(kyso_now_ms() & 0x7fffffff));
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 3600);
		X509_NAME *n = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		                           (const unsigned char *)"kyso wintest CA", -1, -1, 0);
		X509_set_issuer_name(x, n);
		X509_set_pubkey(x, k);
		if (X509_sign(x, k, EVP_sha256()) > 0) {
			int n2 = i2d_X509(x, &der);
			*len = n2 > 0 ? (size_t)n2 : 0;
		}
	}
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

static void test_trust(void)
{
	size_t len = 0;
	uint8_t *der = self_signed(&len);
	check(der != NULL, "made a test CA certificate", NULL);
	if (der == NULL)
		return;
	kyso_error_t err;
	kyso_error_clear(&err);
	check(!kyso_trust_has_ca(KYSO_TRUST_USER, "kyso-wintest", der, len),
	      "trust: not in CurrentUser\\ROOT before", NULL);
	kyso_err_t rc = kyso_trust_add_ca(KYSO_TRUST_USER, "kyso-wintest", der, len, &err);
	check(rc == KYSO_OK, "trust: added to CurrentUser\\ROOT", kyso_error_message(&err));
	check(kyso_trust_has_ca(KYSO_TRUST_USER, "kyso-wintest", der, len),
	      "trust: found in CurrentUser\\ROOT", NULL);
	rc = kyso_trust_remove_ca(KYSO_TRUST_USER, "kyso-wintest", der, len, &err);
	check(rc == KYSO_OK, "trust: remove succeeds", kyso_error_message(&err));
	check(!kyso_trust_has_ca(KYSO_TRUST_USER, "kyso-wintest", der, len),
	      "trust: gone from CurrentUser\\ROOT", NULL);
	rc = kyso_trust_add_ca(KYSO_TRUST_USER, "x", (const uint8_t *)"junk", 4, &err);
	check(rc == KYSO_ERR_BAD_INPUT, "trust: junk is not a certificate", NULL);
	OPENSSL_free(der);
}

static void test_os_and_compat(void)
{
	kyso_os_info_t os;
	kyso_os_info(&os);
	check(strcmp(os.name, "Windows") == 0 && strcmp(os.machine, "x86_64") == 0 &&
	              os.release[0] != '\0',
	      "os info: Windows x86_64 with a version", os.release);
	char *s = strndup("abcdef", 3);
	check(s != NULL && strcmp(s, "abc") == 0, "compat strndup", s);
	free(s);
	check(setenv("KYSO_WT", "1", 1) == 0 && getenv("KYSO_WT") != NULL &&
	              strcmp(getenv("KYSO_WT"), "1") == 0,
	      "compat setenv/getenv", NULL);
	check(setenv("KYSO_WT", "2", 0) == 0 && strcmp(getenv("KYSO_WT"), "1") == 0,
	      "compat setenv without overwrite", NULL);
	unsetenv("KYSO_WT");
	check(getenv("KYSO_WT") == NULL, "compat unsetenv", NULL);
	char *rp = realpath(".", NULL);
	check(rp != NULL && strchr(rp, ':') != NULL, "compat realpath", rp);
	free(rp);
	void *h = dlopen("kernel32.dll", RTLD_NOW);
	check(h != NULL && dlsym(h, "GetTickCount64") != NULL, "compat dlopen/dlsym", NULL);
	if (h != NULL)
		dlclose(h);
	check(dlopen("C:\\no\\such.dll", RTLD_NOW) == NULL && dlerror() != NULL,
	      "compat dlopen failure sets dlerror", NULL);
	/* Linux sonames map to DLL names: "kernel32.so.1" -> kernel32-1.dll
	 * (absent), then kernel32.dll */
	h = dlopen("kernel32.so.1", RTLD_NOW);
	check(h != NULL && dlsym(h, "GetTickCount64") != NULL, "compat dlopen maps a soname", NULL);
	if (h != NULL)
		dlclose(h);
	h = dlopen("libkyso-absent.so.6", RTLD_NOW);
	const char *why = h == NULL ? dlerror() : NULL;
	check(h == NULL && why != NULL && strstr(why, "libkyso-absent.dll") != NULL,
	      "compat dlopen of a missing soname names the DLL", why);
	char t[1300];
	snprintf(t, sizeof(t), "%s\\dXXXXXX", tmpdir);
	check(mkdtemp(t) != NULL && t[strlen(t) - 1] != 'X', "compat mkdtemp", t);
	snprintf(t, sizeof(t), "%s\\fXXXXXX.pdf", tmpdir);
	int fd = mkstemps(t, 4);
	check(fd >= 0 && ends_with(t, ".pdf") && strstr(t, "XXXXXX") == NULL, "compat mkstemps", t);
	if (fd >= 0)
		close(fd);
	struct tm tm = {.tm_year = 124, .tm_mon = 0, .tm_mday = 2, .tm_hour = 3};
	check(timegm(&tm) == 1704164400, "compat timegm", NULL);
	time_t now = 1704164400;
	struct tm out;
	check(gmtime_r(&now, &out) != NULL && out.tm_hour == 3, "gmtime_r", NULL);
}

static int helper(int argc, char **argv)
{
	if (strcmp(argv[1], "--echo") == 0) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", i > 2 ? "|" : "", argv[i]);
		return 0;
	}
	if (strcmp(argv[1], "--exit") == 0 && argc > 2)
		return atoi(argv[2]);
	if (strcmp(argv[1], "--sleep") == 0 && argc > 2) {
		Sleep((DWORD)atoi(argv[2]));
		return 0;
	}
	return 2;
}

/* kyso_process.h: detached programs (kyso setup starts kyso-agent this way),
 * the autostart command line, registry key helpers. */
static void test_process(void)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	char log[sizeof(tmpdir) + 32];
	snprintf(log, sizeof(log), "%s\\detached.log", tmpdir);
	const char *echo[] = {self, "--echo", "từ nền", NULL};
	long pid = 0;
	kyso_err_t rc = kyso_spawn_detached(echo, log, &pid, &err);
	check(rc == KYSO_OK && pid > 0, "detached: started, its process id returned",
	      kyso_error_message(&err));
	char *text = NULL;
	for (int i = 0; i < 100; i++) {
		uint8_t *data = NULL;
		size_t len = 0;
		if (kyso_file_read_all(log, 4096, &data, &len, &err) == KYSO_OK && len >= 6) {
			text = strndup((const char *)data, len);
			free(data);
			break;
		}
		free(data);
		Sleep(100);
	}
	check(text != NULL && strstr(text, "từ nền") != NULL, "detached: output goes to the log",
	      text);
	free(text);
	const char *slow[] = {self, "--sleep", "60000", NULL};
	rc = kyso_spawn_detached(slow, log, &pid, &err);
	check(rc == KYSO_OK && kyso_process_alive(pid, "kyso-core-wintest"),
	      "detached: the process is alive (by id and program name)", kyso_error_message(&err));
	check(!kyso_process_alive(pid, "kyso-agent"), "detached: another program name is not it",
	      NULL);
	kyso_process_stop(pid, "kyso-core-wintest");
	check(!kyso_process_alive(pid, "kyso-core-wintest"), "detached: stopped", NULL);
	const char *missing[] = {"C:\\no\\such\\program.exe", NULL};
	rc = kyso_spawn_detached(missing, log, &pid, &err);
	check(rc == KYSO_ERR_NOT_FOUND, "detached: a missing program is NOT_FOUND",
	      kyso_error_message(&err));

	const char *argv[] = {"C:\\Program Files\\kyso\\kyso-agent.exe", "--vnpt-ports", "", NULL};
	char *want = kyso_autostart_command(argv);
	rc = kyso_autostart_set("kyso-wintest2", argv, &err);
	char *cl = kyso_autostart_get("kyso-wintest2");
	check(want != NULL && cl != NULL && strcmp(want, cl) == 0,
	      "autostart: kyso_autostart_command is what kyso_autostart_get returns", cl);
	free(want);
	free(cl);
	kyso_autostart_remove("kyso-wintest2", &err);

	check(!kyso_reg_key_exists(KYSO_REG_USER, TEST_KEY), "registry: missing key does not exist",
	      NULL);
	rc = kyso_reg_set_string(KYSO_REG_USER, TEST_KEY "\\a", "v", "1", &err);
	check(kyso_reg_key_exists(KYSO_REG_USER, TEST_KEY "\\a"), "registry: key exists", NULL);
	rc = kyso_reg_delete_key_if_empty(KYSO_REG_USER, TEST_KEY "\\a", &err);
	check(rc == KYSO_OK && kyso_reg_key_exists(KYSO_REG_USER, TEST_KEY "\\a"),
	      "registry: a key with a value is not deleted", kyso_error_message(&err));
	rc = kyso_reg_delete_key_if_empty(KYSO_REG_USER, TEST_KEY, &err);
	check(rc == KYSO_OK && kyso_reg_key_exists(KYSO_REG_USER, TEST_KEY),
	      "registry: a key with a subkey is not deleted", kyso_error_message(&err));
	kyso_reg_delete_value(KYSO_REG_USER, TEST_KEY "\\a", "v", &err);
	rc = kyso_reg_delete_key_if_empty(KYSO_REG_USER, TEST_KEY "\\a", &err);
	check(rc == KYSO_OK && !kyso_reg_key_exists(KYSO_REG_USER, TEST_KEY "\\a"),
	      "registry: an empty key is deleted", kyso_error_message(&err));
	kyso_reg_delete_tree(KYSO_REG_USER, TEST_KEY, &err);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return helper(argc, argv);
	kyso_log_init();
	self = argv[0];
	char base[MAX_PATH];
	DWORD n = GetTempPathA(sizeof(base), base);
	snprintf(tmpdir, sizeof(tmpdir), "%.*skyso-wintest-%lu-%llu", (int)n, base,
	         (unsigned long)GetCurrentProcessId(), (unsigned long long)GetTickCount64());
	if (mkdir(tmpdir, 0700) != 0) {
		printf("FAIL - cannot make %s\n", tmpdir);
		return 1;
	}
	test_paths();
	test_files();
	test_spawn();
	test_registry();
	test_autostart();
	test_process();
	test_p11_lookup();
	test_i18n();
	test_trust();
	test_os_and_compat();
	printf("%d passed, %d failed\n", passes, fails);
	return fails == 0 ? 0 : 1;
}
