/* PDF byte source (file through a small block cache, or memory) and the
 * tokenizer (ISO 32000-2 7.2-7.3). */
#include "pdf_impl.h"

#include <stdlib.h>
#include <string.h>

size_t kyso_pdf_file_read(kyso_pdf_t *pdf, uint64_t off, void *dst, size_t len)
{
	if (off >= pdf->size)
		return 0;
	if (len > pdf->size - off)
		len = (size_t)(pdf->size - off);
	if (fseeko(pdf->f, (off_t)off, SEEK_SET) != 0)
		return 0;
	return fread(dst, 1, len, pdf->f);
}

static pdf_block_t *block_get(kyso_pdf_t *pdf, uint64_t pos)
{
	uint64_t base = pos - pos % PDF_BLOCK_SIZE;
	pdf_block_t *victim = &pdf->blocks[0];
	for (size_t i = 0; i < PDF_BLOCK_COUNT; i++) {
		pdf_block_t *b = &pdf->blocks[i];
		if (b->valid && b->base == base) {
			b->used = ++pdf->tick;
			return b;
		}
		if (!b->valid || b->used < victim->used)
			victim = b;
		if (!b->valid)
			break;
	}
	victim->base = base;
	victim->len = kyso_pdf_file_read(pdf, base, victim->data, PDF_BLOCK_SIZE);
	victim->valid = true;
	victim->used = ++pdf->tick;
	return victim;
}

void kyso_pdf_src_file(pdf_src_t *s, kyso_pdf_t *pdf, uint64_t pos)
{
	s->pdf = pdf;
	s->mem = NULL;
	s->pos = pos;
	s->end = pdf->size;
}

void kyso_pdf_src_mem(pdf_src_t *s, const uint8_t *mem, size_t len, size_t pos)
{
	s->pdf = NULL;
	s->mem = mem;
	s->pos = pos;
	s->end = len;
}

void kyso_pdf_src_mem_of(pdf_src_t *s, kyso_pdf_t *pdf, const uint8_t *mem, size_t len, size_t pos)
{
	kyso_pdf_src_mem(s, mem, len, pos);
	s->pdf = pdf;
}

int kyso_pdf_src_peek(pdf_src_t *s)
{
	if (s->pos >= s->end)
		return -1;
	/* every byte looked at is work: a budget used up reads as the end */
	if (s->pdf != NULL && !pdf_work(s->pdf, 1))
		return -1;
	if (s->mem)
		return s->mem[s->pos];
	pdf_block_t *b = block_get(s->pdf, s->pos);
	uint64_t i = s->pos - b->base;
	if (i >= b->len)
		return -1;
	return b->data[i];
}

int kyso_pdf_src_get(pdf_src_t *s)
{
	int c = kyso_pdf_src_peek(s);
	if (c >= 0)
		s->pos++;
	return c;
}

bool kyso_pdf_is_white(int c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

bool kyso_pdf_is_delim(int c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == '/' || c == '%';
}

void kyso_pdf_skip_ws(pdf_src_t *s)
{
	for (;;) {
		int c = kyso_pdf_src_peek(s);
		if (c < 0)
			return;
		if (kyso_pdf_is_white(c)) {
			s->pos++;
		} else if (c == '%') {
			while ((c = kyso_pdf_src_peek(s)) >= 0 && c != '\n' && c != '\r')
				s->pos++;
		} else {
			return;
		}
	}
}

static bool tok_putc(pdf_tok_t *t, int c)
{
	if (t->s.len >= PDF_MAX_STRING)
		return false;
	if (t->s.len + 2 > t->s.cap &&
	    kyso_buf_reserve(&t->s, t->s.len < 64 ? 64 : t->s.len) != KYSO_OK)
		return false;
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): reserved just above */
	t->s.data[t->s.len++] = (uint8_t)c;
	t->s.data[t->s.len] = 0;
	return true;
}

static pdf_tok_type_t lex_literal(pdf_src_t *s, pdf_tok_t *t)
{
	int depth = 1;
	for (;;) {
		int c = kyso_pdf_src_get(s);
		if (c < 0)
			return t->type = TOK_ERROR;
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				break;
		} else if (c == '\\') {
			c = kyso_pdf_src_get(s);
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '\r':
				if (kyso_pdf_src_peek(s) == '\n')
					s->pos++;
				continue;
			case '\n':
				continue;
			case -1:
				return t->type = TOK_ERROR;
			default:
				if (c >= '0' && c <= '7') {
					int v = c - '0';
					for (int k = 0; k < 2; k++) {
						int d = kyso_pdf_src_peek(s);
						if (d < '0' || d > '7')
							break;
						v = v * 8 + (d - '0');
						s->pos++;
					}
					c = v & 0xff;
				}
				break;
			}
		} else if (c == '\r') {
			/* an unescaped EOL is read as \n */
			if (kyso_pdf_src_peek(s) == '\n')
				s->pos++;
			c = '\n';
		}
		if (!tok_putc(t, c))
			return t->type = TOK_ERROR;
	}
	return t->type = TOK_STRING;
}

static pdf_tok_type_t lex_hex(pdf_src_t *s, pdf_tok_t *t)
{
	int hi = -1;
	for (;;) {
		int c = kyso_pdf_src_get(s);
		if (c < 0)
			return t->type = TOK_ERROR;
		if (c == '>')
			break;
		if (kyso_pdf_is_white(c))
			continue;
		int v = kyso_hex_digit(c);
		if (v < 0)
			return t->type = TOK_ERROR;
		if (hi < 0) {
			hi = v;
		} else {
			if (!tok_putc(t, hi * 16 + v))
				return t->type = TOK_ERROR;
			hi = -1;
		}
	}
	if (hi >= 0 && !tok_putc(t, hi * 16))
		return t->type = TOK_ERROR;
	t->hex = true;
	return t->type = TOK_STRING;
}

static pdf_tok_type_t lex_name(pdf_src_t *s, pdf_tok_t *t)
{
	for (;;) {
		int c = kyso_pdf_src_peek(s);
		if (c < 0 || kyso_pdf_is_white(c) || kyso_pdf_is_delim(c))
			break;
		s->pos++;
		if (c == '#') {
			int h = kyso_hex_digit(kyso_pdf_src_peek(s));
			if (h >= 0) {
				s->pos++;
				int l = kyso_hex_digit(kyso_pdf_src_peek(s));
				if (l >= 0) {
					s->pos++;
					c = h * 16 + l;
				} else {
					c = h;
				}
			}
		}
		if (t->s.len > 4096 || !tok_putc(t, c))
			return t->type = TOK_ERROR;
	}
	return t->type = TOK_NAME;
}

static pdf_tok_type_t lex_number_or_keyword(pdf_src_t *s, pdf_tok_t *t)
{
	for (;;) {
		int c = kyso_pdf_src_peek(s);
		if (c < 0 || kyso_pdf_is_white(c) || kyso_pdf_is_delim(c))
			break;
		s->pos++;
		if (t->s.len > 255)
			return t->type = TOK_ERROR;
		if (!tok_putc(t, c))
			return t->type = TOK_ERROR;
	}
	const char *p = (const char *)t->s.data;
	size_t n = t->s.len;
	size_t i = 0;
	bool neg = false, digits = false, dot = false;
	if (i < n && (p[i] == '+' || p[i] == '-')) {
		neg = p[i] == '-';
		i++;
	}
	int64_t iv = 0;
	double frac = 0, scale = 1;
	bool overflow = false;
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			digits = true;
			if (dot) {
				scale /= 10;
				frac += (p[i] - '0') * scale;
			} else if (iv > (INT64_MAX - 9) / 10) {
				overflow = true;
			} else {
				iv = iv * 10 + (p[i] - '0');
			}
		} else if (p[i] == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (i == n && (digits || dot) && n > 0 && !(n == 1 && dot)) {
		if (dot || overflow) {
			t->r = ((double)iv + frac) * (neg ? -1 : 1);
			return t->type = TOK_REAL;
		}
		t->i = neg ? -iv : iv;
		return t->type = TOK_INT;
	}
	if (n == 0)
		return t->type = TOK_ERROR;
	return t->type = TOK_KEYWORD;
}

pdf_tok_type_t kyso_pdf_lex(pdf_src_t *s, pdf_tok_t *t)
{
	t->s.len = 0;
	if (t->s.data)
		t->s.data[0] = 0;
	t->hex = false;
	kyso_pdf_skip_ws(s);
	t->start = s->pos;
	int c = kyso_pdf_src_get(s);
	switch (c) {
	case -1:
		return t->type = TOK_EOF;
	case '[':
		return t->type = TOK_ARRAY_OPEN;
	case ']':
		return t->type = TOK_ARRAY_CLOSE;
	case '{':
	case '}':
		/* PostScript braces: a one-character keyword, spelled out so that
		 * every keyword token carries its text. */
		if (!tok_putc(t, c))
			return t->type = TOK_ERROR;
		return t->type = TOK_KEYWORD;
	case '(':
		return lex_literal(s, t);
	case '<':
		if (kyso_pdf_src_peek(s) == '<') {
			s->pos++;
			return t->type = TOK_DICT_OPEN;
		}
		return lex_hex(s, t);
	case '>':
		if (kyso_pdf_src_peek(s) == '>') {
			s->pos++;
			return t->type = TOK_DICT_CLOSE;
		}
		return t->type = TOK_ERROR;
	case ')':
		return t->type = TOK_ERROR;
	case '/':
		if (!tok_putc(t, 0))
			return t->type = TOK_ERROR;
		t->s.len = 0;
		return lex_name(s, t);
	default:
		s->pos--;
		return lex_number_or_keyword(s, t);
	}
}

void kyso_pdf_tok_free(pdf_tok_t *t)
{
	kyso_buf_free(&t->s);
}
