/* Accessors of the probe's opaque types. */
#include "mw_int.h"

const char *kyso_p11_probe_path(const kyso_p11_probe_t *p)
{
	return p->path;
}
const char *kyso_p11_probe_manufacturer(const kyso_p11_probe_t *p)
{
	return p->manufacturer;
}
const char *kyso_p11_probe_description(const kyso_p11_probe_t *p)
{
	return p->description;
}
const char *kyso_p11_probe_cryptoki_version(const kyso_p11_probe_t *p)
{
	return p->cryptoki_version;
}
const char *kyso_p11_probe_library_version(const kyso_p11_probe_t *p)
{
	return p->library_version;
}
size_t kyso_p11_probe_slot_count(const kyso_p11_probe_t *p)
{
	return p->nslots;
}

const kyso_p11_slot_t *kyso_p11_probe_slot_at(const kyso_p11_probe_t *p, size_t i)
{
	return i < p->nslots ? &p->slots[i] : NULL;
}

size_t kyso_p11_probe_token_count(const kyso_p11_probe_t *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nslots; i++)
		n += p->slots[i].present ? 1 : 0;
	return n;
}

unsigned long kyso_p11_slot_id(const kyso_p11_slot_t *s)
{
	return s->id;
}
const char *kyso_p11_slot_description(const kyso_p11_slot_t *s)
{
	return s->description;
}
bool kyso_p11_slot_token_present(const kyso_p11_slot_t *s)
{
	return s->present;
}
const char *kyso_p11_slot_token_label(const kyso_p11_slot_t *s)
{
	return s->label;
}
const char *kyso_p11_slot_token_manufacturer(const kyso_p11_slot_t *s)
{
	return s->manufacturer;
}
const char *kyso_p11_slot_token_model(const kyso_p11_slot_t *s)
{
	return s->model;
}
const char *kyso_p11_slot_token_serial(const kyso_p11_slot_t *s)
{
	return s->serial;
}
unsigned kyso_p11_slot_token_flags(const kyso_p11_slot_t *s)
{
	return s->flags;
}
const char *kyso_p11_slot_objects_error(const kyso_p11_slot_t *s)
{
	return s->objects_error;
}
size_t kyso_p11_slot_cert_count(const kyso_p11_slot_t *s)
{
	return s->ncerts;
}

const kyso_p11_cert_t *kyso_p11_slot_cert_at(const kyso_p11_slot_t *s, size_t i)
{
	return i < s->ncerts ? &s->certs[i] : NULL;
}

size_t kyso_p11_slot_key_count(const kyso_p11_slot_t *s)
{
	return s->nkeys;
}

const kyso_p11_key_t *kyso_p11_slot_key_at(const kyso_p11_slot_t *s, size_t i)
{
	return i < s->nkeys ? &s->keys[i] : NULL;
}

const char *kyso_p11_cert_id_hex(const kyso_p11_cert_t *c)
{
	return c->id_hex;
}
const char *kyso_p11_cert_label(const kyso_p11_cert_t *c)
{
	return c->label;
}
const char *kyso_p11_cert_subject(const kyso_p11_cert_t *c)
{
	return c->subject;
}
const char *kyso_p11_cert_issuer(const kyso_p11_cert_t *c)
{
	return c->issuer;
}
const char *kyso_p11_cert_not_after(const kyso_p11_cert_t *c)
{
	return c->not_after;
}
bool kyso_p11_cert_is_ca(const kyso_p11_cert_t *c)
{
	return c->is_ca;
}

const uint8_t *kyso_p11_cert_der(const kyso_p11_cert_t *c, size_t *len)
{
	*len = c->der_len;
	return c->der;
}

kyso_p11_pairing_t kyso_p11_cert_pairing(const kyso_p11_cert_t *c)
{
	return c->pairing;
}
const kyso_p11_key_t *kyso_p11_cert_key(const kyso_p11_cert_t *c)
{
	return c->key;
}
bool kyso_p11_key_is_private(const kyso_p11_key_t *k)
{
	return k->is_private;
}
const char *kyso_p11_key_id_hex(const kyso_p11_key_t *k)
{
	return k->id_hex;
}
const char *kyso_p11_key_label(const kyso_p11_key_t *k)
{
	return k->label;
}
const char *kyso_p11_key_type(const kyso_p11_key_t *k)
{
	return k->type;
}
