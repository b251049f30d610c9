/* The time-limited PIN cache (docs/agent.md, "PIN cache"): only when the user
 * chose "remember the PIN for N minutes" in the consent dialog, only in this
 * process's memory — one page locked against swapping (mlock) and left out of
 * core dumps (MADV_DONTDUMP) — per token and key, wiped (OPENSSL_cleanse) on
 * expiry, on a wrong PIN, when the token goes away and at exit. Never written
 * anywhere. Only the token worker thread uses it. */
#include "agent.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

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
	struct timespec ts;
#ifdef CLOCK_BOOTTIME
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
#ifndef _WIN32
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	c->map_len = (need + page - 1) / page * page;
	void *m =
	        mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		free(c);
		return NULL;
	}
	c->slots = m;
	c->locked = mlock(m, c->map_len) == 0;
	if (c->locked)
		kyso_debug("agent: PIN cache: %zu bytes locked in memory", c->map_len);
	else
		kyso_warn("agent: cannot lock the PIN cache in memory (RLIMIT_MEMLOCK): a "
		          "remembered PIN could be swapped out");
#ifdef MADV_DONTDUMP
	if (madvise(m, c->map_len, MADV_DONTDUMP) != 0)
		kyso_debug("agent: madvise(MADV_DONTDUMP) failed");
#endif
#else
	c->map_len = need;
	c->slots = calloc(CACHE_SLOTS, sizeof(slot_t));
	if (c->slots == NULL) {
		free(c);
		return NULL;
	}
#endif
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
#ifndef _WIN32
	if (c->locked && munlock(c->slots, c->map_len) != 0)
		kyso_debug("agent: munlock failed");
	if (munmap(c->slots, c->map_len) != 0)
		kyso_debug("agent: munmap failed");
#else
	free(c->slots);
#endif
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
