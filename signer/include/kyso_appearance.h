/* Visible signatures (issue 6): the options behind `kyso sign --page/--rect/
 * --image/--text/--role ...`, and the builder that turns them into a
 * kyso_pdf_appearance_t (form XObject content, subset Type0 font, image
 * XObjects) for the PDF writer.
 *
 * Text is shaped with HarfBuzz (loaded with dlopen() on first use, as the
 * sample document does), drawn with a subset of the font (hb-subset, glyph IDs
 * kept) embedded as Type0/CIDFontType2 with /ToUnicode, so Vietnamese
 * diacritics render and can be copied out. Images: PNG (alpha -> /SMask) via
 * libpng, JPEG embedded as is (DCTDecode). */
#ifndef KYSO_SIGNER_APPEARANCE_H
#define KYSO_SIGNER_APPEARANCE_H

#include "kyso_signer.h"

#include <getopt.h>
#include <openssl/x509.h>

typedef enum {
	KYSO_LAYOUT_AUTO = 0,   /* image left + text right with an image, else text */
	KYSO_LAYOUT_IMAGE,      /* image only */
	KYSO_LAYOUT_TEXT,       /* text only */
	KYSO_LAYOUT_IMAGE_LEFT, /* image left, text right */
	KYSO_LAYOUT_IMAGE_TOP,  /* image above text */
} kyso_layout_t;

/* Text lines shown (bit set). */
enum {
	KYSO_SHOW_SIGNER = 1 << 0,   /* "Ký bởi: <CN>" */
	KYSO_SHOW_ORG = 1 << 1,      /* "Cơ quan: <O> - <OU>" */
	KYSO_SHOW_EMAIL = 1 << 2,    /* "Email: ..." */
	KYSO_SHOW_TIME = 1 << 3,     /* "Ngày ký: 25/11/2026 10:15:30 +07:00" */
	KYSO_SHOW_REASON = 1 << 4,   /* "Lý do: ..." */
	KYSO_SHOW_LOCATION = 1 << 5, /* "Nơi ký: ..." */
};

typedef enum {
	KYSO_ROLE_NONE = 0,
	KYSO_ROLE_INITIAL,  /* ký nháy: small mark at the bottom margin */
	KYSO_ROLE_APPROVE,  /* ký duyệt: full appearance */
	KYSO_ROLE_APPENDIX, /* ký số phụ lục: appearance + reference to the main document */
	KYSO_ROLE_ISSUE,    /* văn thư: document number and issue date */
} kyso_role_t;

struct kyso_appearance_opts {
	bool visible;      /* false: invisible signature (the rest is ignored) */
	long page;         /* 1-based; 0 = last page */
	bool all_pages;    /* --page all (one widget per page: not supported yet) */
	bool has_rect;     /* rect given; else the role's default place */
	bool rect_mm;      /* rect in millimetres */
	double rect[4];    /* x, y, w, h from the lower-left of the visible page */
	const char *image; /* PNG or JPEG, NULL = none */
	const char *font;  /* TrueType/OpenType file, NULL = system default */
	kyso_layout_t layout;
	unsigned show;    /* KYSO_SHOW_* ; 0 = the role's default */
	const char *text; /* extra line(s) of text ("\n" separates), may be NULL */
	kyso_role_t role;
	const char *number;   /* --number (issue) */
	const char *date;     /* --date YYYY-MM-DD (issue) */
	const char *main_doc; /* --main-doc (appendix reference) */
	bool invisible_asked; /* --invisible */
	/* issue: --number-rect/--date-rect (-mm): the number and the date drawn
	 * at their own place on the signature's page (a read-only text field
	 * each, same update) instead of as lines of the signature box */
	bool has_number_rect, number_rect_mm, has_date_rect, date_rect_mm;
	double number_rect[4], date_rect[4];
};
typedef struct kyso_appearance_opts kyso_appearance_opts_t;

void kyso_appearance_opts_init(kyso_appearance_opts_t *a);
/* Parses a role name (initial|approve|appendix|issue). */
bool kyso_role_parse(const char *s, kyso_role_t *out);
/* Applies the role's defaults (docs/signing-roles.md) to what the user did
 * not set. */
void kyso_role_defaults(kyso_appearance_opts_t *a);

/* Default place (x, y, w, h in visible-page points) of a role's box on a
 * page of the given visible size. */
void kyso_role_default_rect(kyso_role_t role, double page_w, double page_h, double r[4]);

/* ---- command-line options (appearance_opts.c) ------------------------------ */

/* getopt_long codes of the appearance options (after the sign command's). */
enum {
	KYSO_APOPT_PAGE = 512,
	KYSO_APOPT_RECT,
	KYSO_APOPT_RECT_MM,
	KYSO_APOPT_IMAGE,
	KYSO_APOPT_FONT,
	KYSO_APOPT_LAYOUT,
	KYSO_APOPT_SHOW,
	KYSO_APOPT_TEXT,
	KYSO_APOPT_ROLE,
	KYSO_APOPT_NUMBER,
	KYSO_APOPT_DATE,
	KYSO_APOPT_MAIN_DOC,
	KYSO_APOPT_NUMBER_RECT,
	KYSO_APOPT_NUMBER_RECT_MM,
	KYSO_APOPT_DATE_RECT,
	KYSO_APOPT_DATE_RECT_MM,
	KYSO_APOPT_INVISIBLE,
};
#define KYSO_APPEARANCE_LONG_OPTS                                                                  \
	{"page", required_argument, NULL, KYSO_APOPT_PAGE},                                        \
	        {"rect", required_argument, NULL, KYSO_APOPT_RECT},                                \
	        {"rect-mm", required_argument, NULL, KYSO_APOPT_RECT_MM},                          \
	        {"image", required_argument, NULL, KYSO_APOPT_IMAGE},                              \
	        {"font", required_argument, NULL, KYSO_APOPT_FONT},                                \
	        {"layout", required_argument, NULL, KYSO_APOPT_LAYOUT},                            \
	        {"show", required_argument, NULL, KYSO_APOPT_SHOW},                                \
	        {"text", required_argument, NULL, KYSO_APOPT_TEXT},                                \
	        {"role", required_argument, NULL, KYSO_APOPT_ROLE},                                \
	        {"number", required_argument, NULL, KYSO_APOPT_NUMBER},                            \
	        {"date", required_argument, NULL, KYSO_APOPT_DATE},                                \
	        {"main-doc", required_argument, NULL, KYSO_APOPT_MAIN_DOC},                        \
	        {"number-rect", required_argument, NULL, KYSO_APOPT_NUMBER_RECT},                  \
	        {"number-rect-mm", required_argument, NULL, KYSO_APOPT_NUMBER_RECT_MM},            \
	        {"date-rect", required_argument, NULL, KYSO_APOPT_DATE_RECT},                      \
	        {"date-rect-mm", required_argument, NULL, KYSO_APOPT_DATE_RECT_MM},                \
	{                                                                                          \
		"invisible", no_argument, NULL, KYSO_APOPT_INVISIBLE                               \
	}

/* Handles one appearance option c (KYSO_APOPT_*); KYSO_ERR_USAGE with a
 * message for a bad value. */
kyso_err_t kyso_appearance_parse_opt(int c, const char *arg, kyso_appearance_opts_t *a,
                                     kyso_error_t *err);
/* After parsing: role defaults, consistency; sets a->visible. */
kyso_err_t kyso_appearance_finish(kyso_appearance_opts_t *a, kyso_error_t *err);
/* The translated help section for the appearance options. */
const char *kyso_appearance_usage(void);

#endif
