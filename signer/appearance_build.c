/* Builds a visible signature appearance: places the box on the page (rotated
 * pages and MediaBox/CropBox origins handled), lays out the image and the
 * text lines (wrapped and shrunk to fit), and writes the form XObject content
 * with the font and image objects for the PDF writer. */
#include "appearance.h"
#include "kyso_platform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LINES 16
#define PAD       2.0

struct kyso_appearance {
	kyso_pdf_appearance_t ap;
	kyso_buf_t content;
	kyso_font_t *font;
	kyso_image_t img;
	bool has_img;
	char *img_dict;
	char resources[256];
	kyso_pdf_new_obj_t objs[8];
	/* issue role: number and date at their own place */
	kyso_pdf_stamp_t stamps[2];
	kyso_buf_t stamp_content[2];
	char stamp_value[2][512];
	size_t nstamps;
};

const kyso_pdf_appearance_t *kyso_appearance_get(const kyso_appearance_t *ap)
{
	return &ap->ap;
}

const kyso_pdf_stamp_t *kyso_appearance_stamps(const kyso_appearance_t *ap, size_t *n)
{
	*n = ap->nstamps;
	return ap->stamps;
}

void kyso_appearance_free(kyso_appearance_t **app)
{
	if (app == NULL || *app == NULL)
		return;
	kyso_appearance_t *a = *app;
	kyso_buf_free(&a->content);
	for (size_t i = 0; i < 2; i++)
		kyso_buf_free(&a->stamp_content[i]);
	kyso_font_free(&a->font);
	kyso_image_free(&a->img);
	free(a->img_dict);
	free(a);
	*app = NULL;
}

/* ---- page geometry ------------------------------------------------------ */

struct geom {
	double box[4]; /* visible box (CropBox or MediaBox) in user space */
	int rotate;    /* 0, 90, 180, 270 */
	double vw, vh; /* visible width/height (rotation applied) */
};

static bool get_box(const kyso_pdf_obj_t *page, const char *key, double b[4])
{
	const kyso_pdf_obj_t *a = kyso_pdf_dict_get(page, key);
	if (kyso_pdf_obj_type(a) != KYSO_PDF_ARRAY || kyso_pdf_array_len(a) != 4)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (!kyso_pdf_obj_number(kyso_pdf_array_get(a, i), &b[i]))
			return false;
	double t;
	if (b[0] > b[2]) {
		t = b[0];
		b[0] = b[2];
		b[2] = t;
	}
	if (b[1] > b[3]) {
		t = b[1];
		b[1] = b[3];
		b[3] = t;
	}
	return b[2] > b[0] && b[3] > b[1];
}

static kyso_err_t page_geom(kyso_pdf_t *pdf, long idx, struct geom *g, kyso_error_t *err)
{
	kyso_pdf_obj_t *page = kyso_pdf_page(pdf, idx, NULL, err);
	if (page == NULL)
		return err->code != KYSO_OK ? err->code
		                            : kyso_error_set(err, KYSO_ERR_BAD_PDF, NULL);
	double mb[4];
	if (!get_box(page, "MediaBox", mb)) {
		mb[0] = mb[1] = 0;
		mb[2] = 595;
		mb[3] = 842;
	}
	double cb[4];
	if (get_box(page, "CropBox", cb)) {
		/* CropBox clipped to the MediaBox */
		g->box[0] = fmax(cb[0], mb[0]);
		g->box[1] = fmax(cb[1], mb[1]);
		g->box[2] = fmin(cb[2], mb[2]);
		g->box[3] = fmin(cb[3], mb[3]);
		if (g->box[2] <= g->box[0] || g->box[3] <= g->box[1])
			memcpy(g->box, mb, sizeof(mb));
	} else {
		memcpy(g->box, mb, sizeof(mb));
	}
	int64_t rot = 0;
	kyso_pdf_obj_int(kyso_pdf_dict_get(page, "Rotate"), &rot);
	kyso_pdf_obj_free(page);
	rot %= 360;
	if (rot < 0)
		rot += 360;
	g->rotate = (int)(rot / 90 * 90);
	double w = g->box[2] - g->box[0], h = g->box[3] - g->box[1];
	g->vw = g->rotate % 180 ? h : w;
	g->vh = g->rotate % 180 ? w : h;
	return KYSO_OK;
}

/* visible (vx, vy) from the lower-left of the displayed page -> user space */
static void to_user(const struct geom *g, double vx, double vy, double *ux, double *uy)
{
	double w = g->box[2] - g->box[0], h = g->box[3] - g->box[1], x, y;
	switch (g->rotate) {
	case 90:
		x = w - vy;
		y = vx;
		break;
	case 180:
		x = w - vx;
		y = h - vy;
		break;
	case 270:
		x = vy;
		y = h - vx;
		break;
	default:
		x = vx;
		y = vy;
		break;
	}
	*ux = g->box[0] + x;
	*uy = g->box[1] + y;
}

/* ---- text --------------------------------------------------------------- */

struct para {
	kyso_glyph_t *g;
	size_t n;
};

struct placed {
	size_t para, from, to; /* glyphs [from, to) of a paragraph */
	double width;          /* 1/1000 em */
};

static double run_width(const kyso_glyph_t *g, size_t from, size_t to)
{
	double w = 0;
	for (size_t i = from; i < to; i++)
		w += g[i].adv;
	return w;
}

/* Greedy wrap of every paragraph at max width (1/1000 em); false when more
 * than MAX_LINES lines would be needed. */
static bool wrap(const struct para *p, size_t np, double maxw, struct placed *out, size_t *nout)
{
	size_t k = 0;
	for (size_t i = 0; i < np; i++) {
		size_t start = 0;
		while (start < p[i].n) {
			while (start < p[i].n && p[i].g[start].space)
				start++;
			if (start >= p[i].n)
				break;
			size_t end = start, last_space = 0;
			double w = 0;
			while (end < p[i].n && (w + p[i].g[end].adv <= maxw || end == start)) {
				if (p[i].g[end].space)
					last_space = end;
				w += p[i].g[end].adv;
				end++;
			}
			if (end < p[i].n && last_space > start && !p[i].g[end].space)
				end = last_space;
			if (k >= MAX_LINES)
				return false;
			size_t e2 = end;
			while (e2 > start && p[i].g[e2 - 1].space)
				e2--;
			out[k++] = (struct placed){i, start, e2, run_width(p[i].g, start, e2)};
			start = end;
		}
	}
	*nout = k;
	return true;
}

/* Lays the lines out in the box (x, y, w, h), largest size from 11 pt down
 * to 3 pt that fits; appends the drawing operators. */
static kyso_err_t draw_text(kyso_font_t *font, kyso_buf_t *out, const struct para *p, size_t np,
                            double x, double y, double w, double h)
{
	struct placed lines[MAX_LINES];
	size_t nl = 0;
	double asc = kyso_font_ascent(font) / 1000, desc = -kyso_font_descent(font) / 1000;
	double size = 11;
	bool found = false;
	for (int q = 44; q >= 12 && !found; q--) { /* 11 pt down to 3 pt in 1/4 pt steps */
		size = q / 4.0;
		if (!wrap(p, np, w / size * 1000, lines, &nl))
			continue;
		double lead = (asc + desc) * 1.05 * size;
		bool fits = (double)nl * lead <= h;
		for (size_t i = 0; fits && i < nl; i++)
			fits = lines[i].width * size / 1000 <= w + 0.01;
		found = fits;
	}
	if (!found) {
		size = 3;
		if (!wrap(p, np, w / size * 1000, lines, &nl))
			nl = MAX_LINES;
	}
	double lead = (asc + desc) * 1.05 * size;
	double top = y + h - (h - (double)nl * lead) / 2; /* centred vertically */
	kyso_buf_printf(out, "BT 0 g /F1 %.2f Tf\n", size);
	for (size_t i = 0; i < nl; i++) {
		const struct placed *l = &lines[i];
		double base = top - (double)i * lead - asc * size, cx = x;
		for (size_t j = l->from; j < l->to; j++) {
			const kyso_glyph_t *g = &p[l->para].g[j];
			kyso_buf_printf(out, "1 0 0 1 %.2f %.2f Tm <%04X> Tj\n",
			                cx + g->dx * size / 1000, base + g->dy * size / 1000,
			                g->gid);
			cx += g->adv * size / 1000;
		}
	}
	kyso_buf_printf(out, "ET\n");
	return KYSO_OK;
}

/* ---- lines shown -------------------------------------------------------- */

static void name_entry(X509 *cert, int nid, char *buf, size_t cap)
{
	buf[0] = '\0';
	X509_NAME *n = cert != NULL ? X509_get_subject_name(cert) : NULL;
	int i = n != NULL ? X509_NAME_get_index_by_NID(n, nid, -1) : -1;
	if (i < 0)
		return;
	unsigned char *u = NULL;
	int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len > 0)
		snprintf(buf, cap, "%.*s", len, (const char *)u);
	OPENSSL_free(u);
}

static void initials(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	bool start = true;
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < cap; p++) {
		if (*p == ' ') {
			start = true;
			continue;
		}
		if (start) {
			size_t len = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
			for (size_t i = 0; i < len && p[i]; i++)
				out[o++] = (char)p[i];
			p += len - 1;
			start = false;
		}
	}
	out[o] = '\0';
}

static void vn_time(time_t t, char *buf, size_t cap, bool with_time)
{
	struct tm tm;
	localtime_r(&t, &tm);
	long off = kyso_utc_offset(t);
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	if (with_time)
		snprintf(buf, cap, "%02d/%02d/%04d %02d:%02d:%02d %c%02ld:%02ld", tm.tm_mday,
		         tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
		         off / 3600, off % 3600 / 60);
	else
		snprintf(buf, cap, "%02d/%02d/%04d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
}

/* "2026-11-25" -> "25/11/2026"; false if not a date */
static bool iso_to_vn(const char *s, char *out, size_t cap)
{
	int y, m, d;
	char tail;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31)
		return false;
	snprintf(out, cap, "%02d/%02d/%04d", d, m, y);
	return true;
}

/* "label" + value as one line (nothing when the value is empty) */
static void add_line(char lines[][512], size_t *n, const char *label, const char *v)
{
	if (v == NULL || v[0] == '\0' || *n >= MAX_LINES)
		return;
	kyso_str_printf(lines[(*n)++], 512, "%s%s", label, v); /* a long line is cut */
}

static kyso_err_t text_lines(const kyso_appearance_opts_t *o, X509 *cert, time_t t,
                             const char *reason, const char *location, char lines[][512], size_t *n,
                             kyso_error_t *err)
{
	char cn[256], org[256], ou[256], mail[256], tbuf[64];
	name_entry(cert, NID_commonName, cn, sizeof(cn));
	name_entry(cert, NID_organizationName, org, sizeof(org));
	name_entry(cert, NID_organizationalUnitName, ou, sizeof(ou));
	name_entry(cert, NID_pkcs9_emailAddress, mail, sizeof(mail));
	*n = 0;
	if (o->role == KYSO_ROLE_ISSUE) {
		char d[32];
		if (o->number != NULL && !o->has_number_rect)
			add_line(lines, n, "Số: ", o->number);
		if (o->date != NULL) {
			if (!iso_to_vn(o->date, d, sizeof(d)))
				return kyso_error_set(err, KYSO_ERR_USAGE,
				                      _("--date takes YYYY-MM-DD, not \"%s\"."),
				                      o->date);
			if (!o->has_date_rect)
				add_line(lines, n, "Ngày ban hành: ", d);
		}
	}
	if (o->role == KYSO_ROLE_INITIAL) {
		char ini[64];
		initials(cn, ini, sizeof(ini));
		vn_time(t, tbuf, sizeof(tbuf), false);
		char l[128];
		snprintf(l, sizeof(l), "%s %s", ini[0] ? ini : "",
		         (o->show & KYSO_SHOW_TIME) ? tbuf : "");
		add_line(lines, n, "", l);
	} else {
		if (o->show & KYSO_SHOW_SIGNER)
			add_line(lines, n, "Ký bởi: ", cn);
		if (o->show & KYSO_SHOW_ORG) {
			char both[520];
			snprintf(both, sizeof(both), "%s%s%s", org, org[0] && ou[0] ? " - " : "",
			         ou);
			add_line(lines, n, "Cơ quan: ", both);
		}
		if (o->show & KYSO_SHOW_EMAIL)
			add_line(lines, n, "Email: ", mail);
		if (o->show & KYSO_SHOW_TIME) {
			vn_time(t, tbuf, sizeof(tbuf), true);
			add_line(lines, n, "Ngày ký: ", tbuf);
		}
		if (o->show & KYSO_SHOW_REASON)
			add_line(lines, n, "Lý do: ", reason);
		if (o->show & KYSO_SHOW_LOCATION)
			add_line(lines, n, "Nơi ký: ", location);
	}
	if (o->role == KYSO_ROLE_APPENDIX && o->main_doc != NULL)
		add_line(lines, n, "Phụ lục của văn bản: ", o->main_doc);
	if (o->text != NULL) {
		const char *s = o->text;
		while (*s != '\0' && *n < MAX_LINES) {
			const char *e = strchr(s, '\n');
			size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
			snprintf(lines[(*n)++], 512, "%.*s", (int)len, s);
			s += len + (e != NULL ? 1 : 0);
		}
	}
	return KYSO_OK;
}

/* ---- image -------------------------------------------------------------- */

static void draw_image(kyso_appearance_t *a, double x, double y, double w, double h)
{
	double iw = a->img.width, ih = a->img.height;
	double s = fmin(w / iw, h / ih);
	double dw = iw * s, dh = ih * s;
	kyso_buf_printf(&a->content, "q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n", dw, dh,
	                x + (w - dw) / 2, y + (h - dh) / 2);
}

/* ---- placing a box -------------------------------------------------------- */

/* Visible box r (x, y, w, h) -> widget rectangle in user space; appends to
 * content the matrix that draws upright in visible units. */
static void place_box(const struct geom *g, const double r[4], double rect[4], kyso_buf_t *content)
{
	double x0, y0, x1, y1;
	to_user(g, r[0], r[1], &x0, &y0);
	to_user(g, r[0] + r[2], r[1] + r[3], &x1, &y1);
	rect[0] = fmin(x0, x1);
	rect[1] = fmin(y0, y1);
	rect[2] = fmax(x0, x1);
	rect[3] = fmax(y0, y1);
	double uw = rect[2] - rect[0], uh = rect[3] - rect[1];
	switch (g->rotate) {
	case 90:
		kyso_buf_printf(content, "0 1 -1 0 %.3f 0 cm\n", uw);
		break;
	case 180:
		kyso_buf_printf(content, "-1 0 0 -1 %.3f %.3f cm\n", uw, uh);
		break;
	case 270:
		kyso_buf_printf(content, "0 -1 1 0 0 %.3f cm\n", uh);
		break;
	default:
		break;
	}
}

/* Box from the options (points or mm), checked to lie inside the page. */
static kyso_err_t user_box(const struct geom *g, const double in[4], bool mm, const char *what,
                           long page, double r[4], kyso_error_t *err)
{
	double k = mm ? 72.0 / 25.4 : 1.0;
	for (int i = 0; i < 4; i++)
		r[i] = in[i] * k;
	if (r[2] < 4 || r[3] < 4 || r[0] < -0.01 || r[1] < -0.01 || r[0] + r[2] > g->vw + 0.01 ||
	    r[1] + r[3] > g->vh + 0.01)
		return kyso_error_set(err, KYSO_ERR_USAGE,
		                      _("The %s box %.0f,%.0f %.0fx%.0f pt is not inside page "
		                        "%ld (%.0fx%.0f pt)."),
		                      what, r[0], r[1], r[2], r[3], page, g->vw, g->vh);
	return KYSO_OK;
}

/* The issue role's number or date as a stamp of its own at visible box r. */
static kyso_err_t add_stamp(kyso_appearance_t *a, const struct geom *g, const double r[4],
                            const char *name, const char *value, kyso_error_t *err)
{
	size_t i = a->nstamps;
	kyso_pdf_stamp_t *st = &a->stamps[i];
	kyso_buf_init(&a->stamp_content[i]);
	snprintf(a->stamp_value[i], sizeof(a->stamp_value[i]), "%s", value);
	place_box(g, r, st->rect, &a->stamp_content[i]);
	struct para p = {NULL, 0};
	kyso_err_t rc = kyso_font_shape(a->font, value, &p.g, &p.n, err);
	if (rc == KYSO_OK)
		rc = draw_text(a->font, &a->stamp_content[i], &p, 1, PAD, PAD, r[2] - 2 * PAD,
		               r[3] - 2 * PAD);
	free(p.g);
	if (rc != KYSO_OK)
		return rc;
	st->name = name;
	st->value = a->stamp_value[i];
	st->resources = "<< /Font << /F1 @0@ >> >>";
	a->nstamps++;
	return KYSO_OK;
}

static kyso_err_t add_stamps(kyso_appearance_t *a, const kyso_appearance_opts_t *o,
                             const struct geom *g, long page, kyso_error_t *err)
{
	double r[4];
	char d[32];
	kyso_err_t rc = KYSO_OK;
	if (a->font == NULL && (rc = kyso_font_open(o->font, &a->font, err)) != KYSO_OK)
		return rc;
	if (o->has_number_rect && o->number != NULL) {
		rc = user_box(g, o->number_rect, o->number_rect_mm, _("document number"), page, r,
		              err);
		if (rc == KYSO_OK)
			rc = add_stamp(a, g, r, "Số văn bản", o->number, err);
	}
	if (rc == KYSO_OK && o->has_date_rect && o->date != NULL) {
		if (!iso_to_vn(o->date, d, sizeof(d)))
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("--date takes YYYY-MM-DD, not \"%s\"."), o->date);
		rc = user_box(g, o->date_rect, o->date_rect_mm, _("issue date"), page, r, err);
		if (rc == KYSO_OK)
			rc = add_stamp(a, g, r, "Ngày ban hành", d, err);
	}
	return rc;
}

/* ---- entry point ------------------------------------------------------- */

kyso_err_t kyso_appearance_build(const kyso_appearance_opts_t *o, kyso_pdf_t *pdf, X509 *cert,
                                 time_t signing_time, const char *reason, const char *location,
                                 kyso_appearance_t **out, long *page_index, kyso_error_t *err)
{
	*out = NULL;
	long np = kyso_pdf_page_count(pdf, err);
	if (np <= 0)
		return err->code != KYSO_OK ? err->code
		                            : kyso_error_set(err, KYSO_ERR_BAD_PDF, NULL);
	if (o->page < 0 || o->page > np)
		return kyso_error_set(err, KYSO_ERR_USAGE,
		                      _("Page %ld does not exist: the document has %ld pages."),
		                      o->page, np);
	/* --page all: the box is laid out on the last page and shown on every page */
	long idx = o->page == 0 || o->all_pages ? np - 1 : o->page - 1;
	struct geom g = {.vw = 0}; /* gcc -O3 cannot see page_geom() sets it */
	kyso_err_t rc = page_geom(pdf, idx, &g, err);
	if (rc != KYSO_OK)
		return rc;
	double r[4] = {0, 0, 0, 0};
	if (o->has_rect) {
		double k = o->rect_mm ? 72.0 / 25.4 : 1.0;
		for (int i = 0; i < 4; i++)
			r[i] = o->rect[i] * k;
	} else {
		kyso_role_default_rect(o->role, g.vw, g.vh, r);
	}
	if (r[2] < 4 || r[3] < 4 || r[0] < -0.01 || r[1] < -0.01 || r[0] + r[2] > g.vw + 0.01 ||
	    r[1] + r[3] > g.vh + 0.01)
		return kyso_error_set(
		        err, KYSO_ERR_USAGE,
		        _("The signature box %.0f,%.0f %.0fx%.0f pt is not inside page "
		          "%ld (%.0fx%.0f pt)."),
		        r[0], r[1], r[2], r[3], idx + 1, g.vw, g.vh);

	kyso_appearance_t *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_buf_init(&a->content);
	kyso_layout_t layout = o->layout;
	if (o->image != NULL) {
		rc = kyso_image_load(o->image, &a->img, err);
		if (rc != KYSO_OK)
			goto fail;
		a->has_img = true;
	}
	if (layout == KYSO_LAYOUT_AUTO)
		layout = a->has_img ? KYSO_LAYOUT_IMAGE_LEFT : KYSO_LAYOUT_TEXT;
	if (layout != KYSO_LAYOUT_TEXT && !a->has_img) {
		rc = kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                    _("This layout shows an image: give --image FILE."));
		goto fail;
	}

	place_box(&g, r, a->ap.rect, &a->content);
	double w = r[2], h = r[3];
	double tx = PAD, ty = PAD, tw = w - 2 * PAD, th = h - 2 * PAD;
	if (layout == KYSO_LAYOUT_IMAGE) {
		draw_image(a, PAD, PAD, tw, th);
		tw = 0;
	} else if (layout == KYSO_LAYOUT_IMAGE_LEFT) {
		double iw = fmin(tw * 0.4, th * a->img.width / a->img.height);
		draw_image(a, PAD, PAD, iw, th);
		tx = PAD + iw + PAD;
		tw = w - tx - PAD;
	} else if (layout == KYSO_LAYOUT_IMAGE_TOP) {
		double ih = th * 0.5;
		draw_image(a, PAD, h - PAD - ih, tw, ih);
		th = th - ih - PAD;
	}

	size_t nobj = 0;
	char lines[MAX_LINES][512];
	size_t nl = 0;
	if (tw > 0) {
		rc = text_lines(o, cert, signing_time != 0 ? signing_time : time(NULL), reason,
		                location, lines, &nl, err);
		if (rc != KYSO_OK)
			goto fail;
	}
	if (nl > 0) {
		rc = kyso_font_open(o->font, &a->font, err);
		if (rc != KYSO_OK)
			goto fail;
		struct para p[MAX_LINES];
		memset(p, 0, sizeof(p));
		for (size_t i = 0; i < nl && rc == KYSO_OK; i++)
			rc = kyso_font_shape(a->font, lines[i], &p[i].g, &p[i].n, err);
		if (rc == KYSO_OK)
			rc = draw_text(a->font, &a->content, p, nl, tx, ty, tw, th);
		for (size_t i = 0; i < nl; i++)
			free(p[i].g);
		if (rc != KYSO_OK)
			goto fail;
	}
	if (o->role == KYSO_ROLE_ISSUE && (o->has_number_rect || o->has_date_rect)) {
		rc = add_stamps(a, o, &g, idx + 1, err);
		if (rc != KYSO_OK)
			goto fail;
	}
	/* the font subset once every text is shaped (box and stamps) */
	if (a->font != NULL) {
		rc = kyso_font_objects(a->font, a->objs, &nobj, 0, err);
		if (rc != KYSO_OK)
			goto fail;
	}
	size_t img_at = nobj;
	if (a->has_img) {
		const char *tail = a->img.has_alpha ? "" : " >>";
		char smask[32] = "";
		if (a->img.has_alpha)
			snprintf(smask, sizeof(smask), " /SMask @%zu@ >>", img_at + 1);
		if (asprintf(&a->img_dict, "%s%s%s", a->img.dict, tail, smask) < 0) {
			a->img_dict = NULL;
			rc = kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
			goto fail;
		}
		a->objs[nobj++] =
		        (kyso_pdf_new_obj_t){a->img_dict, a->img.data.data, a->img.data.len};
		if (a->img.has_alpha)
			a->objs[nobj++] = (kyso_pdf_new_obj_t){a->img.smask_dict, a->img.smask.data,
			                                       a->img.smask.len};
	}
	char fonts[64] = "", xobj[64] = "";
	if (a->font != NULL)
		snprintf(fonts, sizeof(fonts), "/Font << /F1 @0@ >> ");
	if (a->has_img)
		snprintf(xobj, sizeof(xobj), "/XObject << /Im1 @%zu@ >> ", img_at);
	snprintf(a->resources, sizeof(a->resources), "<< %s%s>>", fonts, xobj);
	a->ap.content = a->content.data;
	a->ap.content_len = a->content.len;
	a->ap.resources = a->resources;
	a->ap.objects = a->objs;
	a->ap.object_count = nobj;
	for (size_t i = 0; i < a->nstamps; i++) {
		a->stamps[i].content = a->stamp_content[i].data;
		a->stamps[i].content_len = a->stamp_content[i].len;
	}

	*out = a;
	*page_index = idx;
	return KYSO_OK;
fail:
	kyso_appearance_free(&a);
	return rc;
}
