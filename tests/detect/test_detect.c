/* Unit tests for kyso_detect: catalog loading/validation/merging, error
 * positions, ATR masks, globs, matching and confidence, smartcard_list
 * lookup, JSON result. No PC/SC or USB here (see the shell tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <winscard.h>

#include "detect_internal.h"

/* a real ePass2003 ATR (smartcard_list.txt "Feitian ePass2003 token (PKI)") */
static const char *const EPASS_ATR = "3B9F958131FE9F006646530520032571DF000003900096";
static const char *const VGCA_ATR = "3BDF18FF8191FE1FC30031B8640C01ECC173940180829000B3";

static kyso_catalog_t *real_catalog(void)
{
	kyso_error_t err;
	kyso_catalog_t *cat = kyso_catalog_new();
	assert_non_null(cat);
	if (kyso_catalog_add_file(cat, KYSO_TEST_CATALOG, &err) != KYSO_OK)
		fail_msg("%s", kyso_error_message(&err));
	return cat;
}

static size_t atr_bytes(const char *hex, uint8_t *out)
{
	size_t len = 0;
	assert_true(kyso_atr_parse(hex, out, &len));
	return len;
}

static void test_real_catalog(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	assert_true(kyso_catalog_count(cat) >= 10);
	const kyso_token_type_t *ep = kyso_catalog_find(cat, "feitian-epass2003");
	assert_non_null(ep);
	assert_string_equal(kyso_token_type_name(ep), "Feitian ePass2003");
	assert_true(kyso_token_type_match_usb(ep, 0x096E, 0x0807));
	assert_true(kyso_token_type_match_usb(ep, 0x096E, 0x080A));
	assert_false(kyso_token_type_match_usb(ep, 0x096E, 0x0808));
	const json_t *linux_drv = kyso_token_type_driver(ep, "linux");
	assert_non_null(linux_drv);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(linux_drv, "modules"), 0)),
	        "opensc-pkcs11.so");
	const kyso_token_type_t *vg = kyso_catalog_find(cat, "bit4id-tokenme-evo-v2");
	assert_non_null(vg);
	assert_true(kyso_token_type_match_usb(vg, 0x25DD, 0x2371));
	uint8_t atr[KYSO_ATR_MAX];
	size_t n = atr_bytes(VGCA_ATR, atr);
	assert_true(kyso_token_type_match_atr(vg, atr, n));
	assert_string_equal(
	        json_string_value(json_object_get(kyso_token_type_driver(vg, "linux"), "builtin")),
	        "kyso-pkcs11");
	/* every CA referenced by a token exists */
	for (size_t i = 0; i < kyso_catalog_count(cat); i++) {
		const json_t *issuers =
		        json_object_get(kyso_token_type_json(kyso_catalog_at(cat, i)), "issuers");
		size_t k;
		const json_t *iss;
		json_array_foreach(issuers, k, iss)
		{
			bool found = false;
			size_t j;
			const json_t *ca;
			json_array_foreach(kyso_catalog_cas(cat), j, ca) found =
			        found || json_equal(json_object_get(ca, "id"), iss);
			if (!found)
				fail_msg("issuer %s of %s is not in \"cas\"",
				         json_string_value(iss),
				         kyso_token_type_id(kyso_catalog_at(cat, i)));
		}
	}
	assert_string_equal(kyso_detect_os(), "linux");
	kyso_catalog_free(cat);
}

static void test_atr_mask(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	const kyso_token_type_t *ep = kyso_catalog_find(cat, "feitian-epass2003");
	uint8_t atr[KYSO_ATR_MAX];
	size_t n = atr_bytes(EPASS_ATR, atr);
	assert_true(kyso_token_type_match_atr(ep, atr, n));
	atr[13] ^= 0xFF; /* masked byte: still matches */
	assert_true(kyso_token_type_match_atr(ep, atr, n));
	atr[8] ^= 0x01; /* fixed byte: no match */
	assert_false(kyso_token_type_match_atr(ep, atr, n));
	atr[8] ^= 0x01;
	assert_false(kyso_token_type_match_atr(ep, atr, n - 1)); /* length matters */
	kyso_catalog_free(cat);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(kyso_glob_match("Feitian ePass2003*", "Feitian ePass2003 00 00"));
	assert_true(kyso_glob_match("*epass2003*", "FT ePass2003Auto [CCID] 01 00"));
	assert_true(kyso_glob_match("a?c", "ABC"));
	assert_false(kyso_glob_match("Feitian ePass2003*", "Virtual PCD 00 00"));
	assert_false(kyso_glob_match("a*b", "ac"));
	assert_true(kyso_glob_match("*", ""));
}

/* Adds text and expects a catalog error naming name:line and the field. */
static void expect_bad(const char *text, const char *want1, const char *want2)
{
	kyso_error_t err;
	kyso_error_clear(&err);
	kyso_catalog_t *cat = kyso_catalog_new();
	kyso_i18n_init("en");
	assert_int_equal(kyso_catalog_add_json(cat, "bad.json", text, strlen(text), &err),
	                 KYSO_ERR_BAD_CATALOG);
	assert_int_equal(err.code, KYSO_ERR_BAD_CATALOG);
	assert_int_equal(kyso_err_exit(err.code), 5);
	if (strstr(err.msg, want1) == NULL || (want2 != NULL && strstr(err.msg, want2) == NULL))
		fail_msg("message \"%s\" lacks \"%s\"/\"%s\"", err.msg, want1, want2 ? want2 : "");
	assert_int_equal(kyso_catalog_count(cat), 0);
	assert_int_equal(kyso_catalog_file_count(cat), 0);
	kyso_catalog_free(cat);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_bad("{\"schema\": 1,\n \"tokens\": [\n {\"id\": \"x\",,}]}", "bad.json:3:", "JSON");
	expect_bad("{\n\"schema\": 1,\n\"tokens\": [\n"
	           "  {\"id\": \"a\", \"name\": \"A\", \"usb\": [{\"vid\": \"096E\", \"pid\": "
	           "\"0807\"}]},\n"
	           "  {\"id\": \"b\", \"name\": \"B\",\n"
	           "   \"atr\": [\n"
	           "     {\"atr\": \"3B 01 02\",\n"
	           "      \"mask\": \"FF FF\"}\n"
	           "   ]}\n"
	           "]}\n",
	           "bad.json:8:", "tokens[1].atr[0].mask");
	expect_bad("{\"schema\": 1,\n\"tokens\": [\n{\"id\": \"a\", \"name\": \"A\",\n"
	           "\"usb\": [{\"vid\": \"96E\", \"pid\": \"0807\"}]}]}",
	           "bad.json:4:", "tokens[0].usb[0].vid");
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"a\", \"name\": \"A\", \"atrs\": []}]}",
	           "tokens[0].atrs", "unknown field");
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"a\", \"name\": \"A\"}]}", "tokens[0]",
	           "at least one");
	expect_bad("{\"schema\": 2, \"tokens\": []}", "field schema", NULL);
	expect_bad("{\"schema\": 1}", "field tokens", "missing");
	expect_bad("[1, 2]", "(top)", NULL);
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"Bad Id\", \"name\": \"A\", "
	           "\"readers\": [\"x\"]}]}",
	           "tokens[0].id", NULL);
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"a\", \"name\": \"A\", \"readers\": "
	           "[\"x\"]},\n"
	           "{\"id\": \"a\", \"name\": \"B\", \"readers\": [\"y\"]}]}",
	           "bad.json:2:", "duplicate");
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"a\", \"name\": \"A\", \"readers\": "
	           "[\"x\"],"
	           "\"driver\": {\"linux\": {\"bundle\": [{\"file\": \"f\", \"sha256\": "
	           "\"abc\"}]}}}]}",
	           "tokens[0].driver.linux.bundle[0].sha256", NULL);
	expect_bad("{\"schema\": 1, \"tokens\": [{\"id\": \"a\", \"name\": \"A\", \"atr\": "
	           "[{\"atr\": \"00 11\"}]}]}",
	           "tokens[0].atr[0].atr", "3B");
	/* a missing file */
	kyso_error_t err;
	kyso_catalog_t *cat = kyso_catalog_new();
	assert_int_equal(kyso_catalog_add_file(cat, "/nonexistent/tokens.json", &err),
	                 KYSO_ERR_BAD_CATALOG);
	assert_non_null(strstr(err.msg, "/nonexistent/tokens.json"));
	kyso_catalog_free(cat);
}

static void test_locate(void **state)
{
	(void)state;
	const char *t = "{\n \"a\": [1,\n {\"b\": \"x\\\"]\"},\n {\"b\":\n 2}],\n \"c\": {}\n}";
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "a"), 2);
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "a[1].b"), 3);
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "a[2].b"), 4);
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "c"), 6);
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "zz"), 1);
	assert_int_equal(kyso_json_locate_line(t, strlen(t), "a[9]"), 2);
}

static const char *const BASE =
        "{\"schema\": 1, \"cas\": [{\"id\": \"ca1\", \"name\": \"CA one\"}],"
        " \"tokens\": [{\"id\": \"t1\", \"name\": \"T one\", \"usb\": [{\"vid\": \"1111\", "
        "\"pid\": \"0001\"}]},"
        " {\"id\": \"t2\", \"name\": \"T two\", \"readers\": [\"Two*\"]}]}";
static const char *const OVERRIDE =
        "{\"schema\": 1, \"cas\": [{\"id\": \"ca1\", \"name\": \"CA renamed\"}],"
        " \"tokens\": [{\"id\": \"t2\", \"name\": \"T two v2\", \"readers\": [\"Zwei*\"]},"
        " {\"id\": \"t3\", \"name\": \"T three\", \"atr\": [{\"atr\": \"3B0102\"}]}]}";

static void test_merge(void **state)
{
	(void)state;
	kyso_error_t err;
	kyso_catalog_t *cat = kyso_catalog_new();
	assert_int_equal(kyso_catalog_add_json(cat, "base", BASE, strlen(BASE), &err), KYSO_OK);
	assert_int_equal(kyso_catalog_add_json(cat, "over", OVERRIDE, strlen(OVERRIDE), &err),
	                 KYSO_OK);
	assert_int_equal(kyso_catalog_count(cat), 3);
	assert_string_equal(kyso_token_type_name(kyso_catalog_find(cat, "t2")), "T two v2");
	assert_true(kyso_token_type_match_reader(kyso_catalog_find(cat, "t2"), "zwei 00 00"));
	assert_false(kyso_token_type_match_reader(kyso_catalog_find(cat, "t2"), "Two 00 00"));
	assert_non_null(kyso_catalog_find(cat, "t3"));
	assert_int_equal(json_array_size(kyso_catalog_cas(cat)), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(kyso_catalog_cas(cat), 0), "name")),
	                    "CA renamed");
	assert_int_equal(kyso_catalog_file_count(cat), 2);
	assert_string_equal(kyso_catalog_file_at(cat, 1), "over");
	kyso_catalog_free(cat);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_load_overrides(void **state)
{
	(void)state;
	char dir[] = "/tmp/kyso-detect-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[1024], sys[256], user[256], base[256];
	snprintf(sys, sizeof(sys), "%s/etc", dir);
	snprintf(user, sizeof(user), "%s/cfg", dir);
	snprintf(base, sizeof(base), "%s/base.json", dir);
	assert_int_equal(mkdir(sys, 0700), 0);
	snprintf(p, sizeof(p), "%s/tokens.d", sys);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(mkdir(user, 0700), 0);
	snprintf(p, sizeof(p), "%s/kyso", user);
	assert_int_equal(mkdir(p, 0700), 0);
	write_file(base, BASE);
	snprintf(p, sizeof(p), "%s/tokens.d/20-b.json", sys);
	write_file(p, "{\"schema\": 1, \"tokens\": [{\"id\": \"t1\", \"name\": \"from 20-b\", "
	              "\"readers\": [\"x\"]}]}");
	snprintf(p, sizeof(p), "%s/tokens.d/10-a.json", sys);
	write_file(p, "{\"schema\": 1, \"tokens\": [{\"id\": \"t1\", \"name\": \"from 10-a\", "
	              "\"readers\": [\"x\"]},"
	              "{\"id\": \"t4\", \"name\": \"sys t4\", \"readers\": [\"x\"]}]}");
	snprintf(p, sizeof(p), "%s/kyso/tokens.json", user);
	write_file(p, "{\"schema\": 1, \"tokens\": [{\"id\": \"t4\", \"name\": \"user t4\", "
	              "\"readers\": [\"x\"]}]}");
	assert_int_equal(setenv("KYSO_SYSCONFDIR", sys, 1), 0);
	assert_int_equal(setenv("XDG_CONFIG_HOME", user, 1), 0);
	kyso_error_t err;
	kyso_catalog_t *cat = kyso_catalog_load(base, &err);
	if (cat == NULL)
		fail_msg("%s", kyso_error_message(&err));
	assert_int_equal(kyso_catalog_file_count(cat), 4);
	assert_string_equal(kyso_token_type_name(kyso_catalog_find(cat, "t1")), "from 20-b");
	assert_string_equal(kyso_token_type_name(kyso_catalog_find(cat, "t4")), "user t4");
	kyso_catalog_free(cat);
	/* a broken user override is an error naming that file */
	write_file(p, "{\"schema\": 1, \"tokens\": [{\"id\": \"t4\"}]}");
	assert_null(kyso_catalog_load(base, &err));
	assert_int_equal(err.code, KYSO_ERR_BAD_CATALOG);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "tokens[0].name"));
	unsetenv("KYSO_SYSCONFDIR");
	unsetenv("XDG_CONFIG_HOME");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void add_reader_hex(kyso_detect_result_t *r, const char *name, const char *hex)
{
	uint8_t atr[KYSO_ATR_MAX];
	size_t n = hex != NULL ? atr_bytes(hex, atr) : 0;
	assert_int_equal(kyso_detect_result_add_reader(
	                         r, name, hex != NULL ? KYSO_READER_PRESENT : KYSO_READER_EMPTY,
	                         atr, n, false, false),
	                 KYSO_OK);
}

static kyso_detect_result_t *matched(kyso_detect_result_t *r, const kyso_catalog_t *cat)
{
	kyso_detect_result_set_pcsc(r, KYSO_PCSC_OK, NULL);
	assert_int_equal(kyso_detect_result_match(r, cat, ""), KYSO_OK);
	return r;
}

static bool has_evidence(const kyso_token_t *t, kyso_evidence_kind_t k)
{
	for (size_t i = 0; i < kyso_token_evidence_count(t); i++)
		if (kyso_token_evidence_kind(t, i) == k)
			return true;
	return false;
}

static void test_match_combined(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	kyso_error_t err;
	/* ATR + USB (+ reader name) of one ePass2003: one token, high */
	kyso_detect_result_t *r = kyso_detect_result_new();
	add_reader_hex(r, "Feitian ePass2003 00 00", EPASS_ATR);
	assert_int_equal(kyso_detect_result_add_usb(r, 0x096E, 0x0807, 1, 2, true,
	                                            "Feitian Technologies, Inc.", "ePass2003"),
	                 KYSO_OK);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 1);
	const kyso_token_t *t = kyso_detect_token_at(r, 0);
	assert_string_equal(kyso_token_type_id(kyso_token_type(t)), "feitian-epass2003");
	assert_int_equal(kyso_token_confidence(t), KYSO_CONFIDENCE_HIGH);
	assert_true(has_evidence(t, KYSO_EVIDENCE_ATR));
	assert_true(has_evidence(t, KYSO_EVIDENCE_USB));
	assert_true(has_evidence(t, KYSO_EVIDENCE_READER_NAME));
	assert_non_null(kyso_token_reader(t));
	assert_non_null(kyso_token_usb(t));
	assert_int_equal(kyso_detect_result_status(r, &err), KYSO_OK);
	kyso_detect_result_free(r);

	/* a virtual reader (name says nothing) + USB: joined through the catalog */
	r = kyso_detect_result_new();
	add_reader_hex(r, "Virtual PCD 00 00", VGCA_ATR);
	assert_int_equal(kyso_detect_result_add_usb(r, 0x25DD, 0x2371, 1, 3, true, NULL, NULL),
	                 KYSO_OK);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 1);
	t = kyso_detect_token_at(r, 0);
	assert_string_equal(kyso_token_type_id(kyso_token_type(t)), "bit4id-tokenme-evo-v2");
	assert_int_equal(kyso_token_confidence(t), KYSO_CONFIDENCE_HIGH);
	assert_ptr_equal(kyso_detect_token_select(r, "25dd:2371", &err), t);
	/* a second known token: selection without a choice asks for one */
	add_reader_hex(r, "Virtual PCD 00 01", EPASS_ATR);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 2);
	assert_null(kyso_detect_token_select(r, NULL, &err));
	assert_int_equal(err.code, KYSO_ERR_USAGE);
	assert_non_null(strstr(err.msg, "bit4id-tokenme-evo-v2 (Virtual PCD 00 00)"));
	assert_non_null(strstr(err.msg, "feitian-epass2003 (Virtual PCD 00 01)"));
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
}

static void test_match_single_sources(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	/* ATR only */
	kyso_detect_result_t *r = kyso_detect_result_new();
	add_reader_hex(r, "Virtual PCD 00 00", EPASS_ATR);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 1);
	assert_int_equal(kyso_token_confidence(kyso_detect_token_at(r, 0)), KYSO_CONFIDENCE_MEDIUM);
	assert_null(kyso_token_usb(kyso_detect_token_at(r, 0)));
	kyso_detect_result_free(r);
	/* USB only (e.g. no pcscd) */
	r = kyso_detect_result_new();
	assert_int_equal(kyso_detect_result_add_usb(r, 0x08E6, 0x34CC, 1, 4, true, NULL, NULL),
	                 KYSO_OK);
	kyso_detect_result_set_pcsc(r, KYSO_PCSC_NO_SERVICE, "pcscd is not running");
	assert_int_equal(kyso_detect_result_match(r, cat, ""), KYSO_OK);
	assert_int_equal(kyso_detect_token_count(r), 1);
	const kyso_token_t *t = kyso_detect_token_at(r, 0);
	assert_string_equal(kyso_token_type_id(kyso_token_type(t)), "safenet-etoken-5300");
	assert_int_equal(kyso_token_confidence(t), KYSO_CONFIDENCE_MEDIUM);
	kyso_error_t err;
	assert_int_equal(kyso_detect_result_status(r, &err), KYSO_ERR_NO_PCSC_SERVICE);
	kyso_detect_result_free(r);
	/* reader name only: an empty token reader */
	r = kyso_detect_result_new();
	add_reader_hex(r, "SafeNet eToken 5100 [Main] 00 00", NULL);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 1);
	assert_int_equal(kyso_token_confidence(kyso_detect_token_at(r, 0)), KYSO_CONFIDENCE_LOW);
	kyso_detect_result_free(r);
	/* an empty desktop reader and its unknown CCID USB device: no token */
	r = kyso_detect_result_new();
	add_reader_hex(r, "ACS ACR39U ICC Reader 00 00", NULL);
	assert_int_equal(kyso_detect_result_add_usb(r, 0x072F, 0xB100, 1, 5, true, "ACS",
	                                            "ACR39U ICC Reader"),
	                 KYSO_OK);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 0);
	assert_int_equal(kyso_detect_result_status(r, &err), KYSO_ERR_NO_TOKEN);
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
}

static void test_match_two_and_unknown(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	char dir[] = "/tmp/kyso-sclist.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sclist[300];
	snprintf(sclist, sizeof(sclist), "%s/smartcard_list.txt", dir);
	write_file(sclist, "# comment\n3B 02 14 50\n\tSomething else\n\n"
	                   "3B 8[0-3] 80 01 .. A[AB]\n\tTest card "
	                   "family\n\thttp://example.org\n\tsecond line\n\n");
	kyso_detect_result_t *r = kyso_detect_result_new();
	add_reader_hex(r, "Virtual PCD 00 00", EPASS_ATR);
	add_reader_hex(r, "Virtual PCD 00 01", "3B828001 42AB");
	add_reader_hex(r, "Other 00 00", NULL);
	kyso_detect_result_set_pcsc(r, KYSO_PCSC_OK, NULL);
	assert_int_equal(kyso_detect_result_match(r, cat, sclist), KYSO_OK);
	assert_int_equal(kyso_detect_token_count(r), 2);
	assert_int_equal(kyso_detect_known_count(r), 1);
	const kyso_token_t *u = kyso_detect_token_at(r, 1);
	assert_null(kyso_token_type(u));
	assert_int_equal(kyso_token_confidence(u), KYSO_CONFIDENCE_NONE);
	assert_string_equal(kyso_token_smartcard_list(u), "Test card family; second line");
	assert_non_null(strstr(kyso_token_catalog_hint(u), "\"atr\":\"3B82800142AB\""));
	kyso_error_t err;
	assert_int_equal(kyso_detect_result_status(r, &err), KYSO_OK);
	/* selection: the only known one, by id, by reader, by nothing that fits */
	assert_ptr_equal(kyso_detect_token_select(r, NULL, &err), kyso_detect_token_at(r, 0));
	assert_ptr_equal(kyso_detect_token_select(r, "Virtual PCD 00 01", &err), u);
	assert_ptr_equal(kyso_detect_token_select(r, "feitian-epass2003", &err),
	                 kyso_detect_token_at(r, 0));
	assert_null(kyso_detect_token_select(r, "acs-cryptomate", &err));
	assert_int_equal(err.code, KYSO_ERR_NO_TOKEN);
	/* JSON: schema fields */
	json_t *doc = kyso_detect_result_to_json(r);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "schema")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "ok");
	json_t *toks = json_object_get(doc, "tokens");
	assert_int_equal(json_array_size(toks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(toks, 0), "id")),
	                    "feitian-epass2003");
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(toks, 0), "confidence")),
	        "medium");
	assert_true(json_is_null(json_object_get(json_array_get(toks, 1), "id")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "pcsc"), "readers")),
	                 3);
	json_decref(doc);
	kyso_detect_result_free(r);
	/* only the unknown one: status "unknown token" (exit 1) */
	r = kyso_detect_result_new();
	add_reader_hex(r, "Virtual PCD 00 01", "3B828001 42AB");
	kyso_detect_result_set_pcsc(r, KYSO_PCSC_OK, NULL);
	assert_int_equal(kyso_detect_result_match(r, cat, ""), KYSO_OK);
	assert_null(kyso_token_smartcard_list(kyso_detect_token_at(r, 0)));
	assert_int_equal(kyso_detect_result_status(r, &err), KYSO_ERR_PROBLEM);
	assert_int_equal(kyso_err_exit(err.code), 1);
	kyso_detect_result_free(r);
	unlink(sclist);
	rmdir(dir);
	kyso_catalog_free(cat);
}

static void test_every_entry_matches_itself(void **state)
{
	(void)state;
	kyso_catalog_t *cat = real_catalog();
	for (size_t i = 0; i < kyso_catalog_count(cat); i++) {
		const kyso_token_type_t *type = kyso_catalog_at(cat, i);
		for (size_t a = 0; a < type->n_atrs; a++) {
			kyso_detect_result_t *r = kyso_detect_result_new();
			assert_int_equal(kyso_detect_result_add_reader(
			                         r, "Virtual PCD 00 00", KYSO_READER_PRESENT,
			                         type->atrs[a].atr, type->atrs[a].len, false,
			                         false),
			                 KYSO_OK);
			matched(r, cat);
			assert_int_equal(kyso_detect_token_count(r), 1);
			const kyso_token_t *t = kyso_detect_token_at(r, 0);
			/* ePass3003 Auto's ATR also fits the ePass2003 mask: either, tied */
			bool ok = kyso_token_type(t) == type;
			for (size_t k = 0; !ok && k < kyso_token_alternative_count(t); k++)
				ok = kyso_token_alternative_at(t, k) == type;
			if (!ok)
				fail_msg("ATR %zu of %s not detected as it", a, type->id);
			kyso_detect_result_free(r);
		}
	}
	kyso_catalog_free(cat);
}

static void test_reader_states(void **state)
{
	(void)state;
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_EMPTY, 0), KYSO_READER_EMPTY);
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_PRESENT, 12), KYSO_READER_PRESENT);
	assert_int_equal(
	        kyso_pcsc_classify(SCARD_STATE_PRESENT | SCARD_STATE_INUSE | SCARD_STATE_EXCLUSIVE,
	                           12),
	        KYSO_READER_PRESENT);
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_PRESENT | SCARD_STATE_MUTE, 0),
	                 KYSO_READER_MUTE);
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_PRESENT, 0), KYSO_READER_MUTE);
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_UNAVAILABLE, 0), KYSO_READER_UNAVAILABLE);
	assert_int_equal(kyso_pcsc_classify(SCARD_STATE_UNKNOWN, 0), KYSO_READER_GONE);
	/* a mute card is listed as an unknown token without ATR; no crash in text/JSON */
	kyso_catalog_t *cat = real_catalog();
	kyso_detect_result_t *r = kyso_detect_result_new();
	assert_int_equal(kyso_detect_result_add_reader(r, "Virtual PCD 00 00", KYSO_READER_MUTE,
	                                               NULL, 0, false, false),
	                 KYSO_OK);
	matched(r, cat);
	assert_int_equal(kyso_detect_token_count(r), 1);
	assert_null(kyso_token_type(kyso_detect_token_at(r, 0)));
	json_t *doc = kyso_detect_result_to_json(r);
	assert_non_null(doc);
	json_t *tok = json_array_get(json_object_get(doc, "tokens"), 0);
	assert_string_equal(json_string_value(json_object_get(tok, "reader_state")), "mute");
	assert_true(json_is_null(json_object_get(tok, "atr")));
	json_decref(doc);
	kyso_detect_result_free(r);
	kyso_catalog_free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_real_catalog),
	        cmocka_unit_test(test_atr_mask),
	        cmocka_unit_test(test_glob),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_locate),
	        cmocka_unit_test(test_merge),
	        cmocka_unit_test(test_load_overrides),
	        cmocka_unit_test(test_match_combined),
	        cmocka_unit_test(test_match_single_sources),
	        cmocka_unit_test(test_match_two_and_unknown),
	        cmocka_unit_test(test_every_entry_matches_itself),
	        cmocka_unit_test(test_reader_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
