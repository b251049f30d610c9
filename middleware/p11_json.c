/* The probe as JSON (for install reports and doctor). */
#include "mw_int.h"

json_t *kyso_p11_token_flags_to_json(unsigned flags)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	        {KYSO_P11_TOKEN_PIN_LOCKED, "pin-locked"},
	        {KYSO_P11_TOKEN_PIN_COUNT_LOW, "pin-count-low"},
	        {KYSO_P11_TOKEN_PIN_FINAL_TRY, "pin-final-try"},
	        {KYSO_P11_TOKEN_NOT_INITIALISED, "not-initialised"},
	        {KYSO_P11_TOKEN_PROTECTED_AUTH, "protected-authentication-path"},
	        {KYSO_P11_TOKEN_LOGIN_REQUIRED, "login-required"},
	        {KYSO_P11_TOKEN_PIN_NOT_SET, "user-pin-not-set"},
	        {KYSO_P11_TOKEN_WRITE_PROTECTED, "write-protected"},
	};
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

static json_t *cert_json(const kyso_p11_cert_t *c)
{
	const kyso_p11_key_t *k = kyso_p11_cert_key(c);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o}", "id", kyso_p11_cert_id_hex(c),
	                 "label", kyso_p11_cert_label(c), "subject", kyso_p11_cert_subject(c),
	                 "issuer", kyso_p11_cert_issuer(c), "not_after", kyso_p11_cert_not_after(c),
	                 "ca", kyso_p11_cert_is_ca(c), "pairing",
	                 kyso_p11_pairing_id(kyso_p11_cert_pairing(c)), "paired_key",
	                 k == NULL ? json_null()
	                           : json_pack("{s:s, s:s}", "id", kyso_p11_key_id_hex(k), "class",
	                                       kyso_p11_key_is_private(k) ? "private" : "public"));
}

static json_t *slot_json(const kyso_p11_slot_t *s)
{
	json_t *o = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)kyso_p11_slot_id(s),
	                      "description", kyso_p11_slot_description(s), "token_present",
	                      kyso_p11_slot_token_present(s));
	if (o == NULL)
		return NULL;
	if (kyso_p11_slot_token_present(s)) {
		json_object_set_new(
		        o, "token",
		        json_pack("{s:s, s:s, s:s, s:s, s:o}", "label",
		                  kyso_p11_slot_token_label(s), "manufacturer",
		                  kyso_p11_slot_token_manufacturer(s), "model",
		                  kyso_p11_slot_token_model(s), "serial",
		                  kyso_p11_slot_token_serial(s), "flags",
		                  kyso_p11_token_flags_to_json(kyso_p11_slot_token_flags(s))));
		json_t *certs = json_array();
		for (size_t i = 0; i < kyso_p11_slot_cert_count(s); i++)
			json_array_append_new(certs, cert_json(kyso_p11_slot_cert_at(s, i)));
		json_object_set_new(o, "certificates", certs);
		json_t *keys = json_array();
		for (size_t i = 0; i < kyso_p11_slot_key_count(s); i++) {
			const kyso_p11_key_t *k = kyso_p11_slot_key_at(s, i);
			json_array_append_new(
			        keys,
			        json_pack("{s:s, s:s, s:s, s:s}", "class",
			                  kyso_p11_key_is_private(k) ? "private" : "public", "id",
			                  kyso_p11_key_id_hex(k), "label", kyso_p11_key_label(k),
			                  "type", kyso_p11_key_type(k)));
		}
		json_object_set_new(o, "keys", keys);
	}
	if (kyso_p11_slot_objects_error(s) != NULL)
		json_object_set_new(o, "error", json_string(kyso_p11_slot_objects_error(s)));
	return o;
}

json_t *kyso_p11_probe_to_json(const kyso_p11_probe_t *p)
{
	json_t *slots = json_array();
	for (size_t i = 0; slots != NULL && i < kyso_p11_probe_slot_count(p); i++)
		json_array_append_new(slots, slot_json(kyso_p11_probe_slot_at(p, i)));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "module", kyso_p11_probe_path(p),
	                 "manufacturer", kyso_p11_probe_manufacturer(p), "description",
	                 kyso_p11_probe_description(p), "cryptoki_version",
	                 kyso_p11_probe_cryptoki_version(p), "library_version",
	                 kyso_p11_probe_library_version(p), "slots", slots);
}
