/* The Vietnamese sample document (`kyso sign --sample OUT.pdf`): one A4 page
 * of Vietnamese text shaped with HarfBuzz (FreeType font functions, so the
 * diacritics are placed by the font's GPOS/GSUB), the font subset with
 * hb-subset (glyph IDs kept) and embedded as a CIDFontType2 (Identity-H) with
 * a ToUnicode map so the text can be searched and copied. FreeType reads the
 * font's metrics for the font descriptor.
 *
 * HarfBuzz, hb-subset and FreeType are loaded with dlopen() when a sample is
 * made, so every other kyso command does not pay for them (and for GLib, PNG
 * and Brotli behind them) at start-up and in resident memory. */
#include "kyso_signer.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-subset.h>
#include <hb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <zlib.h>

#define SAMPLE_FUNCS(X)                                                                            \
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
	X(hb_face_reference_blob)                                                                  \
	X(hb_font_create)                                                                          \
	X(hb_font_destroy)                                                                         \
	X(hb_font_get_glyph_h_advance)                                                             \
	X(hb_font_set_scale)                                                                       \
	X(hb_language_from_string)                                                                 \
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
	X(hb_subset_or_fail)                                                                       \
	X(FT_Done_Face)                                                                            \
	X(FT_Done_FreeType)                                                                        \
	X(FT_Get_Postscript_Name)                                                                  \
	X(FT_Init_FreeType)                                                                        \
	X(FT_New_Face)

static struct {
#define SAMPLE_DECL(f) __typeof__ (&(f))(f);
	SAMPLE_FUNCS(SAMPLE_DECL)
#undef SAMPLE_DECL
} lib;

/* Linux sonames; core's dlopen on Windows reads them as the DLL names
 * (libharfbuzz-0.dll or libharfbuzz.dll next to kyso.exe, ...). */
static const char *const lib_names[] = {
        "libharfbuzz.so.0",
        "libharfbuzz-subset.so.0",
        "libfreetype.so.6",
};

static kyso_err_t load_libs(kyso_error_t *err)
{
	void *h[3];
	for (size_t i = 0; i < 3; i++) {
		dlerror();
		h[i] = dlopen(lib_names[i], RTLD_NOW | RTLD_LOCAL);
		if (h[i] == NULL) {
			const char *why = dlerror();
			return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
			                      _("The sample document needs %s: %s"), lib_names[i],
			                      why != NULL ? why : "dlopen");
		}
	}
#define SAMPLE_LOAD(f)                                                                             \
	for (size_t i = 0; i < 3 && lib.f == NULL; i++)                                            \
		*(void **)&lib.f = dlsym(h[i], #f);                                                \
	if (lib.f == NULL)                                                                         \
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND,                                     \
		                      _("The sample document needs %s: %s"), #f, "dlsym");
	SAMPLE_FUNCS(SAMPLE_LOAD)
#undef SAMPLE_LOAD
	return KYSO_OK;
}

/* every call below goes through the loaded table */
#define hb_blob_create_from_file_or_fail lib.hb_blob_create_from_file_or_fail
#define hb_blob_destroy                  lib.hb_blob_destroy
#define hb_blob_get_data                 lib.hb_blob_get_data
#define hb_buffer_add_utf8               lib.hb_buffer_add_utf8
#define hb_buffer_create                 lib.hb_buffer_create
#define hb_buffer_destroy                lib.hb_buffer_destroy
#define hb_buffer_get_glyph_infos        lib.hb_buffer_get_glyph_infos
#define hb_buffer_get_glyph_positions    lib.hb_buffer_get_glyph_positions
#define hb_buffer_set_direction          lib.hb_buffer_set_direction
#define hb_buffer_set_language           lib.hb_buffer_set_language
#define hb_buffer_set_script             lib.hb_buffer_set_script
#define hb_face_create                   lib.hb_face_create
#define hb_face_destroy                  lib.hb_face_destroy
#define hb_face_reference_blob           lib.hb_face_reference_blob
#define hb_font_create                   lib.hb_font_create
#define hb_font_destroy                  lib.hb_font_destroy
#define hb_font_get_glyph_h_advance      lib.hb_font_get_glyph_h_advance
#define hb_font_set_scale                lib.hb_font_set_scale
#define hb_language_from_string          lib.hb_language_from_string
#define hb_set_add                       lib.hb_set_add
#define hb_set_create                    lib.hb_set_create
#define hb_set_destroy                   lib.hb_set_destroy
#define hb_set_next                      lib.hb_set_next
#define hb_set_union                     lib.hb_set_union
#define hb_shape                         lib.hb_shape
#define hb_subset_input_create_or_fail   lib.hb_subset_input_create_or_fail
#define hb_subset_input_destroy          lib.hb_subset_input_destroy
#define hb_subset_input_glyph_set        lib.hb_subset_input_glyph_set
#define hb_subset_input_set_flags        lib.hb_subset_input_set_flags
#define hb_subset_or_fail                lib.hb_subset_or_fail
#define FT_Done_Face                     lib.FT_Done_Face
#define FT_Done_FreeType                 lib.FT_Done_FreeType
#define FT_Get_Postscript_Name           lib.FT_Get_Postscript_Name
#define FT_Init_FreeType                 lib.FT_Init_FreeType
#define FT_New_Face                      lib.FT_New_Face

#define SAMPLE_MAX_GLYPHS 4096

static const char *const font_candidates[] = {
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "C:\\Windows\\Fonts\\times.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
};

struct line {
	const char *text;
	double size;
	bool center;
};

/* glyph -> the text it shows (first use wins), for ToUnicode */
struct gmap {
	unsigned gid;
	char utf8[16];
};

struct sample {
	FT_Library ft;
	FT_Face face;
	hb_font_t *font;
	unsigned upem;
	kyso_buf_t content;
	struct gmap *map;
	size_t nmap;
	hb_set_t *glyphs;
	double widths[SAMPLE_MAX_GLYPHS]; /* advance in 1/1000 em, by gid */
};

static const char *find_font(void)
{
	const char *env = getenv("KYSO_SAMPLE_FONT");
	if (env != NULL && env[0] != '\0')
		return env;
	for (size_t i = 0; i < sizeof(font_candidates) / sizeof(font_candidates[0]); i++) {
		FILE *f = fopen(font_candidates[i], "rb");
		if (f != NULL) {
			fclose(f);
			return font_candidates[i];
		}
	}
	return NULL;
}

static void remember(struct sample *s, unsigned gid, const char *text, size_t len)
{
	for (size_t i = 0; i < s->nmap; i++)
		if (s->map[i].gid == gid)
			return;
	struct gmap *m = realloc(s->map, (s->nmap + 1) * sizeof(*m));
	if (m == NULL)
		return;
	s->map = m;
	m[s->nmap].gid = gid;
	if (len >= sizeof(m[s->nmap].utf8))
		len = sizeof(m[s->nmap].utf8) - 1;
	memcpy(m[s->nmap].utf8, text, len);
	m[s->nmap].utf8[len] = '\0';
	s->nmap++;
}

/* Shapes one line and appends it to the content stream at baseline y. */
static kyso_err_t put_line(struct sample *s, const struct line *ln, double y, kyso_error_t *err)
{
	hb_buffer_t *buf = hb_buffer_create();
	hb_buffer_add_utf8(buf, ln->text, -1, 0, -1);
	hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
	hb_buffer_set_script(buf, HB_SCRIPT_LATIN);
	hb_buffer_set_language(buf, hb_language_from_string("vi", -1));
	hb_shape(s->font, buf, NULL, 0);
	unsigned n = 0;
	hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &n);
	hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, &n);
	double scale = ln->size / (double)s->upem, width = 0;
	for (unsigned i = 0; i < n; i++)
		width += pos[i].x_advance * scale;
	double x = ln->center ? (595.0 - width) / 2 : 72.0;
	size_t tlen = strlen(ln->text);
	kyso_err_t rc = KYSO_OK;
	for (unsigned i = 0; i < n && rc == KYSO_OK; i++) {
		unsigned gid = info[i].codepoint;
		if (gid >= SAMPLE_MAX_GLYPHS) {
			rc = kyso_error_set(err, KYSO_ERR_UNSUPPORTED, "font has too many glyphs");
			break;
		}
		hb_set_add(s->glyphs, gid);
		unsigned c0 = info[i].cluster, c1 = (unsigned)tlen;
		for (unsigned k = 0; k < n; k++)
			if (info[k].cluster > c0 && info[k].cluster < c1)
				c1 = info[k].cluster;
		remember(s, gid, ln->text + c0, c1 - c0);
		rc = kyso_buf_printf(&s->content, "1 0 0 1 %.2f %.2f Tm <%04X> Tj\n",
		                     x + pos[i].x_offset * scale, y + pos[i].y_offset * scale, gid);
		x += pos[i].x_advance * scale;
	}
	hb_buffer_destroy(buf);
	if (rc != KYSO_OK && err->code == KYSO_OK)
		kyso_error_set(err, rc, NULL);
	return rc;
}

static kyso_err_t deflate_buf(const uint8_t *in, size_t len, kyso_buf_t *out, kyso_error_t *err)
{
	uLongf cap = compressBound((uLong)len);
	if (kyso_buf_reserve(out, cap) != KYSO_OK)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (compress2(out->data + out->len, &cap, in, (uLong)len, 9) != Z_OK)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "zlib");
	out->len += cap;
	return KYSO_OK;
}

/* UTF-8 -> UTF-16BE hex for ToUnicode */
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

struct writer {
	FILE *f;
	long offs[16];
	int n;
	bool bad;
};

static void obj_begin(struct writer *w)
{
	w->offs[++w->n] = ftell(w->f);
	fprintf(w->f, "%d 0 obj\n", w->n);
}

static void obj_stream(struct writer *w, const char *dict, const kyso_buf_t *data)
{
	obj_begin(w);
	fprintf(w->f, "<< %s /Length %zu >>\nstream\n", dict, data->len);
	if (fwrite(data->data, 1, data->len, w->f) != data->len)
		w->bad = true;
	fprintf(w->f, "\nendstream\nendobj\n");
}

static kyso_err_t write_pdf(struct sample *s, const char *path, const kyso_buf_t *fontfile,
                            size_t font_raw_len, kyso_error_t *err)
{
	kyso_buf_t zc, tu, tuz, w;
	kyso_buf_init(&zc);
	kyso_buf_init(&tu);
	kyso_buf_init(&tuz);
	kyso_buf_init(&w);
	kyso_err_t rc = deflate_buf(s->content.data, s->content.len, &zc, err);
	/* ToUnicode */
	kyso_buf_printf(&tu, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
	                     "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> "
	                     "def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
	                     "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
	for (size_t i = 0; i < s->nmap; i += 100) {
		size_t k = s->nmap - i < 100 ? s->nmap - i : 100;
		kyso_buf_printf(&tu, "%zu beginbfchar\n", k);
		for (size_t j = i; j < i + k; j++) {
			kyso_buf_printf(&tu, "<%04X> <", s->map[j].gid);
			utf16_hex(s->map[j].utf8, &tu);
			kyso_buf_printf(&tu, ">\n");
		}
		kyso_buf_printf(&tu, "endbfchar\n");
	}
	kyso_buf_printf(&tu, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
	if (rc == KYSO_OK)
		rc = deflate_buf(tu.data, tu.len, &tuz, err);
	/* widths */
	kyso_buf_printf(&w, "[");
	hb_codepoint_t g = HB_SET_VALUE_INVALID;
	while (hb_set_next(s->glyphs, &g))
		kyso_buf_printf(&w, " %u [%.0f]", g, s->widths[g]);
	kyso_buf_printf(&w, " ]");

	char name[128];
	const char *ps = FT_Get_Postscript_Name(s->face);
	snprintf(name, sizeof(name), "KYSOAA+%s", ps != NULL ? ps : "Font");
	double k = 1000.0 / s->upem;
	kyso_atomic_file_t *af = rc == KYSO_OK ? kyso_atomic_file_new(path, 0644, err) : NULL;
	if (af == NULL) {
		if (rc == KYSO_OK)
			rc = err->code;
		goto out;
	}
	struct writer wr = {.f = kyso_atomic_file_stream(af)};
	fprintf(wr.f, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	obj_begin(&wr); /* 1 */
	fprintf(wr.f, "<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) >>\nendobj\n");
	obj_begin(&wr); /* 2 */
	fprintf(wr.f, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	obj_begin(&wr); /* 3 */
	fprintf(wr.f, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
	              "<< /F1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n");
	obj_stream(&wr, "/Filter /FlateDecode", &zc); /* 4 */
	obj_begin(&wr);                               /* 5 */
	fprintf(wr.f,
	        "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
	        "/DescendantFonts [6 0 R] /ToUnicode 8 0 R >>\nendobj\n",
	        name);
	obj_begin(&wr); /* 6 */
	fprintf(wr.f,
	        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << "
	        "/Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R "
	        "/CIDToGIDMap /Identity /DW 0 /W %.*s >>\nendobj\n",
	        name, (int)w.len, (const char *)w.data);
	obj_begin(&wr); /* 7 */
	fprintf(wr.f,
	        "<< /Type /FontDescriptor /FontName /%s /Flags 6 /FontBBox [%.0f %.0f %.0f %.0f] "
	        "/ItalicAngle 0 /Ascent %.0f /Descent %.0f /CapHeight %.0f /StemV 80 "
	        "/FontFile2 9 0 R >>\nendobj\n",
	        name, (double)s->face->bbox.xMin * k, (double)s->face->bbox.yMin * k,
	        (double)s->face->bbox.xMax * k, (double)s->face->bbox.yMax * k,
	        (double)s->face->ascender * k, (double)s->face->descender * k,
	        (double)s->face->ascender * k * 0.7);
	obj_stream(&wr, "/Filter /FlateDecode", &tuz); /* 8 */
	char fdict[64];
	snprintf(fdict, sizeof(fdict), "/Filter /FlateDecode /Length1 %zu", font_raw_len);
	obj_stream(&wr, fdict, fontfile); /* 9 */
	long xref = ftell(wr.f);
	fprintf(wr.f, "xref\n0 %d\n0000000000 65535 f \n", wr.n + 1);
	for (int i = 1; i <= wr.n; i++)
		fprintf(wr.f, "%010ld 00000 n \n", wr.offs[i]);
	fprintf(wr.f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", wr.n + 1,
	        xref);
	if (wr.bad) {
		kyso_atomic_file_abort(&af);
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Writing %s failed."), path);
		goto out;
	}
	rc = kyso_atomic_file_commit(&af, err);
out:
	kyso_buf_free(&zc);
	kyso_buf_free(&tu);
	kyso_buf_free(&tuz);
	kyso_buf_free(&w);
	return rc;
}

/* Subset of the font with the glyphs used (glyph IDs kept), deflated. */
static kyso_err_t subset_font(struct sample *s, const char *path, kyso_buf_t *out, size_t *raw,
                              kyso_error_t *err)
{
	hb_blob_t *blob = hb_blob_create_from_file_or_fail(path);
	hb_face_t *face = blob != NULL ? hb_face_create(blob, 0) : NULL;
	hb_subset_input_t *in = hb_subset_input_create_or_fail();
	kyso_err_t rc = KYSO_OK;
	if (face == NULL || in == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot read font %s."), path);
		goto out;
	}
	hb_set_union(hb_subset_input_glyph_set(in), s->glyphs);
	hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_RETAIN_GIDS);
	hb_face_t *sub = hb_subset_or_fail(face, in);
	if (sub == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_INTERNAL, "hb_subset failed for %s", path);
		goto out;
	}
	hb_blob_t *sb = hb_face_reference_blob(sub);
	unsigned len = 0;
	const char *data = hb_blob_get_data(sb, &len);
	*raw = len;
	rc = deflate_buf((const uint8_t *)data, len, out, err);
	hb_blob_destroy(sb);
	hb_face_destroy(sub);
out:
	hb_subset_input_destroy(in);
	hb_face_destroy(face);
	hb_blob_destroy(blob);
	return rc;
}

kyso_err_t kyso_sample_pdf_write(const char *path, kyso_error_t *err)
{
	const char *fontpath = find_font();
	if (fontpath == NULL)
		return kyso_error_set(err, KYSO_ERR_NOT_FOUND,
		                      _("No font with Vietnamese letters was found (install "
		                        "fonts-noto-core or fonts-dejavu-core, or set "
		                        "KYSO_SAMPLE_FONT)."));
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	snprintf(date, sizeof(date), "Ngày %02d tháng %02d năm %04d", tm.tm_mday, tm.tm_mon + 1,
	         tm.tm_year + 1900);
	const struct line lines[] = {
	        {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 14, true},
	        {"Độc lập – Tự do – Hạnh phúc", 13, true},
	        {date, 11, true},
	        {"VĂN BẢN MẪU ĐỂ KIỂM TRA KÝ SỐ", 16, true},
	        {"Văn bản này do kyso tạo ra để thử chữ ký số bằng thiết bị token USB.", 12, false},
	        {"Nếu phần mềm đọc PDF báo chữ ký trên văn bản này hợp lệ, máy tính", 12, false},
	        {"đã sẵn sàng để ký số văn bản điện tử.", 12, false},
	        {"Tiếng Việt có dấu: à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ đ ê ề ế ể ễ ệ", 12, false},
	        {"ô ồ ố ổ ỗ ộ ơ ờ ớ ở ỡ ợ ư ừ ứ ử ữ ự ỳ ý ỷ ỹ ỵ Ư Ơ Đ Ậ Ữ Ỹ", 12, false},
	        {"Kiểm tra xong có thể xoá văn bản này.", 12, false},
	};
	const double ys[] = {780, 760, 735, 680, 640, 620, 602, 570, 552, 520};

	kyso_err_t lrc = load_libs(err);
	if (lrc != KYSO_OK)
		return lrc;
	struct sample *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	kyso_buf_init(&s->content);
	kyso_err_t rc = KYSO_OK;
	if (FT_Init_FreeType(&s->ft) != 0 || FT_New_Face(s->ft, fontpath, 0, &s->face) != 0 ||
	    !FT_IS_SFNT(s->face)) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot read font %s."), fontpath);
		goto out;
	}
	s->upem = s->face->units_per_EM;
	/* HarfBuzz's own OpenType functions in font units; FreeType gives the
	 * descriptor metrics and the PostScript name */
	hb_blob_t *blob = hb_blob_create_from_file_or_fail(fontpath);
	hb_face_t *hface = blob != NULL ? hb_face_create(blob, 0) : NULL;
	hb_blob_destroy(blob);
	if (hface == NULL) {
		rc = kyso_error_set(err, KYSO_ERR_IO, _("Cannot read font %s."), fontpath);
		goto out;
	}
	s->font = hb_font_create(hface);
	hb_face_destroy(hface);
	hb_font_set_scale(s->font, (int)s->upem, (int)s->upem);
	s->glyphs = hb_set_create();
	kyso_buf_printf(&s->content, "BT /F1 1 Tf\n");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && rc == KYSO_OK; i++) {
		kyso_buf_printf(&s->content, "/F1 %.1f Tf\n", lines[i].size);
		rc = put_line(s, &lines[i], ys[i], err);
	}
	kyso_buf_printf(&s->content, "ET\n");
	if (rc != KYSO_OK)
		goto out;
	/* widths from the font's advances (1/1000 em) */
	hb_codepoint_t g = HB_SET_VALUE_INVALID;
	while (hb_set_next(s->glyphs, &g))
		s->widths[g] = hb_font_get_glyph_h_advance(s->font, g) * 1000.0 / s->upem;
	kyso_buf_t font;
	kyso_buf_init(&font);
	size_t raw = 0;
	rc = subset_font(s, fontpath, &font, &raw, err);
	if (rc == KYSO_OK)
		rc = write_pdf(s, path, &font, raw, err);
	kyso_buf_free(&font);
out:
	hb_set_destroy(s->glyphs);
	hb_font_destroy(s->font);
	if (s->face != NULL)
		FT_Done_Face(s->face);
	if (s->ft != NULL)
		FT_Done_FreeType(s->ft);
	kyso_buf_free(&s->content);
	free(s->map);
	free(s);
	return rc;
}
