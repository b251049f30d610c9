/* Personal data in logs and reports is replaced by a keyed pseudonym: the
 * first 8 bytes (64 bits) of HMAC-SHA-256(key, value). Without the key a
 * pseudonym cannot be tested against guesses (a 12-digit citizen ID has only
 * 10^12 values; an unkeyed hash of it is reversed in minutes), with the same
 * key the same value always gets the same pseudonym, so the helpdesk can still
 * group reports.
 *
 * The key: the organisation's (config.json "redact_key", written by
 * `kyso setup --redact-key`), else a random key of this account on this
 * machine, made on first use (kyso_path_state_user()/redact.key, 0600). */
#include "core_int.h"
#include "kyso_config.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX     256
#define MACHINE_KEY 32 /* random bytes of a machine key (64 hex digits in the file) */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[KEY_MAX];
static size_t key_len;
static bool have_key;
/* the key is being looked up on this thread: a log line written meanwhile
 * (a damaged config.json) gets the placeholder, not a recursive lookup */
static _Thread_local bool resolving;

static void set_key_locked(const void *k, size_t len)
{
	kyso_memzero(key, sizeof(key));
	key_len = len < sizeof(key) ? len : sizeof(key);
	memcpy(key, k, key_len);
	have_key = true;
}

void kyso_redact_set_key(const char *k)
{
	pthread_mutex_lock(&key_mu);
	if (k != NULL && *k != '\0')
		set_key_locked(k, strlen(k));
	else {
		kyso_memzero(key, sizeof(key));
		key_len = 0;
		have_key = false; /* looked up again on next use */
	}
	pthread_mutex_unlock(&key_mu);
}

char *kyso_redact_key_path(void)
{
	const char *dir = kyso_path_state_user();
	char *p = NULL;
	if (dir == NULL || dir[0] == '\0' || asprintf(&p, "%s/redact.key", dir) < 0)
		return NULL;
	return p;
}

/* The machine key from its file: 64 hex digits (anything else is ignored). */
static bool read_machine_key(const char *path, unsigned char out[MACHINE_KEY])
{
	uint8_t *data = NULL;
	size_t len = 0;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_file_read_all(path, 4096, &data, &len, &e) != KYSO_OK)
		return false;
	bool ok = len >= 2 * MACHINE_KEY;
	for (size_t i = 0; ok && i < MACHINE_KEY; i++) {
		char hex[3] = {(char)data[2 * i], (char)data[2 * i + 1], '\0'};
		char *end = NULL;
		ok = isxdigit((unsigned char)hex[0]) && isxdigit((unsigned char)hex[1]);
		out[i] = (unsigned char)strtoul(hex, &end, 16);
	}
	kyso_memzero(data, len);
	free(data);
	return ok;
}

/* This account's key on this machine, made on first use. When it cannot be
 * stored (no writable state folder) the key lives for this process only:
 * pseudonyms then differ between runs, but are never unkeyed. */
static void machine_key_locked(void)
{
	unsigned char k[MACHINE_KEY];
	char *path = kyso_redact_key_path();
	if (path != NULL && read_machine_key(path, k)) {
		set_key_locked(k, sizeof(k));
		kyso_memzero(k, sizeof(k));
		free(path);
		return;
	}
	if (RAND_bytes(k, sizeof(k)) != 1) {
		/* no randomness: a fixed key would be an unkeyed hash, so nothing
		 * personal may be shown; the callers print the placeholder */
		free(path);
		return;
	}
	char hex[2 * MACHINE_KEY + 2];
	kyso_hex_encode(k, sizeof(k), hex);
	hex[2 * MACHINE_KEY] = '\n';
	hex[2 * MACHINE_KEY + 1] = '\0';
	kyso_error_t e;
	kyso_error_clear(&e);
	const char *dir = kyso_path_state_user();
	if (path != NULL && dir != NULL && kyso_mkdirs(dir, 0700) == 0 &&
	    kyso_file_write_atomic(path, hex, strlen(hex), 0600, &e) == KYSO_OK) {
		unsigned char back[MACHINE_KEY];
		/* another process may have made one at the same moment: the
		 * file decides, so both use the same */
		if (read_machine_key(path, back))
			memcpy(k, back, sizeof(k));
		kyso_memzero(back, sizeof(back));
	}
	set_key_locked(k, sizeof(k));
	kyso_memzero(k, sizeof(k));
	kyso_memzero(hex, sizeof(hex));
	free(path);
}

static void resolve_locked(void)
{
	kyso_config_t *c = kyso_config_load();
	if (c != NULL && c->redact_key != NULL && c->redact_key[0] != '\0')
		set_key_locked(c->redact_key, strlen(c->redact_key));
	else
		machine_key_locked();
	kyso_config_free(&c);
}

void kyso_redact_hash(const char *value, char dst[KYSO_REDACT_HASH_SIZE])
{
	static const char unknown[KYSO_REDACT_HASH_SIZE] = "[#????????????????]";
	memcpy(dst, unknown, KYSO_REDACT_HASH_SIZE);
	if (resolving)
		return;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	pthread_mutex_lock(&key_mu);
	if (!have_key) {
		resolving = true;
		resolve_locked();
		resolving = false;
	}
	bool ok = have_key && HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)value,
	                           strlen(value), md, &mdlen) != NULL;
	pthread_mutex_unlock(&key_mu);
	if (!ok || mdlen < KYSO_REDACT_HASH_BYTES)
		return;
	dst[0] = '[';
	dst[1] = '#';
	kyso_hex_encode(md, KYSO_REDACT_HASH_BYTES, dst + 2);
	for (int i = 2; i < 2 + 2 * KYSO_REDACT_HASH_BYTES; i++)
		dst[i] = (char)tolower((unsigned char)dst[i]);
	dst[2 + 2 * KYSO_REDACT_HASH_BYTES] = ']';
	dst[3 + 2 * KYSO_REDACT_HASH_BYTES] = '\0';
	kyso_memzero(md, sizeof(md));
}

void kyso_redact_personal(const char *value)
{
	kyso_core_redact_add_personal(value, kyso_redact_hash);
}
