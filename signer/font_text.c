/* Shaped text for signature appearances: HarfBuzz shaping (OpenType GSUB/
 * GPOS, so Vietnamese stacked diacritics are placed by the font), hb-subset
 * (glyph IDs kept) embedded as Type0/CIDFontType2 Identity-H with a
 * /ToUnicode map. HarfBuzz is loaded with dlopen() on first use so other
 * commands do not pay for it at start-up. */
#include "appearance.h"

#include <dlfcn.h>
#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FONT_FUNCS(X)                                                                              \
	X(hb_blob_create_from_file_or_fail)                                                        \
	X(hb_blob_destroy)                                                                         \
	X(hb_blob_get_data)                                                                        \
	X(hb_buffer_add_utf8)                                                                      \
	X(hb_buffer_create)                                                                        \
	X(hb_buffer_destroy)                                                                       \
	X(hb_buffer_get_glyph_infos)                                                               \
	X(hb_buffer_get_glyph_positions)                                                           \
	X(hb_buffer_set_direction)                                                                 \
	X(hb_buffer_set_language)                                                                  \
	X(hb_buffer_set_script)                                                                    \
	X(hb_face_create)                                                                          \
	X(hb_face_destroy)                                                                         \
	X(hb_face_get_upem)                                                                        \
	X(hb_face_reference_blob)                                                                  \
	X(hb_font_create)                                                                          \
	X(hb_font_destroy)                                                                         \
	X(hb_font_get_glyph_h_advance)                                                             \
	X(hb_font_get_h_extents)                                                                   \
	X(hb_font_get_nominal_glyph)                                                               \
	X(hb_font_set_scale)                                                                       \
	X(hb_language_from_string)                                                                 \
	X(hb_ot_name_get_utf8)                                                                     \
	X(hb_set_add)                                                                              \
	X(hb_set_create)                                                                           \
	X(hb_set_destroy)                                                                          \
	X(hb_set_next)                                                                             \
	X(hb_set_union)                                                                            \
	X(hb_shape)                                                                                \
	X(hb_subset_input_create_or_fail)                                                          \
	X(hb_subset_input_destroy)                                                                 \
	X(hb_subset_input_glyph_set)                                                               \
	X(hb_subset_input_set_flags)                                                               \
	X(hb_subset_or_fail)

static struct {
#define FONT_DECL(f) __typeof__ (&(f))(f);
	FONT_FUNCS(FONT_DECL)
#undef FONT_DECL
	bool loaded;
} hb;

static kyso_err_t load_hb(kyso_error_t *err)
{
	static const char *const names[] = {"libharfbuzz.so.0", "libharfbuzz-subset.so.0"};
	void *h[2];
	if (hb.loaded)
		return KYSO_OK;
	for (size_t i = 0; i < 2; i++) {
		h[i] = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (h[i] == NULL)
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
			                      _("Visible signatures need %s: %s"), names[i],
			                      dlerror());
	}
#define FONT_LOAD(f)                                                                               \
	for (size_t i = 0; i < 2 && hb.f == NULL; i++)                                             \
		*(void **)&hb.f = dlsym(h[i], #f);                                                 \
	if (hb.f == NULL)                                                                          \
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND,                                     \
		                      _("Visible signatures need %s: %s"), #f, "dlsym");
	FONT_FUNCS(FONT_LOAD)
#undef FONT_LOAD
	hb.loaded = true;
	return KYSO_OK;
}

static const char *const font_candidates[] = {
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
        "C:\\Windows\\Fonts\\segoeui.ttf",
        "C:\\Windows\\Fonts\\tahoma.ttf",
};

#define MAX_GLYPHS 65536

struct gmap {
	unsigned gid;
	char utf8[16];
};

struct kyso_font {
	char path[1024];
	hb_face_t *face;
	hb_font_t *font;
	unsigned upem;
	hb_set_t *used;
	struct gmap *map;
	size_t nmap;
	/* objects' storage */
	char *type0, *cid, *desc, *ff_dict, *tu_dict;
	kyso_buf_t tu, ff;
};

/* Every letter of Vietnamese that is not ASCII must have a glyph. */
static bool has_vietnamese(kyso_font_t *f)
{
	static const unsigned probe[] = {0x0110, 0x0111, 0x01A0, 0x01A1, 0x01AF, 0x01B0, 0x1EA0,
	                                 0x1EAD, 0x1EBF, 0x1EC7, 0x1ED9, 0x1EE3, 0x1EF1, 0x1EF9};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		hb_codepoint_t g = 0;
		if (!hb.hb_font_get_nominal_glyph(f->font, probe[i], &g) || g == 0)
			return false;
	}
	return true;
}

static kyso_err_t open_one(const char *path, kyso_font_t *f, kyso_error_t *err)
{
	hb_blob_t *blob = hb.hb_blob_create_from_file_or_fail(path);
	f->face = blob != NULL ? hb.hb_face_create(blob, 0) : NULL;
	hb.hb_blob_destroy(blob);
	f->upem = f->face != NULL ? hb.hb_face_get_upem(f->face) : 0;
	if (f->face == NULL || f->upem == 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot read font %s."), path);
	f->font = hb.hb_font_create(f->face);
	hb.hb_font_set_scale(f->font, (int)f->upem, (int)f->upem);
	snprintf(f->path, sizeof(f->path), "%s", path);
	return KYSO_OK;
}

static void close_one(kyso_font_t *f)
{
	if (f->font != NULL)
		hb.hb_font_destroy(f->font);
	if (f->face != NULL)
		hb.hb_face_destroy(f->face);
	f->font = NULL;
	f->face = NULL;
}

kyso_err_t kyso_font_open(const char *path, kyso_font_t **out, kyso_error_t *err)
{
	*out = NULL;
	kyso_err_t rc = load_hb(err);
	if (rc != KYSO_OK)
		return rc;
	kyso_font_t *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_buf_init(&f->tu);
	kyso_buf_init(&f->ff);
	if (path != NULL) {
		rc = open_one(path, f, err);
		if (rc != KYSO_OK)
			goto fail;
		if (has_vietnamese(f))
			goto ok;
		kyso_warn(_("Font %s has no Vietnamese letters; using a system font instead."),
		          path);
		close_one(f);
	}
	for (size_t i = 0; i < sizeof(font_candidates) / sizeof(font_candidates[0]); i++) {
		kyso_error_t e2;
		kyso_error_clear(&e2);
		if (open_one(font_candidates[i], f, &e2) != KYSO_OK)
			continue;
		if (has_vietnamese(f))
			goto ok;
		close_one(f);
	}
	rc = kyso_error_set(err, KYSO_ERR_NOT_FOUND,
	                    _("No font with Vietnamese letters was found (install fonts-noto-core "
	                      "or fonts-dejavu-core, or give --font FILE)."));
	goto fail;
ok:
	f->used = hb.hb_set_create();
	hb.hb_set_add(f->used, 0);
	*out = f;
	return KYSO_OK;
fail:
	kyso_font_free(&f);
	return rc;
}

void kyso_font_free(kyso_font_t **fp)
{
	if (fp == NULL || *fp == NULL)
		return;
	kyso_font_t *f = *fp;
	close_one(f);
	if (f->used != NULL)
		hb.hb_set_destroy(f->used);
	free(f->map);
	free(f->type0);
	free(f->cid);
	free(f->desc);
	free(f->ff_dict);
	free(f->tu_dict);
	kyso_buf_free(&f->tu);
	kyso_buf_free(&f->ff);
	free(f);
	*fp = NULL;
}

static void remember(kyso_font_t *f, unsigned gid, const char *text, size_t len)
{
	for (size_t i = 0; i < f->nmap; i++)
		if (f->map[i].gid == gid)
			return;
	struct gmap *m = realloc(f->map, (f->nmap + 1) * sizeof(*m));
	if (m == NULL)
		return;
	f->map = m;
	m[f->nmap].gid = gid;
	if (len >= sizeof(m[f->nmap].utf8))
		len = sizeof(m[f->nmap].utf8) - 1;
	memcpy(m[f->nmap].utf8, text, len);
	m[f->nmap].utf8[len] = '\0';
	f->nmap++;
}

kyso_err_t kyso_font_shape(kyso_font_t *f, const char *text, kyso_glyph_t **glyphs, size_t *n,
                           kyso_error_t *err)
{
	*glyphs = NULL;
	*n = 0;
	hb_buffer_t *buf = hb.hb_buffer_create();
	hb.hb_buffer_add_utf8(buf, text, -1, 0, -1);
	hb.hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
	hb.hb_buffer_set_script(buf, HB_SCRIPT_LATIN);
	hb.hb_buffer_set_language(buf, hb.hb_language_from_string("vi", -1));
	hb.hb_shape(f->font, buf, NULL, 0);
	unsigned cnt = 0;
	hb_glyph_info_t *info = hb.hb_buffer_get_glyph_infos(buf, &cnt);
	hb_glyph_position_t *pos = hb.hb_buffer_get_glyph_positions(buf, &cnt);
	kyso_glyph_t *g = calloc(cnt + 1, sizeof(*g));
	if (g == NULL) {
		hb.hb_buffer_destroy(buf);
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	}
	size_t tlen = strlen(text);
	double k = 1000.0 / f->upem;
	for (unsigned i = 0; i < cnt; i++) {
		unsigned c0 = info[i].cluster, c1 = (unsigned)tlen;
		for (unsigned j = 0; j < cnt; j++)
			if (info[j].cluster > c0 && info[j].cluster < c1)
				c1 = info[j].cluster;
		g[i].gid = info[i].codepoint;
		g[i].adv = pos[i].x_advance * k;
		g[i].dx = pos[i].x_offset * k;
		g[i].dy = pos[i].y_offset * k;
		g[i].space = c1 - c0 == 1 && text[c0] == ' ';
		hb.hb_set_add(f->used, g[i].gid);
		remember(f, g[i].gid, text + c0, c1 - c0);
	}
	hb.hb_buffer_destroy(buf);
	*glyphs = g;
	*n = cnt;
	return KYSO_OK;
}

double kyso_font_ascent(const kyso_font_t *f)
{
	hb_font_extents_t e;
	memset(&e, 0, sizeof(e));
	hb.hb_font_get_h_extents(f->font, &e);
	return e.ascender * 1000.0 / f->upem;
}

double kyso_font_descent(const kyso_font_t *f)
{
	hb_font_extents_t e;
	memset(&e, 0, sizeof(e));
	hb.hb_font_get_h_extents(f->font, &e);
	return e.descender * 1000.0 / f->upem;
}

static kyso_err_t deflate_into(const uint8_t *in, size_t len, kyso_buf_t *out, kyso_error_t *err)
{
	uLongf cap = compressBound((uLong)len);
	if (kyso_buf_reserve(out, cap) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (compress2(out->data + out->len, &cap, in, (uLong)len, 6) != Z_OK)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "zlib");
	out->len += cap;
	return KYSO_OK;
}

static void utf16_hex(const char *s, kyso_buf_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c = *p++;
		int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		if (extra)
			c &= (uint32_t)(0x3F >> extra);
		for (int i = 0; i < extra && (*p & 0xC0) == 0x80; i++)
			c = (c << 6) | (*p++ & 0x3Fu);
		if (c >= 0x10000) {
			c -= 0x10000;
			kyso_buf_printf(out, "%04X%04X", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
		} else {
			kyso_buf_printf(out, "%04X", c);
		}
	}
}

static kyso_err_t to_unicode(kyso_font_t *f, kyso_error_t *err)
{
	kyso_buf_t tu;
	kyso_buf_init(&tu);
	kyso_buf_printf(&tu, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
	                     "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> "
	                     "def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
	                     "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	for (size_t i = 0; i < f->nmap; i += 100) {
		size_t k = f->nmap - i < 100 ? f->nmap - i : 100;
		kyso_buf_printf(&tu, "%zu beginbfchar\n", k);
		for (size_t j = i; j < i + k; j++) {
			kyso_buf_printf(&tu, "<%04X> <", f->map[j].gid);
			utf16_hex(f->map[j].utf8, &tu);
			kyso_buf_printf(&tu, ">\n");
		}
		kyso_buf_printf(&tu, "endbfchar\n");
	}
	kyso_buf_printf(&tu, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	kyso_err_t rc = deflate_into(tu.data, tu.len, &f->tu, err);
	kyso_buf_free(&tu);
	return rc;
}

static kyso_err_t subset(kyso_font_t *f, size_t *raw, kyso_error_t *err)
{
	hb_subset_input_t *in = hb.hb_subset_input_create_or_fail();
	if (in == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	hb.hb_set_union(hb.hb_subset_input_glyph_set(in), f->used);
	hb.hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_RETAIN_GIDS);
	hb_face_t *sub = hb.hb_subset_or_fail(f->face, in);
	hb.hb_subset_input_destroy(in);
	if (sub == NULL)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "hb_subset failed for %s", f->path);
	hb_blob_t *sb = hb.hb_face_reference_blob(sub);
	unsigned len = 0;
	const char *data = hb.hb_blob_get_data(sb, &len);
	*raw = len;
	kyso_err_t rc = deflate_into((const uint8_t *)data, len, &f->ff, err);
	hb.hb_blob_destroy(sb);
	hb.hb_face_destroy(sub);
	return rc;
}

/* PostScript name: letters and digits only, for /BaseFont */
static void ps_name(kyso_font_t *f, char *out, size_t cap)
{
	char name[96] = "";
	unsigned len = sizeof(name);
	hb.hb_ot_name_get_utf8(f->face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &len,
	                       name);
	size_t o = 0;
	o += (size_t)snprintf(out, cap, "KYSOAP+");
	for (const char *p = name; *p != '\0' && o + 1 < cap; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-')
			out[o++] = *p;
	if (o == 7 && o + 5 < cap)
		o += (size_t)snprintf(out + o, cap - o, "Font");
	out[o] = '\0';
}

kyso_err_t kyso_font_objects(kyso_font_t *f, kyso_pdf_new_obj_t *objs, size_t *n, size_t first,
                             kyso_error_t *err)
{
	size_t raw = 0;
	kyso_err_t rc = to_unicode(f, err);
	if (rc == KYSO_OK)
		rc = subset(f, &raw, err);
	if (rc != KYSO_OK)
		return rc;
	char name[128];
	ps_name(f, name, sizeof(name));
	kyso_buf_t w;
	kyso_buf_init(&w);
	kyso_buf_printf(&w, "[");
	hb_codepoint_t g = HB_SET_VALUE_INVALID;
	while (hb.hb_set_next(f->used, &g))
		kyso_buf_printf(&w, " %u [%.0f]", g,
		                hb.hb_font_get_glyph_h_advance(f->font, g) * 1000.0 / f->upem);
	kyso_buf_printf(&w, " ]");
	kyso_buf_append(&w, "", 1);
	double asc = kyso_font_ascent(f), desc = kyso_font_descent(f);
	int ok = asprintf(&f->type0,
	                  "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
	                  "/DescendantFonts [@%zu@] /ToUnicode @%zu@ >>",
	                  name, first + 1, first + 2) > 0 &&
	         asprintf(&f->cid,
	                  "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << "
	                  "/Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor "
	                  "@%zu@ /CIDToGIDMap /Identity /DW 1000 /W %s >>",
	                  name, first + 3, (const char *)w.data) > 0 &&
	         asprintf(&f->desc,
	                  "<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [-1000 %.0f "
	                  "2500 %.0f] /ItalicAngle 0 /Ascent %.0f /Descent %.0f /CapHeight %.0f "
	                  "/StemV 80 /FontFile2 @%zu@ >>",
	                  name, desc, asc, asc, desc, asc * 0.7, first + 4) > 0 &&
	         asprintf(&f->ff_dict, "<< /Filter /FlateDecode /Length1 %zu >>", raw) > 0 &&
	         asprintf(&f->tu_dict, "<< /Filter /FlateDecode >>") > 0;
	kyso_buf_free(&w);
	if (!ok)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	objs[first] = (kyso_pdf_new_obj_t){f->type0, NULL, 0};
	objs[first + 1] = (kyso_pdf_new_obj_t){f->cid, NULL, 0};
	objs[first + 2] = (kyso_pdf_new_obj_t){f->tu_dict, f->tu.data, f->tu.len};
	objs[first + 3] = (kyso_pdf_new_obj_t){f->desc, NULL, 0};
	objs[first + 4] = (kyso_pdf_new_obj_t){f->ff_dict, f->ff.data, f->ff.len};
	*n = first + 5;
	return KYSO_OK;
}
