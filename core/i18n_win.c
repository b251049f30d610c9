/* i18n on Windows: Debian has no mingw libintl, so this reads the gettext
 * .mo catalog (<locale dir>\<lang>\LC_MESSAGES\kyso.mo) itself. Same API and
 * language rules as i18n.c: Vietnamese by default, English with --lang en or
 * LANGUAGE=en. The console is switched to UTF-8 output. */
#include "core_int.h"
#include "kyso_platform.h"

#include <stdlib.h>
#include <string.h>

#define MO_MAGIC         0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
#define MO_MAX_SIZE      ((size_t)16 * 1024 * 1024)

static char ui_lang[8] = "vi";

static struct {
	uint8_t *data;
	size_t len;
	bool swapped;
	uint32_t count;
	uint32_t orig_off;
	uint32_t trans_off;
} mo;

static const char *normalise_lang(const char *l)
{
	if (l == NULL || *l == '\0')
		return NULL;
	if (strncmp(l, "vi", 2) == 0)
		return "vi";
	if (strncmp(l, "en", 2) == 0 || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0)
		return "en";
	return NULL;
}

static uint32_t mo_u32(size_t off)
{
	const uint8_t *p = mo.data + off;
	uint32_t v =
	        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (mo.swapped)
		v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
	return v;
}

/* String i of the table at off, or NULL when the entry points outside the
 * file or is not NUL-terminated. */
static const char *mo_string(uint32_t table, uint32_t i)
{
	size_t ent = (size_t)table + (size_t)i * (size_t)8;
	if (ent + 8u > mo.len)
		return NULL;
	uint32_t len = mo_u32(ent), off = mo_u32(ent + 4u);
	if ((size_t)off + len >= mo.len || mo.data[(size_t)off + len] != '\0')
		return NULL;
	return (const char *)mo.data + off;
}

static void mo_unload(void)
{
	free(mo.data);
	memset(&mo, 0, sizeof(mo));
}

static void mo_load(const char *lang)
{
	mo_unload();
	char path[4096];
	snprintf(path, sizeof(path), "%s\\%s\\LC_MESSAGES\\kyso.mo", kyso_path_locale(), lang);
	kyso_error_t err;
	kyso_error_clear(&err);
	if (kyso_file_read_all(path, MO_MAX_SIZE, &mo.data, &mo.len, &err) != KYSO_OK) {
		kyso_debug("i18n: no catalog: %s", kyso_error_message(&err));
		return;
	}
	if (mo.len < 28) {
		kyso_warn("i18n: %s is too short for a .mo file", path);
		mo_unload();
		return;
	}
	uint32_t magic = (uint32_t)mo.data[0] | (uint32_t)mo.data[1] << 8 |
	                 (uint32_t)mo.data[2] << 16 | (uint32_t)mo.data[3] << 24;
	if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED) {
		kyso_warn("i18n: %s is not a .mo file", path);
		mo_unload();
		return;
	}
	mo.swapped = magic == MO_MAGIC_SWAPPED;
	mo.count = mo_u32(8);
	mo.orig_off = mo_u32(12);
	mo.trans_off = mo_u32(16);
	if ((uint64_t)mo.orig_off + (uint64_t)mo.count * 8u > mo.len ||
	    (uint64_t)mo.trans_off + (uint64_t)mo.count * 8u > mo.len) {
		kyso_warn("i18n: %s has a broken string table", path);
		mo_unload();
	}
}

void kyso_i18n_init(const char *lang)
{
	const char *l = normalise_lang(lang);
	if (l == NULL)
		l = normalise_lang(getenv("LANGUAGE"));
	if (l == NULL)
		l = "vi";
	snprintf(ui_lang, sizeof(ui_lang), "%s", l);
	kyso_console_utf8();
	/* the Vietnamese catalog even for English (msgids): a thread may switch
	 * to Vietnamese (kyso_i18n_thread_lang) */
	mo_load("vi");
}

const char *kyso_i18n_lang(void)
{
	const char *t = kyso_core_thread_lang();
	return t != NULL ? t : ui_lang;
}

/* msgfmt writes the original strings sorted (strcmp order): binary search. */
const char *kyso_gettext(const char *msgid)
{
	if (mo.data == NULL || msgid == NULL || *msgid == '\0' ||
	    strcmp(kyso_i18n_lang(), "en") == 0)
		return msgid; /* msgids are English */
	uint32_t lo = 0, hi = mo.count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2u;
		const char *o = mo_string(mo.orig_off, mid);
		if (o == NULL)
			return msgid;
		int c = strcmp(msgid, o);
		if (c == 0) {
			const char *t = mo_string(mo.trans_off, mid);
			return t != NULL && *t != '\0' ? t : msgid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return msgid;
}
