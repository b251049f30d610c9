/* PKCS#11 probe: load, C_Initialize, slots, tokens, objects without login,
 * explicit C_Finalize. Raw function list (no libp11) so that every flag and
 * every return value is seen as the module gives it. */
#include "mw_int.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void kyso_mw_p11_string(char *dst, size_t cap, const CK_UTF8CHAR *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		dst[--n] = '\0';
}

const char *kyso_mw_ckr_name(CK_RV rv, char *buf, size_t cap)
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
	        {CKR_OK, "CKR_OK"},
	        {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
	        {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
	        {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
	        {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
	        {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
	        {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
	        {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
	        {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
	        {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
	        {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
	        {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
	        {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
	        {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
	        {CKR_CANT_LOCK, "CKR_CANT_LOCK"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, cap, "0x%08lx", (unsigned long)rv);
	return buf;
}

static char *hex_dup(const uint8_t *p, size_t len)
{
	char *s = malloc(2 * len + 1);
	if (s != NULL)
		kyso_hex_encode(p, len, s);
	return s;
}

/* One attribute of any length (malloc'ed; NULL + len 0 when absent). */
static uint8_t *get_attr(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o,
                         CK_ATTRIBUTE_TYPE type, size_t *len)
{
	*len = 0;
	CK_ATTRIBUTE a = {type, NULL, 0};
	if (fl->C_GetAttributeValue(sh, o, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
	    a.ulValueLen > (1u << 20))
		return NULL;
	uint8_t *buf = malloc(a.ulValueLen + 1);
	if (buf == NULL)
		return NULL;
	a.pValue = buf;
	if (fl->C_GetAttributeValue(sh, o, &a, 1) != CKR_OK) {
		free(buf);
		return NULL;
	}
	buf[a.ulValueLen] = '\0';
	*len = a.ulValueLen;
	return buf;
}

static CK_ULONG get_ulong(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o,
                          CK_ATTRIBUTE_TYPE type, CK_ULONG dflt)
{
	CK_ULONG v = dflt;
	CK_ATTRIBUTE a = {type, &v, sizeof(v)};
	if (fl->C_GetAttributeValue(sh, o, &a, 1) != CKR_OK)
		return dflt;
	return v;
}

/* Handles of every object of a class (malloc'ed array). */
static CK_RV find_class(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_CLASS cls,
                        CK_OBJECT_HANDLE **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CK_ATTRIBUTE tmpl = {CKA_CLASS, &cls, sizeof(cls)};
	CK_RV rv = fl->C_FindObjectsInit(sh, &tmpl, 1);
	if (rv != CKR_OK)
		return rv;
	size_t cap = 0;
	for (;;) {
		CK_OBJECT_HANDLE batch[32];
		CK_ULONG got = 0;
		rv = fl->C_FindObjects(sh, batch, 32, &got);
		if (rv != CKR_OK || got == 0)
			break;
		if (*n + got > cap) {
			size_t ncap = (cap + got) * 2;
			CK_OBJECT_HANDLE *bigger = realloc(*out, ncap * sizeof(**out));
			if (bigger == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			*out = bigger;
			cap = ncap;
		}
		memcpy(*out + *n, batch, got * sizeof(batch[0]));
		*n += got;
	}
	CK_RV frv = fl->C_FindObjectsFinal(sh);
	return rv != CKR_OK ? rv : frv;
}

static char *label_of(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o)
{
	size_t len = 0;
	uint8_t *v = get_attr(fl, sh, o, CKA_LABEL, &len);
	return v != NULL ? (char *)v : strdup("");
}

static char *id_of(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o)
{
	size_t len = 0;
	uint8_t *v = get_attr(fl, sh, o, CKA_ID, &len);
	char *hex = hex_dup(v != NULL ? v : (const uint8_t *)"", len);
	free(v);
	return hex;
}

/* The raw EC point: CKA_EC_POINT is usually a DER OCTET STRING around it. */
static void unwrap_ec_point(uint8_t **p, size_t *len)
{
	uint8_t *d = *p;
	if (*len < 3 || d[0] != 0x04)
		return;
	size_t hdr = 2, body = d[1];
	if (d[1] == 0x81 && *len >= 3) {
		hdr = 3;
		body = d[2];
	} else if (d[1] & 0x80) {
		return;
	}
	if (hdr + body != *len)
		return; /* already a raw point */
	memmove(d, d + hdr, body);
	*len = body;
}

static void read_key(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o,
                     bool is_private, struct kyso_p11_key *k)
{
	k->is_private = is_private;
	k->id_hex = id_of(fl, sh, o);
	k->label = label_of(fl, sh, o);
	CK_ULONG kt = get_ulong(fl, sh, o, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	if (kt == CKK_RSA) {
		snprintf(k->type, sizeof(k->type), "rsa");
		k->pub = get_attr(fl, sh, o, CKA_MODULUS, &k->pub_len);
	} else if (kt == CKK_EC) {
		snprintf(k->type, sizeof(k->type), "ec");
		k->pub = get_attr(fl, sh, o, CKA_EC_POINT, &k->pub_len);
		if (k->pub != NULL)
			unwrap_ec_point(&k->pub, &k->pub_len);
	} else {
		snprintf(k->type, sizeof(k->type), "other");
	}
}

static CK_RV list_keys(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, struct kyso_p11_slot *s)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
	for (size_t c = 0; c < 2; c++) {
		CK_OBJECT_HANDLE *h = NULL;
		size_t n = 0;
		CK_RV rv = find_class(fl, sh, classes[c], &h, &n);
		if (rv != CKR_OK) {
			free(h);
			return rv;
		}
		struct kyso_p11_key *more = realloc(s->keys, (s->nkeys + n + 1) * sizeof(*more));
		if (more == NULL) {
			free(h);
			return CKR_HOST_MEMORY;
		}
		s->keys = more;
		for (size_t i = 0; i < n; i++) {
			memset(&s->keys[s->nkeys], 0, sizeof(s->keys[0]));
			read_key(fl, sh, h[i], classes[c] == CKO_PRIVATE_KEY, &s->keys[s->nkeys]);
			s->nkeys++;
		}
		free(h);
	}
	return CKR_OK;
}

static CK_RV list_certs(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE sh, struct kyso_p11_slot *s)
{
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	CK_RV rv = find_class(fl, sh, CKO_CERTIFICATE, &h, &n);
	if (rv != CKR_OK) {
		free(h);
		return rv;
	}
	s->certs = calloc(n + 1, sizeof(*s->certs));
	if (s->certs == NULL) {
		free(h);
		return CKR_HOST_MEMORY;
	}
	for (size_t i = 0; i < n; i++) {
		struct kyso_p11_cert *c = &s->certs[s->ncerts++];
		c->id_hex = id_of(fl, sh, h[i]);
		c->label = label_of(fl, sh, h[i]);
		c->der = get_attr(fl, sh, h[i], CKA_VALUE, &c->der_len);
		kyso_mw_cert_parse(c);
	}
	free(h);
	return CKR_OK;
}

static void set_objects_error(struct kyso_p11_slot *s, const char *what, CK_RV rv)
{
	char buf[24], msg[160];
	snprintf(msg, sizeof(msg), "%s: %s", what, kyso_mw_ckr_name(rv, buf, sizeof(buf)));
	free(s->objects_error);
	s->objects_error = strdup(msg);
}

static void read_objects(CK_FUNCTION_LIST_PTR fl, struct kyso_p11_slot *s)
{
	CK_SESSION_HANDLE sh = CK_INVALID_HANDLE;
	CK_RV rv = fl->C_OpenSession(s->id, CKF_SERIAL_SESSION, NULL, NULL, &sh);
	if (rv != CKR_OK) {
		set_objects_error(s, "C_OpenSession", rv);
		return;
	}
	rv = list_certs(fl, sh, s);
	if (rv != CKR_OK)
		set_objects_error(s, "C_FindObjects (certificates)", rv);
	else if ((rv = list_keys(fl, sh, s)) != CKR_OK)
		set_objects_error(s, "C_FindObjects (keys)", rv);
	CK_RV crv = fl->C_CloseSession(sh);
	if (crv != CKR_OK && s->objects_error == NULL)
		set_objects_error(s, "C_CloseSession", crv);
	kyso_mw_pair_slot(s);
}

static unsigned token_flags(CK_FLAGS f)
{
	unsigned out = 0;
	if (f & CKF_USER_PIN_LOCKED)
		out |= KYSO_P11_TOKEN_PIN_LOCKED;
	if (f & CKF_USER_PIN_COUNT_LOW)
		out |= KYSO_P11_TOKEN_PIN_COUNT_LOW;
	if (f & CKF_USER_PIN_FINAL_TRY)
		out |= KYSO_P11_TOKEN_PIN_FINAL_TRY;
	if (!(f & CKF_TOKEN_INITIALIZED))
		out |= KYSO_P11_TOKEN_NOT_INITIALISED;
	if (f & CKF_PROTECTED_AUTHENTICATION_PATH)
		out |= KYSO_P11_TOKEN_PROTECTED_AUTH;
	if (f & CKF_LOGIN_REQUIRED)
		out |= KYSO_P11_TOKEN_LOGIN_REQUIRED;
	if (!(f & CKF_USER_PIN_INITIALIZED))
		out |= KYSO_P11_TOKEN_PIN_NOT_SET;
	if (f & CKF_WRITE_PROTECTED)
		out |= KYSO_P11_TOKEN_WRITE_PROTECTED;
	return out;
}

static kyso_err_t read_slots(kyso_p11_probe_t *p, kyso_error_t *err)
{
	CK_FUNCTION_LIST_PTR fl = p->fl;
	CK_ULONG n = 0;
	char buf[24];
	CK_RV rv = fl->C_GetSlotList(CK_FALSE, NULL, &n);
	if (rv != CKR_OK)
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD, _("%s: C_GetSlotList failed: %s"),
		                      p->path, kyso_mw_ckr_name(rv, buf, sizeof(buf)));
	CK_SLOT_ID *ids = calloc(n + 1, sizeof(*ids));
	p->slots = calloc(n + 1, sizeof(*p->slots));
	if (ids == NULL || p->slots == NULL) {
		free(ids);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	rv = fl->C_GetSlotList(CK_FALSE, ids, &n);
	if (rv != CKR_OK) {
		free(ids);
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD, _("%s: C_GetSlotList failed: %s"),
		                      p->path, kyso_mw_ckr_name(rv, buf, sizeof(buf)));
	}
	for (CK_ULONG i = 0; i < n; i++) {
		struct kyso_p11_slot *s = &p->slots[p->nslots++];
		s->id = ids[i];
		CK_SLOT_INFO si;
		if (fl->C_GetSlotInfo(ids[i], &si) != CKR_OK)
			continue;
		kyso_mw_p11_string(s->description, sizeof(s->description), si.slotDescription,
		                   sizeof(si.slotDescription));
		if (!(si.flags & CKF_TOKEN_PRESENT))
			continue;
		CK_TOKEN_INFO ti;
		rv = fl->C_GetTokenInfo(ids[i], &ti);
		if (rv != CKR_OK) {
			if (rv != CKR_TOKEN_NOT_PRESENT)
				set_objects_error(s, "C_GetTokenInfo", rv);
			continue;
		}
		s->present = true;
		kyso_mw_p11_string(s->label, sizeof(s->label), ti.label, sizeof(ti.label));
		kyso_mw_p11_string(s->manufacturer, sizeof(s->manufacturer), ti.manufacturerID,
		                   sizeof(ti.manufacturerID));
		kyso_mw_p11_string(s->model, sizeof(s->model), ti.model, sizeof(ti.model));
		kyso_mw_p11_string(s->serial, sizeof(s->serial), ti.serialNumber,
		                   sizeof(ti.serialNumber));
		s->flags = token_flags(ti.flags);
		read_objects(fl, s);
	}
	free(ids);
	return KYSO_OK;
}

kyso_err_t kyso_p11_probe_open(const char *path, kyso_p11_probe_t **out,
                               kyso_p11_load_status_t *status, kyso_error_t *err)
{
	kyso_p11_load_status_t st_dummy;
	if (status == NULL)
		status = &st_dummy;
	*out = NULL;
	kyso_p11_probe_t *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->path = strdup(path)) == NULL) {
		free(p);
		*status = KYSO_P11_LOAD_DLOPEN;
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	void *fl = NULL;
	if (kyso_p11_module_load(path, &p->dl, &fl, status, err) != KYSO_OK) {
		kyso_p11_probe_free(&p);
		return KYSO_ERR_MODULE_LOAD;
	}
	p->fl = fl;
	char buf[24];
	CK_RV rv;
	CK_C_INITIALIZE_ARGS args;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->fl->C_Initialize(&args);
	if (rv == CKR_OK) {
		p->initialised = true;
	} else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		*status = KYSO_P11_LOAD_INIT_FAILED;
		kyso_error_set(err, KYSO_ERR_MODULE_LOAD,
		               _("PKCS#11 module %s loaded but C_Initialize failed: %s"), path,
		               kyso_mw_ckr_name(rv, buf, sizeof(buf)));
		kyso_p11_probe_free(&p);
		return KYSO_ERR_MODULE_LOAD;
	}
	CK_INFO info;
	if (p->fl->C_GetInfo(&info) == CKR_OK) {
		kyso_mw_p11_string(p->manufacturer, sizeof(p->manufacturer), info.manufacturerID,
		                   sizeof(info.manufacturerID));
		kyso_mw_p11_string(p->description, sizeof(p->description), info.libraryDescription,
		                   sizeof(info.libraryDescription));
		snprintf(p->cryptoki_version, sizeof(p->cryptoki_version), "%u.%u",
		         info.cryptokiVersion.major, info.cryptokiVersion.minor);
		snprintf(p->library_version, sizeof(p->library_version), "%u.%u",
		         info.libraryVersion.major, info.libraryVersion.minor);
	}
	kyso_err_t rc = read_slots(p, err);
	if (rc != KYSO_OK) {
		*status = KYSO_P11_LOAD_INIT_FAILED;
		kyso_p11_probe_free(&p);
		return rc;
	}
	*status = KYSO_P11_LOAD_OK;
	*out = p;
	return KYSO_OK;
}

kyso_err_t kyso_p11_probe_finalize(kyso_p11_probe_t *p, kyso_error_t *err)
{
	if (p == NULL || !p->initialised || p->fl == NULL)
		return KYSO_OK;
	p->initialised = false;
	CK_RV rv = p->fl->C_Finalize(NULL);
	if (rv != CKR_OK) {
		char buf[24];
		return kyso_error_set(err, KYSO_ERR_MODULE_LOAD, _("%s: C_Finalize failed: %s"),
		                      p->path, kyso_mw_ckr_name(rv, buf, sizeof(buf)));
	}
	return KYSO_OK;
}

static void free_slot(struct kyso_p11_slot *s)
{
	for (size_t i = 0; i < s->ncerts; i++) {
		struct kyso_p11_cert *c = &s->certs[i];
		free(c->id_hex);
		free(c->label);
		free(c->subject);
		free(c->issuer);
		free(c->der);
		free(c->pub);
	}
	for (size_t i = 0; i < s->nkeys; i++) {
		free(s->keys[i].id_hex);
		free(s->keys[i].label);
		free(s->keys[i].pub);
	}
	free(s->certs);
	free(s->keys);
	free(s->objects_error);
}

void kyso_p11_probe_free(kyso_p11_probe_t **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	kyso_p11_probe_t *p = *pp;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_p11_probe_finalize(p, &e) != KYSO_OK)
		kyso_warn("%s", kyso_error_message(&e));
	for (size_t i = 0; i < p->nslots; i++)
		free_slot(&p->slots[i]);
	free(p->slots);
	if (p->dl != NULL && dlclose(p->dl) != 0)
		kyso_debug("dlclose %s: %s", p->path, dlerror());
	free(p->path);
	free(p);
	*pp = NULL;
}
