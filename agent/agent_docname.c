/* The document's name as the consent dialog shows it: the page's file name,
 * (VGCA: the last segment of the download URL), else "PDF document (N MB)";
 * a long name keeps its start and end around an ellipsis so the role, signer
 * and token lines of the dialog stay in view, and no character of the name
 * (a newline, a bidirectional override) can break or reorder those lines. */
#include "agent.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define AG_NAME_CHARS 60 /* characters of a document name shown at most */

/* the code point of the UTF-8 sequence at s (*len its bytes); -1 when it is
 * not valid UTF-8 (then *len = 1) */
static long utf8_decode(const unsigned char *s, size_t *len)
{
	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (n == 0 || s[0] > 0xF4)
		return -1;
	long cp = s[0] & (0x3F >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*len = n;
	return cp;
}

/* bytes of the first n UTF-8 characters of s */
static size_t utf8_prefix(const char *s, size_t n)
{
	size_t i = 0;
	for (size_t c = 0; s[i] != '\0' && c < n; c++) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* characters that would break the dialog's lines or reorder them: C0/C1
 * controls (newlines, tabs), the line and paragraph separators, and the
 * bidirectional controls (a right-to-left override makes "fdp.exe" read
 * "exe.pdf") */
static bool breaks_lines(long cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	       cp == 0x200F || cp == 0x061C;
}

void ag_line_clean(const char *in, size_t max_chars, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	/* 1: one line of valid UTF-8, runs of blanks as one space */
	char line[4096];
	size_t o = 0, chars = 0;
	bool space = true; /* drops leading blanks */
	const unsigned char *s = (const unsigned char *)(in != NULL ? in : "");
	while (*s && o + 4 < sizeof(line)) {
		size_t len;
		long cp = utf8_decode(s, &len);
		if (cp < 0 || cp == 0xFFFD) { /* not UTF-8: shown as U+FFFD */
			memcpy(line + o, "\xEF\xBF\xBD", 3);
			o += 3;
			chars++;
			space = false;
		} else if (cp == ' ' || breaks_lines(cp)) {
			if (!space) {
				line[o++] = ' ';
				chars++;
			}
			space = true;
		} else {
			memcpy(line + o, s, len);
			o += len;
			chars++;
			space = false;
		}
		s += len;
	}
	while (o > 0 && line[o - 1] == ' ') {
		o--;
		chars--;
	}
	line[o] = '\0';
	/* 2: a long line keeps its start and its end (a file name's extension
	 * and number) around an ellipsis */
	if (max_chars < 3 || chars <= max_chars) {
		snprintf(buf, cap, "%s", line);
		return;
	}
	size_t keep = max_chars - 1; /* the ellipsis is one character */
	size_t head = utf8_prefix(line, keep - keep / 2);
	size_t tail_start = utf8_prefix(line, chars - keep / 2);
	snprintf(buf, cap, "%.*s…%s", (int)head, line, line + tail_start);
}

void ag_name_shorten(const char *name, char *buf, size_t cap)
{
	ag_line_clean(name, AG_NAME_CHARS, buf, cap);
}

void ag_doc_label(const ag_request_t *rq, char *buf, size_t cap)
{
	const char *n = rq->doc_name; /* PdfSigner FileName, the VGCA URL's file */
	if (n != NULL && strspn(n, " \t\r\n") < strlen(n)) {
		ag_name_shorten(n, buf, cap);
	} else if (rq->pdf.len > 0 || rq->pdf_path != NULL) {
		double size = (double)rq->pdf.len;
		struct stat st;
		if (rq->pdf.len == 0 && stat(rq->pdf_path, &st) == 0)
			size = (double)st.st_size;
		snprintf(buf, cap, _("PDF document (%.1f MB)"), size / 1e6);
	} else {
		snprintf(buf, cap, "%s", _("(unnamed)"));
	}
}
