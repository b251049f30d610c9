/* The one pinentry client (signer/dialog.c, kyso_dialog_run) against a
 * scripted pinentry: what each answer of a real pinentry means
 * (kyso_signer.h, "dialogs"): OK, Cancel, the extra choice, and the two
 * ways pinentries report a Cancel with the extra button's code
 * (NOT_CONFIRMED): a pinentry without SETNOTOK and the window's close
 * button. None of them may come back as the extra choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kyso_core.h"
#include "kyso_signer.h"

static char prog[256];

/* FAKE_MODE: ok | cancel | old | closed | notok | pin */
static const char script[] =
        "#!/bin/sh\n"
        "echo 'OK Pleased to meet you'\n"
        "while IFS= read -r line; do\n"
        "  case \"$line\" in\n"
        "  SETNOTOK*) if [ \"$FAKE_MODE\" = old ]; then\n"
        "      echo 'ERR 536871187 Unknown IPC command'; else echo OK; fi ;;\n"
        "  CONFIRM) case \"$FAKE_MODE\" in\n"
        "      ok) echo OK ;;\n"
        "      cancel) echo 'ERR 83886179 Operation cancelled' ;;\n"
        "      closed) echo 'S BUTTON_INFO close'; echo 'ERR 83886194 Not confirmed' ;;\n"
        "      *) echo 'ERR 83886194 Not confirmed' ;;\n"
        "      esac ;;\n"
        "  GETPIN) case \"$FAKE_MODE\" in\n"
        "      cancel) echo 'ERR 83886179 Operation cancelled' ;;\n"
        "      *) printf 'D 12%%2534\\nOK\\n' ;;\n"
        "      esac ;;\n"
        "  BYE) echo OK; exit 0 ;;\n"
        "  *) echo OK ;;\n"
        "  esac\n"
        "done\n";

static int setup(void **state)
{
	(void)state;
	snprintf(prog, sizeof(prog), "/tmp/kyso-unit-pinentry-%ld", (long)getpid());
	FILE *f = fopen(prog, "w");
	if (f == NULL)
		return -1;
	fputs(script, f);
	fclose(f);
	return chmod(prog, 0700);
}

static int teardown(void **state)
{
	(void)state;
	unlink(prog);
	return 0;
}

static kyso_err_t confirm(const char *mode, const char *extra, kyso_dialog_button_t *b)
{
	setenv("FAKE_MODE", mode, 1);
	kyso_dialog_t d = {.title = "t", .desc = "d", .ok = "Ký", .cancel = "Hủy", .extra = extra};
	kyso_error_t err;
	kyso_error_clear(&err);
	*b = (kyso_dialog_button_t)-1;
	return kyso_dialog_run(prog, &d, NULL, 0, b, &err);
}

static void test_ok(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("ok", "Ký, nhớ PIN", &b), KYSO_OK);
	assert_int_equal(b, KYSO_DIALOG_OK);
}

static void test_extra_choice(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("notok", "Ký, nhớ PIN", &b), KYSO_OK);
	assert_int_equal(b, KYSO_DIALOG_EXTRA);
}

static void test_cancel(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("cancel", "Ký, nhớ PIN", &b), KYSO_ERR_PIN_CANCELLED);
	assert_int_not_equal(b, KYSO_DIALOG_EXTRA);
}

static void test_old_pinentry_cancel_is_cancel(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("old", "Ký, nhớ PIN", &b), KYSO_ERR_PIN_CANCELLED);
	assert_int_not_equal(b, KYSO_DIALOG_EXTRA);
}

static void test_close_button_is_cancel(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("closed", "Ký, nhớ PIN", &b), KYSO_ERR_PIN_CANCELLED);
	assert_int_not_equal(b, KYSO_DIALOG_EXTRA);
}

static void test_not_confirmed_without_extra_is_cancel(void **state)
{
	(void)state;
	kyso_dialog_button_t b;
	assert_int_equal(confirm("notok", NULL, &b), KYSO_ERR_PIN_CANCELLED);
	assert_int_not_equal(b, KYSO_DIALOG_EXTRA);
}

static void test_getpin(void **state)
{
	(void)state;
	kyso_dialog_t d = {.getpin = true, .title = "t", .desc = "d", .prompt = "PIN:"};
	char pin[32];
	kyso_dialog_button_t b;
	kyso_error_t err;
	kyso_error_clear(&err);
	setenv("FAKE_MODE", "pin", 1);
	assert_int_equal(kyso_dialog_run(prog, &d, pin, sizeof(pin), &b, &err), KYSO_OK);
	assert_string_equal(pin, "12%34"); /* percent-decoded */
	setenv("FAKE_MODE", "cancel", 1);
	assert_int_equal(kyso_dialog_run(prog, &d, pin, sizeof(pin), &b, &err),
	                 KYSO_ERR_PIN_CANCELLED);
	assert_string_equal(pin, ""); /* wiped */
	char small[3];
	setenv("FAKE_MODE", "pin", 1);
	assert_int_equal(kyso_dialog_run(prog, &d, small, sizeof(small), &b, &err), KYSO_ERR_USAGE);
	assert_int_equal(small[0], 0);
}

static void test_missing_program(void **state)
{
	(void)state;
	kyso_dialog_t d = {.title = "t", .desc = "d"};
	kyso_dialog_button_t b;
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_dialog_run("/nonexistent/pinentry", &d, NULL, 0, &b, &err),
	                 KYSO_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ok),
	        cmocka_unit_test(test_extra_choice),
	        cmocka_unit_test(test_cancel),
	        cmocka_unit_test(test_old_pinentry_cancel_is_cancel),
	        cmocka_unit_test(test_close_button_is_cancel),
	        cmocka_unit_test(test_not_confirmed_without_extra_is_cancel),
	        cmocka_unit_test(test_getpin),
	        cmocka_unit_test(test_missing_program),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
