/* Detection result: readers, USB devices, tokens, warnings; accessors. */
#include "detect_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

kyso_detect_result_t *kyso_detect_result_new(void)
{
	kyso_detect_result_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->pcsc_status = KYSO_PCSC_SKIPPED;
	r->usb_status = KYSO_USB_SKIPPED;
	return r;
}

static void token_clear(kyso_token_t *t)
{
	for (size_t i = 0; i < t->n_evidence; i++)
		free(t->evidence[i].detail);
	free(t->evidence);
	free(t->alternatives);
	free(t->smartcard_list);
	free(t->catalog_hint);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

void kyso_detect_tokens_clear(kyso_detect_result_t *r)
{
	for (size_t i = 0; i < r->n_tokens; i++)
		token_clear(&r->tokens[i]);
	free(r->tokens);
	r->tokens = NULL;
	r->n_tokens = 0;
}

void kyso_detect_result_free(kyso_detect_result_t *r)
{
	if (r == NULL)
		return;
	kyso_detect_tokens_clear(r);
	for (size_t i = 0; i < r->n_readers; i++)
		free(r->readers[i].name);
	free(r->readers);
	for (size_t i = 0; i < r->n_usb; i++) {
		free(r->usb[i].manufacturer);
		free(r->usb[i].product);
	}
	free(r->usb);
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->pcsc_message);
	free(r->usb_message);
	free(r);
}

kyso_err_t kyso_detect_result_warn(kyso_detect_result_t *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kyso_info("detect: %s", buf);
	char **w = realloc(r->warnings, (r->n_warnings + 1) * sizeof(*w));
	if (w == NULL)
		return KYSO_ERR_NOMEM;
	r->warnings = w;
	r->warnings[r->n_warnings] = strdup(buf);
	if (r->warnings[r->n_warnings] == NULL)
		return KYSO_ERR_NOMEM;
	r->n_warnings++;
	return KYSO_OK;
}

kyso_err_t kyso_detect_result_add_reader(kyso_detect_result_t *r, const char *name,
                                         kyso_reader_state_t state, const uint8_t *atr,
                                         size_t atr_len, bool in_use, bool exclusive)
{
	if (r == NULL || name == NULL || atr_len > KYSO_ATR_MAX)
		return KYSO_ERR_USAGE;
	/* tokens point into the reader array: they are rebuilt by match */
	kyso_detect_tokens_clear(r);
	kyso_reader_t *g = realloc(r->readers, (r->n_readers + 1) * sizeof(*g));
	if (g == NULL)
		return KYSO_ERR_NOMEM;
	r->readers = g;
	kyso_reader_t *rd = &r->readers[r->n_readers];
	memset(rd, 0, sizeof(*rd));
	rd->name = strdup(name);
	if (rd->name == NULL)
		return KYSO_ERR_NOMEM;
	rd->state = state;
	if (atr != NULL && atr_len > 0) {
		memcpy(rd->atr, atr, atr_len);
		rd->atr_len = atr_len;
	}
	kyso_atr_hex(rd->atr, rd->atr_len, rd->atr_hex);
	rd->in_use = in_use;
	rd->exclusive = exclusive;
	r->n_readers++;
	return KYSO_OK;
}

kyso_err_t kyso_detect_result_add_usb(kyso_detect_result_t *r, uint16_t vid, uint16_t pid, int bus,
                                      int address, bool ccid, const char *manufacturer,
                                      const char *product)
{
	if (r == NULL)
		return KYSO_ERR_USAGE;
	kyso_detect_tokens_clear(r);
	kyso_usb_device_t *g = realloc(r->usb, (r->n_usb + 1) * sizeof(*g));
	if (g == NULL)
		return KYSO_ERR_NOMEM;
	r->usb = g;
	kyso_usb_device_t *u = &r->usb[r->n_usb];
	memset(u, 0, sizeof(*u));
	u->vid = vid;
	u->pid = pid;
	u->bus = bus;
	u->address = address;
	u->ccid = ccid;
	u->manufacturer =
	        manufacturer != NULL && *manufacturer != '\0' ? strdup(manufacturer) : NULL;
	u->product = product != NULL && *product != '\0' ? strdup(product) : NULL;
	r->n_usb++;
	return KYSO_OK;
}

static void set_msg(char **dst, const char *msg)
{
	free(*dst);
	*dst = kyso_detect_strdup(msg);
}

void kyso_detect_result_set_pcsc(kyso_detect_result_t *r, kyso_pcsc_status_t st,
                                 const char *message)
{
	r->pcsc_status = st;
	set_msg(&r->pcsc_message, message);
}

void kyso_detect_result_set_usb(kyso_detect_result_t *r, kyso_usb_status_t st, const char *message)
{
	r->usb_status = st;
	set_msg(&r->usb_message, message);
}

kyso_pcsc_status_t kyso_detect_pcsc_status(const kyso_detect_result_t *r)
{
	return r->pcsc_status;
}

const char *kyso_detect_pcsc_message(const kyso_detect_result_t *r)
{
	return r->pcsc_message;
}

kyso_usb_status_t kyso_detect_usb_status(const kyso_detect_result_t *r)
{
	return r->usb_status;
}

const char *kyso_detect_usb_message(const kyso_detect_result_t *r)
{
	return r->usb_message;
}

size_t kyso_detect_warning_count(const kyso_detect_result_t *r)
{
	return r->n_warnings;
}

const char *kyso_detect_warning_at(const kyso_detect_result_t *r, size_t i)
{
	return i < r->n_warnings ? r->warnings[i] : NULL;
}

size_t kyso_detect_reader_count(const kyso_detect_result_t *r)
{
	return r->n_readers;
}

const kyso_reader_t *kyso_detect_reader_at(const kyso_detect_result_t *r, size_t i)
{
	return i < r->n_readers ? &r->readers[i] : NULL;
}

const char *kyso_reader_name(const kyso_reader_t *rd)
{
	return rd->name;
}

kyso_reader_state_t kyso_reader_state(const kyso_reader_t *rd)
{
	return rd->state;
}

const char *kyso_reader_atr_hex(const kyso_reader_t *rd)
{
	return rd->atr_hex;
}

bool kyso_reader_in_use(const kyso_reader_t *rd)
{
	return rd->in_use;
}

bool kyso_reader_exclusive(const kyso_reader_t *rd)
{
	return rd->exclusive;
}

size_t kyso_detect_usb_count(const kyso_detect_result_t *r)
{
	return r->n_usb;
}

const kyso_usb_device_t *kyso_detect_usb_at(const kyso_detect_result_t *r, size_t i)
{
	return i < r->n_usb ? &r->usb[i] : NULL;
}

uint16_t kyso_usb_vid(const kyso_usb_device_t *u)
{
	return u->vid;
}

uint16_t kyso_usb_pid(const kyso_usb_device_t *u)
{
	return u->pid;
}

const char *kyso_usb_product(const kyso_usb_device_t *u)
{
	return u->product;
}

const char *kyso_usb_manufacturer(const kyso_usb_device_t *u)
{
	return u->manufacturer;
}

bool kyso_usb_ccid(const kyso_usb_device_t *u)
{
	return u->ccid;
}

size_t kyso_detect_token_count(const kyso_detect_result_t *r)
{
	return r->n_tokens;
}

const kyso_token_t *kyso_detect_token_at(const kyso_detect_result_t *r, size_t i)
{
	return i < r->n_tokens ? &r->tokens[i] : NULL;
}

size_t kyso_detect_known_count(const kyso_detect_result_t *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_tokens; i++)
		n += r->tokens[i].type != NULL;
	return n;
}

const kyso_token_type_t *kyso_token_type(const kyso_token_t *t)
{
	return t->type;
}

kyso_confidence_t kyso_token_confidence(const kyso_token_t *t)
{
	return t->confidence;
}

const char *kyso_confidence_id(kyso_confidence_t c)
{
	switch (c) {
	case KYSO_CONFIDENCE_HIGH:
		return "high";
	case KYSO_CONFIDENCE_MEDIUM:
		return "medium";
	case KYSO_CONFIDENCE_LOW:
		return "low";
	case KYSO_CONFIDENCE_NONE:
		break;
	}
	return "none";
}

const kyso_reader_t *kyso_token_reader(const kyso_token_t *t)
{
	return t->reader;
}

const kyso_usb_device_t *kyso_token_usb(const kyso_token_t *t)
{
	return t->usb;
}

size_t kyso_token_evidence_count(const kyso_token_t *t)
{
	return t->n_evidence;
}

kyso_evidence_kind_t kyso_token_evidence_kind(const kyso_token_t *t, size_t i)
{
	return i < t->n_evidence ? t->evidence[i].kind : KYSO_EVIDENCE_ATR;
}

const char *kyso_token_evidence_detail(const kyso_token_t *t, size_t i)
{
	return i < t->n_evidence ? t->evidence[i].detail : NULL;
}

size_t kyso_token_alternative_count(const kyso_token_t *t)
{
	return t->n_alternatives;
}

const kyso_token_type_t *kyso_token_alternative_at(const kyso_token_t *t, size_t i)
{
	return i < t->n_alternatives ? t->alternatives[i].type : NULL;
}

const json_t *kyso_token_driver(const kyso_token_t *t)
{
	return kyso_token_type_driver(t->type, NULL);
}

const char *kyso_token_smartcard_list(const kyso_token_t *t)
{
	return t->smartcard_list;
}

const char *kyso_token_catalog_hint(const kyso_token_t *t)
{
	return t->catalog_hint;
}

const char *kyso_token_key(const kyso_token_t *t)
{
	return t->key;
}

kyso_err_t kyso_detect_result_status(const kyso_detect_result_t *r, kyso_error_t *err)
{
	if (r->pcsc_status == KYSO_PCSC_NO_SERVICE)
		return kyso_error_set(err, KYSO_ERR_NO_PCSC_SERVICE, "%s",
		                      r->pcsc_message != NULL
		                              ? r->pcsc_message
		                              : kyso_strerr(KYSO_ERR_NO_PCSC_SERVICE));
	if (r->n_tokens == 0) {
		if (r->pcsc_status == KYSO_PCSC_NO_READERS)
			return kyso_error_set(err, KYSO_ERR_NO_TOKEN, "%s",
			                      _("No token found: PC/SC sees no reader. Plug in the "
			                        "token (try another USB port)."));
		if (r->pcsc_status == KYSO_PCSC_ERROR && r->pcsc_message != NULL)
			return kyso_error_set(err, KYSO_ERR_NO_TOKEN, "%s", r->pcsc_message);
		return kyso_error_set(err, KYSO_ERR_NO_TOKEN, "%s",
		                      _("No token found. Plug in the token and run kyso detect "
		                        "again."));
	}
	if (kyso_detect_known_count(r) == 0)
		return kyso_error_set(err, KYSO_ERR_PROBLEM, "%s",
		                      _("A token was found but the catalog does not know it."));
	kyso_error_clear(err);
	return KYSO_OK;
}

static bool token_is(const kyso_token_t *t, const char *want)
{
	if (t->type != NULL && strcmp(t->type->id, want) == 0)
		return true;
	if (t->reader != NULL && strcmp(t->reader->name, want) == 0)
		return true;
	if (t->usb != NULL) {
		char id[10];
		snprintf(id, sizeof(id), "%04X:%04X", t->usb->vid, t->usb->pid);
		if (strcasecmp(id, want) == 0)
			return true;
	}
	return false;
}

const kyso_token_t *kyso_detect_token_select(const kyso_detect_result_t *r, const char *want,
                                             kyso_error_t *err)
{
	const kyso_token_t *hit = NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->n_tokens; i++) {
		const kyso_token_t *t = &r->tokens[i];
		if (want != NULL ? token_is(t, want) : t->type != NULL) {
			if (hit == NULL)
				hit = t;
			n++;
		}
	}
	if (n == 1) {
		kyso_error_clear(err);
		return hit;
	}
	if (n == 0) {
		if (want != NULL)
			kyso_error_set(err, KYSO_ERR_NO_TOKEN, _("No token matches \"%s\"."), want);
		else
			kyso_error_set(err, KYSO_ERR_NO_TOKEN, "%s",
			               _("No token the catalog knows is plugged in."));
		return NULL;
	}
	char list[400] = "";
	size_t o = 0;
	for (size_t i = 0; i < r->n_tokens && o < sizeof(list); i++) {
		const kyso_token_t *t = &r->tokens[i];
		if (want != NULL ? !token_is(t, want) : t->type == NULL)
			continue;
		int w = snprintf(list + o, sizeof(list) - o, "%s%s (%s)", o > 0 ? ", " : "",
		                 t->type != NULL ? t->type->id : "?",
		                 t->reader != NULL ? t->reader->name : "USB");
		if (w < 0)
			break;
		o += (size_t)w;
	}
	kyso_error_set(err, KYSO_ERR_USAGE, _("%zu tokens fit; choose one of: %s"), n, list);
	return NULL;
}
