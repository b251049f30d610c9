/* The Vietnamese sample document (`kyso sign --sample OUT.pdf`): one A4 page
 * of Vietnamese text, shaped and embedded by the appearance's font embedder
 * (font_text.c: HarfBuzz shaping, hb-subset with glyph IDs kept, a
 * CIDFontType2 Identity-H font with a ToUnicode map, so the text can be
 * searched and copied). HarfBuzz is loaded with dlopen() there, when a sample
 * or a visible signature is made. */
#include "appearance.h"
#include "kyso_signer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* a serif face first: the sample reads like an official document */
static const char *const font_candidates[] = {
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "C:\\Windows\\Fonts\\times.ttf",
};

struct line {
	const char *text;
	double size;
	bool center;
};

/* KYSO_SAMPLE_FONT, else a serif font, else NULL: the embedder's default */
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

/* Shapes one line and appends it to the content stream at baseline y. */
static kyso_err_t put_line(kyso_font_t *font, kyso_buf_t *content, const struct line *ln, double y,
                           kyso_error_t *err)
{
	kyso_glyph_t *g = NULL;
	size_t n = 0;
	kyso_err_t rc = kyso_font_shape(font, ln->text, &g, &n, err);
	if (rc != KYSO_OK)
		return rc;
	double k = ln->size / 1000.0, width = 0;
	for (size_t i = 0; i < n; i++)
		width += g[i].adv * k;
	double x = ln->center ? (595.0 - width) / 2 : 72.0;
	rc = kyso_buf_printf(content, "/F1 %.1f Tf\n", ln->size);
	for (size_t i = 0; i < n && rc == KYSO_OK; i++) {
		rc = kyso_buf_printf(content, "1 0 0 1 %.2f %.2f Tm <%04X> Tj\n", x + g[i].dx * k,
		                     y + g[i].dy * k, g[i].gid);
		x += g[i].adv * k;
	}
	free(g);
	if (rc != KYSO_OK)
		kyso_error_set(err, rc, NULL);
	return rc;
}

/* Objects 1-4 are the catalog, page tree, page and content; the font's
 * objects follow from 5 (index i of objs is object 5 + i). */
#define FONT_FIRST_OBJ 5

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

/* A font object: "@k@" references become "N 0 R" (see kyso_pdf_new_obj_t);
 * a stream's /Length goes in before the dictionary's closing ">>". */
static void put_font_obj(struct writer *w, const kyso_pdf_new_obj_t *o)
{
	obj_begin(w);
	const char *end = o->dict + strlen(o->dict);
	if (o->data != NULL && end - o->dict >= 2 && memcmp(end - 2, ">>", 2) == 0)
		end -= 2;
	for (const char *p = o->dict; p < end; p++) {
		char *num_end;
		unsigned long idx = *p == '@' ? strtoul(p + 1, &num_end, 10) : 0;
		if (*p == '@' && num_end > p + 1 && *num_end == '@') {
			fprintf(w->f, "%lu 0 R", idx + FONT_FIRST_OBJ);
			p = num_end;
		} else {
			fputc(*p, w->f);
		}
	}
	if (o->data != NULL) {
		fprintf(w->f, " /Length %zu >>\nstream\n", o->data_len);
		if (fwrite(o->data, 1, o->data_len, w->f) != o->data_len)
			w->bad = true;
		fprintf(w->f, "\nendstream");
	}
	fprintf(w->f, "\nendobj\n");
}

static kyso_err_t write_pdf(const char *path, const kyso_buf_t *content,
                            const kyso_pdf_new_obj_t *objs, size_t nobj, kyso_error_t *err)
{
	uLongf zlen = compressBound((uLong)content->len);
	uint8_t *z = malloc(zlen);
	if (z == NULL)
		return kyso_error_set(err, KYSO_ERR_NOMEM, NULL);
	if (compress2(z, &zlen, content->data, (uLong)content->len, 9) != Z_OK) {
		free(z);
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "zlib");
	}
	kyso_atomic_file_t *af = kyso_atomic_file_new(path, 0644, err);
	if (af == NULL) {
		free(z);
		return err->code;
	}
	struct writer wr = {.f = kyso_atomic_file_stream(af)};
	fprintf(wr.f, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	obj_begin(&wr); /* 1 */
	fprintf(wr.f, "<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) >>\nendobj\n");
	obj_begin(&wr); /* 2 */
	fprintf(wr.f, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	obj_begin(&wr); /* 3 */
	fprintf(wr.f,
	        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
	        "<< /F1 %d 0 R >> >> /Contents 4 0 R >>\nendobj\n",
	        FONT_FIRST_OBJ);
	obj_begin(&wr); /* 4 */
	fprintf(wr.f, "<< /Filter /FlateDecode /Length %lu >>\nstream\n", (unsigned long)zlen);
	if (fwrite(z, 1, zlen, wr.f) != zlen)
		wr.bad = true;
	fprintf(wr.f, "\nendstream\nendobj\n");
	free(z);
	for (size_t i = 0; i < nobj; i++)
		put_font_obj(&wr, &objs[i]);
	long xref = ftell(wr.f);
	fprintf(wr.f, "xref\n0 %d\n0000000000 65535 f \n", wr.n + 1);
	for (int i = 1; i <= wr.n; i++)
		fprintf(wr.f, "%010ld 00000 n \n", wr.offs[i]);
	fprintf(wr.f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", wr.n + 1,
	        xref);
	if (wr.bad) {
		kyso_atomic_file_abort(&af);
		return kyso_error_set(err, KYSO_ERR_IO, _("Writing %s failed."), path);
	}
	return kyso_atomic_file_commit(&af, err);
}

kyso_err_t kyso_sample_pdf_write(const char *path, kyso_error_t *err)
{
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

	kyso_font_t *font = NULL;
	kyso_err_t rc = kyso_font_open(find_font(), &font, err);
	if (rc != KYSO_OK)
		return rc;
	kyso_buf_t content;
	kyso_buf_init(&content);
	kyso_buf_printf(&content, "BT\n");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]) && rc == KYSO_OK; i++)
		rc = put_line(font, &content, &lines[i], ys[i], err);
	kyso_buf_printf(&content, "ET\n");
	kyso_pdf_new_obj_t objs[8];
	size_t nobj = 0;
	if (rc == KYSO_OK)
		rc = kyso_font_objects(font, objs, &nobj, 0, err);
	if (rc == KYSO_OK)
		rc = write_pdf(path, &content, objs, nobj, err);
	kyso_buf_free(&content);
	kyso_font_free(&font);
	return rc;
}
