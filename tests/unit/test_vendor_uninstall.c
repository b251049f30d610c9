/* Unit tests for installer/vendor_uninstall.c: the command lines vendors
 * register as UninstallString, split into the words kyso runs, and msiexec
 * forms made silent. (The registry part runs under wine: windows.wine_setup.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "setup_int.h"

/* Asserts that cl splits into exactly the n words given. */
static void want_words(const char *cl, size_t n, ...)
{
	json_t *w = kyso_setup_uninstall_command_words(cl);
	assert_non_null(w);
	assert_int_equal(json_array_size(w), n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(w, i)),
		                    va_arg(ap, const char *));
	va_end(ap);
	json_decref(w);
}

static void test_quoted_program(void **state)
{
	(void)state;
	want_words("\"C:\\Program Files\\Vendor\\uninst.exe\" /S", 2,
	           "C:\\Program Files\\Vendor\\uninst.exe", "/S");
	want_words("\"C:\\Program Files\\Vendor\\uninst.exe\"", 1,
	           "C:\\Program Files\\Vendor\\uninst.exe");
	/* quoted argument with a blank, extra blanks and tabs */
	want_words("\"C:\\V\\un.exe\"   /log \"C:\\My Logs\\u.txt\"\t/quiet", 4, "C:\\V\\un.exe",
	           "/log", "C:\\My Logs\\u.txt", "/quiet");
}

static void test_unquoted_program_with_blanks(void **state)
{
	(void)state;
	/* a common registry mistake: the path is not quoted */
	want_words("C:\\Program Files (x86)\\VNPT-CA\\Uninstall.exe /S", 2,
	           "C:\\Program Files (x86)\\VNPT-CA\\Uninstall.exe", "/S");
	want_words("C:\\Program Files\\Bit4id\\unins000.EXE", 1,
	           "C:\\Program Files\\Bit4id\\unins000.EXE");
	/* no ".exe" anywhere: words stay as they are */
	want_words("C:\\Vendor\\remove /all", 2, "C:\\Vendor\\remove", "/all");
	want_words("MsiExec.exe /X{1234-ABCD} /qn", 3, "MsiExec.exe", "/X{1234-ABCD}", "/qn");
}

static void test_empty(void **state)
{
	(void)state;
	want_words("", 0);
	want_words("   ", 0);
	want_words("\"\"", 1, "");
}

static void test_msiexec_silent(void **state)
{
	(void)state;
	char *s = kyso_setup_uninstall_msiexec_silent(
	        "MsiExec.exe /I{5F2E8B1A-0000-4C8E-9D3B-ABCDEF012345}");
	assert_string_equal(s, "MsiExec.exe /X{5F2E8B1A-0000-4C8E-9D3B-ABCDEF012345} /qn");
	free(s);
	/* already removing, already quiet: unchanged */
	s = kyso_setup_uninstall_msiexec_silent("msiexec.exe /x{AB} /quiet");
	assert_string_equal(s, "msiexec.exe /x{AB} /quiet");
	free(s);
	/* a package path and an option that merely start with /i */
	s = kyso_setup_uninstall_msiexec_silent("msiexec /i \"C:\\V\\drv.msi\" /iNotAnOption");
	assert_string_equal(s, "msiexec /X \"C:\\V\\drv.msi\" /iNotAnOption /qn");
	free(s);
	s = kyso_setup_uninstall_msiexec_silent("MsiExec.exe /X{AB} /QN");
	assert_string_equal(s, "MsiExec.exe /X{AB} /QN");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_quoted_program),
	        cmocka_unit_test(test_unquoted_program_with_blanks),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_msiexec_silent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
