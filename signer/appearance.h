/* Visible signatures, the signer's side (appearance.c, font_text.c,
 * image_load.c): the built appearance and its pieces. The options are
 * public (kyso_appearance.h). */
#ifndef KYSO_SIGNER_APPEARANCE_INT_H
#define KYSO_SIGNER_APPEARANCE_INT_H
#include "kyso_appearance.h"
#include "pdf.h"

/* A built appearance (owns everything kyso_pdf_appearance_t points to). */
typedef struct kyso_appearance kyso_appearance_t;

/* Builds the appearance for the page chosen in a (checked against pdf: page
 * range, rect on the page, image readable and not huge, font usable). cert:
 * the signer (CN/O/OU/e-mail). *page_index gets the 0-based page.
 * Errors: KYSO_ERR_USAGE (page/rect), KYSO_ERR_BAD_IMAGE, KYSO_ERR_NOT_FOUND
 * (no font), KYSO_ERR_IO. */
kyso_err_t kyso_appearance_build(const kyso_appearance_opts_t *a, kyso_pdf_t *pdf, X509 *cert,
                                 time_t signing_time, const char *reason, const char *location,
                                 kyso_appearance_t **out, long *page_index, kyso_error_t *err);
const kyso_pdf_appearance_t *kyso_appearance_get(const kyso_appearance_t *ap);
/* The issue role's number/date stamps (for kyso_pdf_sig_params_t.stamps). */
const kyso_pdf_stamp_t *kyso_appearance_stamps(const kyso_appearance_t *ap, size_t *n);
void kyso_appearance_free(kyso_appearance_t **ap);

/* ---- pieces (font_text.c, image_load.c) ---------------------------------- */

/* A shaped-text font: HarfBuzz shaping, subset embedding. */
typedef struct kyso_font kyso_font_t;

/* path NULL: the first of Noto Sans, DejaVu Sans, Liberation Sans... found.
 * A font without Vietnamese letters is refused with a warning and the
 * default is used instead. */
kyso_err_t kyso_font_open(const char *path, kyso_font_t **out, kyso_error_t *err);
void kyso_font_free(kyso_font_t **f);
/* A shaped run: glyphs, advances and offsets in 1/1000 em, cluster text. */
typedef struct {
	unsigned gid;
	double adv, dx, dy; /* 1/1000 em */
	bool space;         /* a break opportunity (U+0020) */
} kyso_glyph_t;
/* Shapes UTF-8 text; records glyphs used for the subset and ToUnicode. */
kyso_err_t kyso_font_shape(kyso_font_t *f, const char *text, kyso_glyph_t **glyphs, size_t *n,
                           kyso_error_t *err);
double kyso_font_ascent(const kyso_font_t *f);  /* 1/1000 em */
double kyso_font_descent(const kyso_font_t *f); /* 1/1000 em, negative */
/* Appends the font objects to objs (Type0 first, at index *first) with the
 * subset of glyphs shaped so far. */
kyso_err_t kyso_font_objects(kyso_font_t *f, kyso_pdf_new_obj_t *objs, size_t *n, size_t first,
                             kyso_error_t *err);

/* An image ready for PDF: data + dict for the image and optional SMask. */
typedef struct {
	unsigned width, height;
	char dict[256]; /* without /SMask */
	kyso_buf_t data;
	bool has_alpha;
	char smask_dict[256];
	kyso_buf_t smask;
} kyso_image_t;

/* Loads PNG (8-bit RGB/RGBA after libpng's conversion) or JPEG. Images
 * over 4096x4096 or 20 MB are refused (KYSO_ERR_BAD_IMAGE). */
kyso_err_t kyso_image_load(const char *path, kyso_image_t *img, kyso_error_t *err);
void kyso_image_free(kyso_image_t *img);

#endif
