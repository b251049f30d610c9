/* The ordered checks of `kyso doctor` and the report they make. */
#include "doctor_int.h"
#include "kyso_platform.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	const char *id;
	const char *title; /* N_() */
	check_status_t (*fn)(doctor_t *d, check_t *c);
	bool sign_only;
} check_def_t;

static const check_def_t checks[] = {
        {"system", N_("Operating system and kyso version"), kyso_doctor_check_system, false},
        {"pcsc-service", N_("PC/SC service"), kyso_doctor_check_pcsc_service, false},
        {"readers", N_("Card readers"), kyso_doctor_check_readers, false},
        {"token-present", N_("Token present (ATR)"), kyso_doctor_check_token_present, false},
        {"usb-device", N_("USB device"), kyso_doctor_check_usb_device, false},
        {"catalog-match", N_("Token type (catalog)"), kyso_doctor_check_catalog_match, false},
        {"driver-module", N_("Driver (PKCS#11 module) installed and loadable"),
         kyso_doctor_check_module_loadable, false},
        {"module-registered", N_("Module registered (p11-kit, NSS, browsers)"),
         kyso_doctor_check_module_registered, false},
        {"token-state", N_("Token state (PIN, initialisation)"), kyso_doctor_check_token_state,
         false},
        {"cert-present", N_("Signing certificate present"), kyso_doctor_check_cert_present, false},
        {"cert-key-pair", N_("Certificate and private key belong together"),
         kyso_doctor_check_cert_key_pair, false},
        {"cert-validity", N_("Certificate validity period"), kyso_doctor_check_cert_validity,
         false},
        {"cert-chain", N_("Certificate chain to a trusted Vietnamese root"),
         kyso_doctor_check_cert_chain, false},
        {"cert-revocation", N_("Certificate revocation"), kyso_doctor_check_cert_revocation, false},
        {"clock-skew", N_("Computer clock"), kyso_doctor_check_clock_skew, false},
        {"tsa", N_("Time-stamp server (TSA) reachable"), kyso_doctor_check_tsa, false},
        {"agent", N_("Signing agent running and answering"), kyso_doctor_check_agent, false},
        {"browsers", N_("Browsers trust the agent and allow the web system"),
         kyso_doctor_check_browser, false},
        {"test-signature", N_("Test signature"), kyso_doctor_check_test_signature, true},
};

void kyso_doctor_opts_init(kyso_doctor_opts_t *o)
{
	memset(o, 0, sizeof(*o));
}

void kyso_doctor_origin_norm(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *s = in; *s && n + 1 < cap; s++)
		out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
	if (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	const char *def = NULL;
	if (n >= 8 && memcmp(out, "https://", 8) == 0)
		def = ":443";
	else if (n >= 7 && memcmp(out, "http://", 7) == 0)
		def = ":80";
	size_t dl = def != NULL ? strlen(def) : 0;
	if (def != NULL && n > dl && strcmp(out + n - dl, def) == 0)
		out[n - dl] = '\0';
}

const char *kyso_doctor_status_id(check_status_t st)
{
	static const char *const ids[] = {"pass", "warn", "fail", "skip"};
	return ids[st];
}

check_status_t kyso_doctor_ck_set(check_t *c, check_status_t st, const char *remedy,
                                  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (remedy != NULL)
		snprintf(c->remedy, sizeof(c->remedy), "%s", remedy);
	c->status = st;
	return st;
}

void kyso_doctor_ck_remedy(check_t *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->remedy, sizeof(c->remedy), fmt, ap);
	va_end(ap);
}

check_status_t kyso_doctor_ck_set_remedy(check_t *c, check_status_t st, const char *detail,
                                         const char *remedy_fmt, ...)
{
	va_list ap;
	va_start(ap, remedy_fmt);
	vsnprintf(c->remedy, sizeof(c->remedy), remedy_fmt, ap);
	va_end(ap);
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
	c->status = st;
	return st;
}

check_status_t kyso_doctor_ck_skip(check_t *c, const char *reason)
{
	return kyso_doctor_ck_set(c, ST_SKIP, NULL, "%s", reason);
}

void kyso_doctor_ck_data(check_t *c, const char *key, json_t *value)
{
	if (value == NULL)
		return;
	if (c->data == NULL)
		c->data = json_object();
	if (c->data == NULL || json_object_set_new(c->data, key, value) != 0)
		kyso_warn("doctor: cannot record %s", key);
}

/* The CAs that issue this token type, for "contact your CA" remedies. */
const char *kyso_doctor_token_cas(const doctor_t *d)
{
	static char buf[256];
	const json_t *cas =
	        d->type != NULL ? json_object_get(kyso_token_type_json(d->type), "cas") : NULL;
	buf[0] = '\0';
	size_t i;
	const json_t *v;
	/* catalog "issuers": ids of its "cas" list */
	static const char *const names[][2] = {
	        {"vgca", N_("the government CA (Ban Cơ yếu Chính phủ)")},
	        {"vnpt-ca", "VNPT-CA"},
	        {"viettel-ca", "Viettel-CA"},
	        {"fpt-ca", "FPT-CA"},
	        {"bkav-ca", "BKAV-CA"},
	};
	const json_t *issuers =
	        d->type != NULL ? json_object_get(kyso_token_type_json(d->type), "issuers") : NULL;
	json_array_foreach(issuers, i, v)
	{
		const char *id = json_string_value(v), *s = id;
		for (size_t k = 0; id != NULL && k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(id, names[k][0]) == 0)
				s = _(names[k][1]);
		size_t n = strlen(buf);
		if (s != NULL)
			snprintf(buf + n, sizeof(buf) - n, "%s%s", n > 0 ? ", " : "", s);
	}
	json_array_foreach(cas, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v)
		                                  : json_string_value(json_object_get(v, "name"));
		if (s == NULL)
			continue;
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s%s", n > 0 ? ", " : "", s);
	}
	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "VNPT-CA, Viettel-CA, BKAV-CA, FPT-CA, %s",
		         _("the government CA (Ban Cơ yếu Chính phủ)"));
	return buf;
}

static void make_id(char out[33])
{
	uint8_t raw[16];
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		/* fall back to time and address entropy: ids only need to be unique */
		uint64_t t = kyso_now_ms() ^ (uint64_t)time(NULL) << 20;
		memcpy(raw, &t, sizeof(t));
		uintptr_t a = (uintptr_t)out;
		memcpy(raw + 8, &a, sizeof(a) < 8 ? sizeof(a) : 8);
	}
	kyso_hex_encode(raw, sizeof(raw), out);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
}

static void iso_now(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "1970-01-01T00:00:00Z");
}

static json_t *check_json(const check_def_t *def, const check_t *c, uint64_t ms)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", def->id, "title",
	                      _(def->title), "status", kyso_doctor_status_id(c->status), "detail",
	                      c->detail, "remedy", c->remedy, "duration_ms", (json_int_t)ms);
	if (o != NULL && c->data != NULL)
		json_object_set(o, "data", c->data);
	return o;
}

static void doctor_free(doctor_t *d)
{
	kyso_p11_probe_free(&d->probe);
	kyso_detect_result_free(d->det);
	kyso_catalog_free(d->cat);
	free(d->module);
	kyso_config_free(&d->config);
	json_decref(d->origins);
	json_decref(d->facts);
}

static json_t *summary_json(const json_t *list)
{
	int n[4] = {0, 0, 0, 0};
	size_t i;
	const json_t *c;
	json_array_foreach(list, i, c)
	{
		const char *s = json_string_value(json_object_get(c, "status"));
		for (int k = 0; k < 4; k++)
			if (s != NULL && strcmp(s, kyso_doctor_status_id((check_status_t)k)) == 0)
				n[k]++;
	}
	const char *result = n[ST_FAIL] > 0 ? "fail" : n[ST_WARN] > 0 ? "warn" : "pass";
	json_t *failing = json_array();
	json_array_foreach(list, i, c)
	{
		const char *s = json_string_value(json_object_get(c, "status"));
		if (s != NULL && (strcmp(s, "fail") == 0 || strcmp(s, "warn") == 0))
			json_array_append(failing, json_object_get(c, "id"));
	}
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}", "result", result, "pass", n[ST_PASS],
	                 "warn", n[ST_WARN], "fail", n[ST_FAIL], "skip", n[ST_SKIP], "problems",
	                 failing != NULL ? failing : json_array());
}

json_t *kyso_doctor_run(const kyso_doctor_opts_t *o, kyso_error_t *err)
{
	doctor_t d;
	memset(&d, 0, sizeof(d));
	d.o = o;
	d.config = kyso_config_load();
	d.origins = json_array();
	for (size_t i = 0; d.config != NULL && i < kyso_config_list_len(d.config->origins); i++)
		json_array_append_new(d.origins, json_string(d.config->origins[i]));
	d.facts = json_object();
	json_t *list = json_array();
	if (list == NULL || d.facts == NULL) {
		json_decref(list);
		doctor_free(&d);
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
		return NULL;
	}
	uint64_t t0 = kyso_now_ms();
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const check_def_t *def = &checks[i];
		check_t c;
		memset(&c, 0, sizeof(c));
		c.id = def->id;
		uint64_t start = kyso_now_ms();
		if (def->sign_only && !o->sign)
			kyso_doctor_ck_skip(
			        &c, _("Not asked for (run with --sign to make a test signature)."));
		else
			def->fn(&d, &c);
		uint64_t ms = kyso_now_ms() - start;
		kyso_debug("doctor: %s %s (%llu ms)", def->id, kyso_doctor_status_id(c.status),
		           (unsigned long long)ms);
		json_t *cj = check_json(def, &c, ms);
		json_decref(c.data);
		if (cj == NULL || json_array_append_new(list, cj) != 0) {
			json_decref(list);
			doctor_free(&d);
			kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
			return NULL;
		}
	}
	char id[33], now[32];
	make_id(id);
	iso_now(now, sizeof(now));
	kyso_os_info_t os;
	kyso_os_info(&os);
	json_t *rep = json_pack(
	        "{s:i, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:b, s:b}, s:O, s:o, s:o, "
	        "s:I}",
	        "schema", KYSO_DOCTOR_SCHEMA, "kind", "kyso-doctor-report", "id", id, "created",
	        now, "kyso_version", KYSO_VERSION_STRING, "lang", kyso_i18n_lang(), "os", "name",
	        os.name, "release", os.release, "machine", os.machine, "options", "offline",
	        o->offline, "sign", o->sign, "token", d.facts, "summary", summary_json(list),
	        "checks", list, "duration_ms", (json_int_t)(kyso_now_ms() - t0));
	/* the unit the helpdesk groups by: from `kyso setup --org`, else the
	 * signing certificate's O / OU */
	const char *org = d.config != NULL ? d.config->org : NULL;
	bool from_setup = org != NULL && *org != '\0';
	if (!from_setup)
		org = d.cert_org;
	if (rep != NULL && *org != '\0') {
		json_object_set_new(rep, "org", json_string(org));
		json_object_set_new(rep, "org_source",
		                    json_string(from_setup ? "setup" : "certificate"));
	}
	/* whose key the pseudonyms are made with: the organisation's (the same
	 * on every computer) or this machine's */
	bool org_key =
	        d.config != NULL && d.config->redact_key != NULL && *d.config->redact_key != '\0';
	if (rep != NULL)
		json_object_set_new(rep, "pseudonym_key",
		                    json_string(org_key ? "organisation" : "machine"));
	doctor_free(&d);
	if (rep == NULL)
		kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	return rep;
}

const char *kyso_doctor_result(const json_t *report)
{
	const char *r =
	        json_string_value(json_object_get(json_object_get(report, "summary"), "result"));
	return r != NULL ? r : "fail";
}

json_t *kyso_doctor_walk_strings(const json_t *v, char *(*fn)(const char *))
{
	if (json_is_string(v)) {
		char *s = fn(json_string_value(v));
		json_t *r = s != NULL ? json_string(s) : json_string("");
		free(s);
		return r;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
		{
			json_array_append_new(a, kyso_doctor_walk_strings(e, fn));
		}
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)v, k, e)
		{
			char *rk = fn(k);
			json_object_set_new(o, rk != NULL ? rk : k,
			                    kyso_doctor_walk_strings(e, fn));
			free(rk);
		}
		return o;
	}
	return json_deep_copy(v);
}

json_t *kyso_doctor_redacted(const json_t *report)
{
	return kyso_doctor_walk_strings(report, kyso_doctor_redact_string);
}
