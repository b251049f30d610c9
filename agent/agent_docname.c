/* The document's name as the consent dialog shows it: the page's file name,
 * (VGCA: the last segment of the download URL), else "PDF document (N MB)";
 * a long name keeps its start and end around an ellipsis so the role, signer
 * and token lines of the dialog stay in view. */
#include "agent.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define AG_NAME_CHARS 60 /* characters shown at most */

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

static size_t utf8_chars(const char *s)
{
	size_t c = 0;
	for (; *s; s++)
		c += ((unsigned char)*s & 0xC0) != 0x80;
	return c;
}

void ag_name_shorten(const char *name, char *buf, size_t cap)
{
	size_t chars = utf8_chars(name);
	if (chars <= AG_NAME_CHARS) {
		snprintf(buf, cap, "%s", name);
		return;
	}
	size_t head = utf8_prefix(name, AG_NAME_CHARS / 2 - 1);
	size_t tail_start = utf8_prefix(name, chars - (AG_NAME_CHARS / 2 - 1));
	snprintf(buf, cap, "%.*s…%s", (int)head, name, name + tail_start);
}

void ag_doc_label(const ag_request_t *rq, char *buf, size_t cap)
{
	const char *n = rq->doc_name; /* PdfSigner FileName, the VGCA URL's file */
	if (n != NULL && *n) {
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
