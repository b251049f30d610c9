/*
 * Unit tests of kyso_middleware's module loader and prober (p11_load.c,
 * p11_probe.c) on SoftHSM2, the distribution's PKCS#11 module, with a private
 * configuration: what `kyso doctor` and `kyso setup` rely on to tell a
 * missing, broken or foreign file from a working driver.
 */
#include "kyso_middleware.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

static char tmpdir[] = "/tmp/kyso-mw-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup_softhsm(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	char conf[256], tokens[256], text[512];
	snprintf(tokens, sizeof(tokens), "%s/tokens", tmpdir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tmpdir);
	snprintf(text, sizeof(text), "directories.tokendir = %s\nobjectstore.backend = file\n",
	         tokens);
	if (mkdir(tokens, 0700) != 0)
		return -1;
	write_file(conf, text);
	return setenv("SOFTHSM2_CONF", conf, 1);
}

static int teardown_softhsm(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void missing_file(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_p11_check_file("/nonexistent/libnothing.so", &err),
	                 KYSO_P11_LOAD_MISSING);
	assert_int_equal(err.code, KYSO_ERR_MODULE_LOAD);
	assert_string_equal(kyso_p11_load_status_id(KYSO_P11_LOAD_MISSING), "missing");
}

static void not_a_library(void **state)
{
	(void)state;
	char path[300];
	snprintf(path, sizeof(path), "%s/fake.so", tmpdir);
	write_file(path, "#!/bin/sh\necho this is not a PKCS#11 module\n");
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_p11_check_file(path, &err), KYSO_P11_LOAD_NOT_ELF);
	kyso_p11_probe_t *p = NULL;
	kyso_p11_load_status_t st = KYSO_P11_LOAD_OK;
	kyso_error_clear(&err);
	assert_int_not_equal(kyso_p11_probe_open(path, &p, &st, &err), KYSO_OK);
	assert_null(p);
	assert_int_equal(st, KYSO_P11_LOAD_NOT_ELF);
	assert_true(err.msg[0] != '\0');
}

/* a real shared library that is no PKCS#11 module */
static void foreign_library(void **state)
{
	(void)state;
	const char *libz = "/usr/lib/x86_64-linux-gnu/libz.so.1";
	if (access(libz, R_OK) != 0)
		libz = "/lib/x86_64-linux-gnu/libz.so.1";
	kyso_error_t err;
	kyso_error_clear(&err);
	assert_int_equal(kyso_p11_check_file(libz, &err), KYSO_P11_LOAD_OK);
	kyso_p11_probe_t *p = NULL;
	kyso_p11_load_status_t st = KYSO_P11_LOAD_OK;
	assert_int_not_equal(kyso_p11_probe_open(libz, &p, &st, &err), KYSO_OK);
	assert_int_equal(st, KYSO_P11_LOAD_NOT_PKCS11);
	assert_string_equal(kyso_p11_load_status_id(st), "not-pkcs11");
}

/* SoftHSM2 with no token yet: one free slot, its token not initialised */
static void softhsm_probe(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_p11_probe_t *p = NULL;
	kyso_p11_load_status_t st = KYSO_P11_LOAD_INIT_FAILED;
	assert_int_equal(kyso_p11_probe_open(SOFTHSM, &p, &st, &err), KYSO_OK);
	assert_int_equal(st, KYSO_P11_LOAD_OK);
	assert_string_equal(kyso_p11_probe_path(p), SOFTHSM);
	assert_non_null(strstr(kyso_p11_probe_manufacturer(p), "SoftHSM"));
	assert_string_equal(kyso_p11_probe_cryptoki_version(p), "2.40");
	assert_int_equal(kyso_p11_probe_slot_count(p), 1);
	const kyso_p11_slot_t *s = kyso_p11_probe_slot_at(p, 0);
	assert_non_null(s);
	assert_true(kyso_p11_slot_token_present(s));
	assert_true(kyso_p11_slot_token_flags(s) & KYSO_P11_TOKEN_NOT_INITIALISED);
	assert_int_equal(kyso_p11_slot_cert_count(s), 0);
	assert_null(kyso_p11_probe_slot_at(p, 1));
	assert_int_equal(kyso_p11_probe_finalize(p, &err), KYSO_OK);
	assert_int_equal(kyso_p11_probe_finalize(p, &err), KYSO_OK); /* idempotent */
	kyso_p11_probe_free(&p);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(missing_file),
	        cmocka_unit_test(not_a_library),
	        cmocka_unit_test(foreign_library),
	        cmocka_unit_test(softhsm_probe),
	};
	return cmocka_run_group_tests(tests, setup_softhsm, teardown_softhsm);
}
