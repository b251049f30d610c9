/* The time-limited PIN cache (docs/agent.md, "PIN cache"): only when the user
 * chose "remember the PIN for N minutes" in the consent dialog, only in this
 * process's memory — one page locked against swapping (mlock/VirtualLock) and
 * left out of core dumps (MADV_DONTDUMP; agent_lockmem_*.c) — per token and key, wiped
 * (OPENSSL_cleanse) on expiry, on a wrong PIN, when the token goes away and at exit. Never written
 * anywhere. Only the token worker thread uses it. */
#include "agent.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SLOTS 8

typedef struct {
	bool used;
	uint8_t id[32];
	uint64_t until_ms; /* ag_pincache_now_ms() */
	time_t until_wall; /* for the prompt */
	char key_id[128];  /* the request's key selection (for the presence check) */
	char pin[256];
} slot_t;

struct ag_pincache {
	slot_t *slots; /* CACHE_SLOTS, in a locked page */
	size_t map_len;
	bool locked;
};

uint64_t ag_pincache_now_ms(void)
{
#ifdef CLOCK_BOOTTIME
	struct timespec ts;
	/* counts suspended time: a PIN does not outlive its window by sleeping */
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
	return kyso_now_ms();
}

ag_pincache_t *ag_pincache_new(void)
{
	ag_pincache_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	size_t need = CACHE_SLOTS * sizeof(slot_t);
	c->slots = ag_lockmem_alloc(need, &c->map_len, &c->locked);
	if (c->slots == NULL) {
		free(c);
		return NULL;
	}
	memset(c->slots, 0, need);
	return c;
}

bool ag_pincache_locked(const ag_pincache_t *c)
{
	return c->locked;
}

static void wipe(slot_t *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

void ag_pincache_free(ag_pincache_t **pc)
{
	ag_pincache_t *c = pc != NULL ? *pc : NULL;
	if (c == NULL)
		return;
	OPENSSL_cleanse(c->slots, c->map_len);
	ag_lockmem_free(c->slots, c->map_len, c->locked);
	free(c);
	*pc = NULL;
}

void ag_pincache_id(const char *module, const char *token_label, const kyso_buf_t *cert_der,
                    uint8_t id[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int len = 0;
	if (m == NULL || EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(m, module != NULL ? module : "",
	                     strlen(module != NULL ? module : "") + 1) != 1 ||
	    EVP_DigestUpdate(m, token_label != NULL ? token_label : "",
	                     strlen(token_label != NULL ? token_label : "") + 1) != 1 ||
	    EVP_DigestUpdate(m, cert_der->data, cert_der->len) != 1 ||
	    EVP_DigestFinal_ex(m, id, &len) != 1 || len != 32)
		memset(id, 0, 32); /* matches nothing that was stored (see put) */
	EVP_MD_CTX_free(m);
}

static bool zero_id(const uint8_t id[32])
{
	for (size_t i = 0; i < 32; i++)
		if (id[i] != 0)
			return false;
	return true;
}

static slot_t *find(ag_pincache_t *c, const uint8_t id[32])
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].used && memcmp(c->slots[i].id, id, 32) == 0)
			return &c->slots[i];
	return NULL;
}

bool ag_pincache_get(ag_pincache_t *c, const uint8_t id[32], char *pin, size_t cap, time_t *until)
{
	ag_pincache_expire(c);
	slot_t *s = find(c, id);
	if (s == NULL || strlen(s->pin) >= cap)
		return false;
	memcpy(pin, s->pin, strlen(s->pin) + 1);
	if (until != NULL)
		*until = s->until_wall;
	return true;
}

bool ag_pincache_put(ag_pincache_t *c, const uint8_t id[32], const char *key_id, const char *pin,
                     unsigned secs)
{
	if (secs == 0 || zero_id(id) || strlen(pin) >= sizeof(c->slots[0].pin) ||
	    (key_id != NULL && strlen(key_id) >= sizeof(c->slots[0].key_id)))
		return false;
	slot_t *s = find(c, id);
	for (size_t i = 0; s == NULL && i < CACHE_SLOTS; i++)
		if (!c->slots[i].used)
			s = &c->slots[i];
	if (s == NULL) {
		/* full: the one expiring first makes room */
		s = &c->slots[0];
		for (size_t i = 1; i < CACHE_SLOTS; i++)
			if (c->slots[i].until_ms < s->until_ms)
				s = &c->slots[i];
	}
	wipe(s);
	s->used = true;
	memcpy(s->id, id, 32);
	s->until_ms = ag_pincache_now_ms() + (uint64_t)secs * 1000u;
	s->until_wall = time(NULL) + (time_t)secs;
	if (key_id != NULL)
		memcpy(s->key_id, key_id, strlen(key_id) + 1);
	memcpy(s->pin, pin, strlen(pin) + 1);
	return true;
}

bool ag_pincache_drop(ag_pincache_t *c, const uint8_t id[32])
{
	slot_t *s = find(c, id);
	if (s == NULL)
		return false;
	wipe(s);
	return true;
}

size_t ag_pincache_expire(ag_pincache_t *c)
{
	uint64_t now = ag_pincache_now_ms();
	size_t n = 0;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].used && c->slots[i].until_ms <= now) {
			wipe(&c->slots[i]);
			kyso_info("agent: the remembered PIN expired and was wiped");
			n++;
		}
	return n;
}

size_t ag_pincache_count(const ag_pincache_t *c)
{
	size_t n = 0;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		n += c->slots[i].used ? 1 : 0;
	return n;
}

uint64_t ag_pincache_next_expiry(const ag_pincache_t *c)
{
	uint64_t t = 0;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].used && (t == 0 || c->slots[i].until_ms < t))
			t = c->slots[i].until_ms;
	return t;
}

bool ag_pincache_entry(const ag_pincache_t *c, size_t i, uint8_t id[32], const char **key_id)
{
	if (i >= CACHE_SLOTS || !c->slots[i].used)
		return false;
	memcpy(id, c->slots[i].id, 32);
	*key_id = c->slots[i].key_id[0] ? c->slots[i].key_id : NULL;
	return true;
}

size_t ag_pincache_slots(void)
{
	return CACHE_SLOTS;
}
