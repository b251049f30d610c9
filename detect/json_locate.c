/* Finds the line of a value in JSON text by its path ("tokens[2].atr[0]"),
 * because jansson does not keep positions of decoded values. The text has
 * already been parsed by jansson, so it is valid JSON; still, every step is
 * bounds-checked and the walk is iterative except along the (short) path. */
#include "detect_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *s;
	size_t len, pos;
	int line;
} cursor_t;

static void skip_ws(cursor_t *c)
{
	while (c->pos < c->len) {
		char ch = c->s[c->pos];
		if (ch == '\n')
			c->line++;
		else if (ch != ' ' && ch != '\t' && ch != '\r')
			return;
		c->pos++;
	}
}

/* At '"': moves past the closing quote; sets start/end of the raw content. */
static bool skip_string(cursor_t *c, size_t *start, size_t *end)
{
	if (c->pos >= c->len || c->s[c->pos] != '"')
		return false;
	c->pos++;
	*start = c->pos;
	while (c->pos < c->len) {
		char ch = c->s[c->pos];
		if (ch == '\\') {
			c->pos += 2;
			continue;
		}
		if (ch == '"') {
			*end = c->pos;
			c->pos++;
			return true;
		}
		c->pos++;
	}
	return false;
}

/* Skips one value of any kind, nested ones by depth counting. */
static bool skip_value(cursor_t *c)
{
	size_t depth = 0, a, b;
	skip_ws(c);
	do {
		if (c->pos >= c->len)
			return false;
		char ch = c->s[c->pos];
		if (ch == '"') {
			if (!skip_string(c, &a, &b))
				return false;
		} else if (ch == '{' || ch == '[') {
			depth++;
			c->pos++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return false;
			depth--;
			c->pos++;
		} else if (ch == '\n') {
			c->line++;
			c->pos++;
		} else {
			c->pos++;
		}
		if (depth > 0)
			continue;
		/* a scalar ends at a delimiter */
		while (c->pos < c->len && ch != '"' && ch != '}' && ch != ']' &&
		       strchr(",}] \t\r\n", c->s[c->pos]) == NULL)
			c->pos++;
	} while (depth > 0);
	return true;
}

/* Next path segment: key (returned in key/klen) or index (*index >= 0). */
static const char *next_segment(const char *p, const char **key, size_t *klen, long *index)
{
	*key = NULL;
	*klen = 0;
	*index = -1;
	if (*p == '.')
		p++;
	if (*p == '[') {
		char *endp;
		*index = strtol(p + 1, &endp, 10);
		if (*endp != ']' || *index < 0)
			return NULL;
		return endp + 1;
	}
	*key = p;
	while (*p != '\0' && *p != '.' && *p != '[')
		p++;
	*klen = (size_t)(p - *key);
	return *klen > 0 ? p : NULL;
}

int kyso_json_locate_line(const char *text, size_t len, const char *path)
{
	cursor_t c = {text, len, 0, 1};
	const char *p = path;
	skip_ws(&c);
	int found = c.line;
	while (p != NULL && *p != '\0') {
		const char *key;
		size_t klen;
		long index;
		p = next_segment(p, &key, &klen, &index);
		if (p == NULL)
			return found;
		skip_ws(&c);
		if (c.pos >= c.len)
			return found;
		char open = c.s[c.pos];
		if ((key != NULL && open != '{') || (key == NULL && open != '['))
			return found;
		c.pos++;
		bool hit = false;
		for (long i = 0;; i++) {
			skip_ws(&c);
			if (c.pos >= c.len || c.s[c.pos] == '}' || c.s[c.pos] == ']')
				return found;
			if (key != NULL) {
				size_t a, b;
				if (!skip_string(&c, &a, &b))
					return found;
				hit = b - a == klen && memcmp(c.s + a, key, klen) == 0;
				if (hit)
					found = c.line;
				skip_ws(&c);
				if (c.pos >= c.len || c.s[c.pos] != ':')
					return found;
				c.pos++;
				skip_ws(&c);
			} else {
				hit = i == index;
				if (hit)
					found = c.line;
			}
			if (hit)
				break;
			if (!skip_value(&c))
				return found;
			skip_ws(&c);
			if (c.pos < c.len && c.s[c.pos] == ',')
				c.pos++;
		}
	}
	return found;
}
