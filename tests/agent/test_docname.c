/* The consent dialog's lines (agent_docname.c): whatever the page sends as
 * the document name, the dialog gets one line of valid UTF-8, at most 60
 * characters, with the name's start and end around an ellipsis, so the role,
 * signer and token lines below it stay in view and in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "agent.h"

static size_t chars(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		c += ((unsigned char)*s & 0xC0) != 0x80;
	return c;
}

static void test_short_name_unchanged(void **state)
{
	(void)state;
	char b[AG_NAME_SHOW + 8];
	ag_name_shorten("Công văn số 12.pdf", b, sizeof(b));
	assert_string_equal(b, "Công văn số 12.pdf");
}

static void test_long_name_elided_in_the_middle(void **state)
{
	(void)state;
	char name[1200] = "Quyết định ";
	while (strlen(name) < 1000)
		strcat(name, "về việc phê duyệt kế hoạch ");
	strcat(name, "- bản cuối số 77.pdf");
	char b[AG_NAME_SHOW + 8];
	ag_name_shorten(name, b, sizeof(b));
	assert_true(chars(b) <= 60);
	assert_non_null(strstr(b, "…"));
	assert_memory_equal(b, "Quyết định về", strlen("Quyết định về"));
	const char *end = "bản cuối số 77.pdf";
	assert_string_equal(b + strlen(b) - strlen(end), end);
}

static void test_no_line_breaks_or_bidi(void **state)
{
	(void)state;
	char b[AG_NAME_SHOW + 8];
	/* newlines that would push the role/signer/token lines out, a tab, a
	 * U+2028 line separator, and a right-to-left override (U+202E) */
	ag_name_shorten(
	        "a.pdf\n\n\n\n\n\n\n\n\n\nSigner: someone else\r\tx\xE2\x80\xA8y\xE2\x80\xAE"
	        "fdp.exe",
	        b, sizeof(b));
	assert_null(strchr(b, '\n'));
	assert_null(strchr(b, '\r'));
	assert_null(strchr(b, '\t'));
	assert_null(strstr(b, "\xE2\x80\xA8"));
	assert_null(strstr(b, "\xE2\x80\xAE"));
	assert_string_equal(b, "a.pdf Signer: someone else x y fdp.exe");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	char b[AG_NAME_SHOW + 8];
	ag_name_shorten("b\xC3\x28\xFF\xED\xA0\x80.pdf", b, sizeof(b)); /* bad, 0xFF, surrogate */
	assert_non_null(strstr(b, "\xEF\xBF\xBD"));
	assert_null(strstr(b, "\xFF"));
	assert_null(strstr(b, "\xED\xA0\x80"));
	assert_string_equal(b + strlen(b) - 4, ".pdf");
	/* an elision never cuts a character in two */
	char name[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(name, "ữ");
	ag_name_shorten(name, b, sizeof(b));
	assert_int_equal(chars(b), 60);
	for (const char *p = b; *p; p += 3)
		assert_true(memcmp(p, "ữ", 3) == 0 || memcmp(p, "…", 3) == 0);
}

static void test_label_of_a_blank_name(void **state)
{
	(void)state;
	ag_request_t rq;
	memset(&rq, 0, sizeof(rq));
	rq.doc_name = (char *)" \n\t ";
	char b[AG_NAME_SHOW + 8];
	ag_doc_label(&rq, b, sizeof(b));
	assert_true(b[0] != '\0' && b[0] != ' ');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_short_name_unchanged),
	        cmocka_unit_test(test_long_name_elided_in_the_middle),
	        cmocka_unit_test(test_no_line_breaks_or_bidi),
	        cmocka_unit_test(test_invalid_utf8),
	        cmocka_unit_test(test_label_of_a_blank_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
