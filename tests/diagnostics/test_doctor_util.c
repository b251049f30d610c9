/*
 * Unit tests of kyso_diagnostics' helpers that decide what the doctor says:
 * origins compared as the agent and kyso setup compare them
 * (doctor_run.c), loopback URLs (net_http.c: a TSA or agent URL on this
 * machine is judged differently from one on the network), the report's
 * string walk used by redaction (doctor_run.c), status ids (report JSON).
 */
#include "doctor_int.h"
#include "net_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

static void origin_norm(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	        {"https://VanBan.Example.gov.vn", "https://vanban.example.gov.vn"},
	        {"https://vanban.example.gov.vn:443", "https://vanban.example.gov.vn"},
	        {"https://vanban.example.gov.vn/", "https://vanban.example.gov.vn"},
	        {"http://10.0.0.5:80", "http://10.0.0.5"},
	        {"http://10.0.0.5:8080", "http://10.0.0.5:8080"},
	        {"https://host:4430", "https://host:4430"},
	        {"http://host:443", "http://host:443"}, /* :443 is not http's port */
	};
	char out[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kyso_doctor_origin_norm(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	kyso_doctor_origin_norm("https://a-very-long-name.example.gov.vn", out, 12);
	assert_int_equal(strlen(out), 11); /* cut, never overrun */
}

static void loopback(void **state)
{
	(void)state;
	assert_true(kyso_doctor_net_url_is_loopback("http://127.0.0.1:3180/tsa"));
	assert_true(kyso_doctor_net_url_is_loopback("https://localhost:4433/plugin"));
	assert_true(kyso_doctor_net_url_is_loopback("https://[::1]:4453/v1/status"));
	assert_true(kyso_doctor_net_url_is_loopback("http://127.1.2.3/"));
	assert_false(kyso_doctor_net_url_is_loopback("http://tsa.ca.gov.vn"));
	assert_false(kyso_doctor_net_url_is_loopback("http://10.0.0.1/"));
	/* a name that merely starts like a loopback address is on the network */
	assert_false(kyso_doctor_net_url_is_loopback("http://127.attacker.example/"));
	assert_false(kyso_doctor_net_url_is_loopback("http://localhost.attacker.example/"));
	assert_false(kyso_doctor_net_url_is_loopback("not a url"));
}

static char *upper(const char *s)
{
	char *r = strdup(s);
	for (char *p = r; p != NULL && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return r;
}

static void walk_strings(void **state)
{
	(void)state;
	json_t *in = json_pack("{s:s, s:[s, i, {s:s}], s:b}", "name", "nguyen van a", "list", "x",
	                       7, "inner", "y", "flag", 1);
	json_t *out = kyso_doctor_walk_strings(in, upper);
	assert_string_equal(json_string_value(json_object_get(out, "NAME")), "NGUYEN VAN A");
	json_t *list = json_object_get(out, "LIST");
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_array_get(list, 0)), "X");
	assert_int_equal(json_integer_value(json_array_get(list, 1)), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "INNER")),
	                    "Y");
	assert_true(json_is_true(json_object_get(out, "FLAG")));
	/* the input is left as it was */
	assert_string_equal(json_string_value(json_object_get(in, "name")), "nguyen van a");
	json_decref(in);
	json_decref(out);
}

/* User names in paths: home folders on Linux and Windows (spaces in Windows
 * names), this account's HOME wherever it is, Firefox profile folders; the
 * rest of the path and the sentence around it stay. */
static void redact_paths(void **state)
{
	(void)state;
	kyso_redact_set_key("unit-test-key-0123456789");
	setenv("HOME", "/srv/people/nguyenvanan", 1);
	char an[KYSO_REDACT_HASH_SIZE], win[KYSO_REDACT_HASH_SIZE], prof[KYSO_REDACT_HASH_SIZE];
	kyso_redact_hash("nguyenvanan", an);
	kyso_redact_hash("Nguyen Van An", win);
	kyso_redact_hash("x1y2z3.default-release", prof);
	char want[512];
	char *s = kyso_doctor_redact_paths("module /home/nguyenvanan/.mozilla/firefox/"
	                                   "x1y2z3.default-release/pkcs11.txt: not found");
	snprintf(want, sizeof(want), "module /home/%s/.mozilla/firefox/%s/pkcs11.txt: not found",
	         an, prof);
	assert_string_equal(s, want);
	free(s);
	s = kyso_doctor_redact_paths(
	        "C:\\Users\\Nguyen Van An\\AppData\\Roaming\\Mozilla\\Firefox"
	        "\\Profiles\\x1y2z3.default-release\\cert9.db, C:\\Users\\Public");
	snprintf(want, sizeof(want),
	         "C:\\Users\\%s\\AppData\\Roaming\\Mozilla\\Firefox\\Profiles\\%s\\cert9.db, "
	         "C:\\Users\\Public",
	         win, prof);
	assert_string_equal(s, want);
	free(s);
	s = kyso_doctor_redact_paths("config /srv/people/nguyenvanan/.config/kyso/config.json and "
	                             "/srv/people/nguyenvanan2");
	snprintf(want, sizeof(want),
	         "config /srv/people/%s/.config/kyso/config.json and /srv/people/nguyenvanan2", an);
	assert_string_equal(s, want);
	free(s);
	char sp[KYSO_REDACT_HASH_SIZE];
	kyso_redact_hash("k3x9.Nguyen An", sp);
	s = kyso_doctor_redact_paths("nssdb /tmp/x/.mozilla/firefox/k3x9.Nguyen An/cert9.db ok");
	snprintf(want, sizeof(want), "nssdb /tmp/x/.mozilla/firefox/%s/cert9.db ok", sp);
	assert_string_equal(s, want);
	free(s);
	s = kyso_doctor_redact_paths("~/.mozilla/firefox/profiles.ini lists 2 profiles");
	assert_string_equal(s, "~/.mozilla/firefox/profiles.ini lists 2 profiles");
	free(s);
	kyso_redact_set_key(NULL);
}

static void status_ids(void **state)
{
	(void)state;
	assert_string_equal(kyso_doctor_status_id(ST_PASS), "pass");
	assert_string_equal(kyso_doctor_status_id(ST_WARN), "warn");
	assert_string_equal(kyso_doctor_status_id(ST_FAIL), "fail");
	assert_string_equal(kyso_doctor_status_id(ST_SKIP), "skip");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(origin_norm),  cmocka_unit_test(loopback),
	        cmocka_unit_test(walk_strings), cmocka_unit_test(status_ids),
	        cmocka_unit_test(redact_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
