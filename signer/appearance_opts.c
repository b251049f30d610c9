/* `kyso sign` options of visible signatures and roles. */
#include "appearance.h"

#include <stdlib.h>
#include <string.h>

const char *kyso_appearance_usage(void)
{
	return _(
	        "Visible signature and role:\n"
	        "      --page N|last|all page of the signature box (default: last)\n"
	        "      --rect X,Y,W,H    box in points from the lower-left corner of the page as "
	        "shown\n"
	        "      --rect-mm X,Y,W,H ... in millimetres\n"
	        "      --image FILE      signature image (PNG with transparency, or JPEG)\n"
	        "      --font FILE       TrueType/OpenType font (default: Noto Sans/DejaVu Sans)\n"
	        "      --layout L        auto, image, text, image-left, image-top\n"
	        "      --show LIST       text lines: signer,org,email,time,reason,location\n"
	        "      --text TEXT       extra text line(s)\n"
	        "      --role R          initial, approve, appendix or issue (see "
	        "docs/signing-roles.md)\n"
	        "      --number NO       document number (role issue)\n"
	        "      --date YYYY-MM-DD issue date (role issue)\n"
	        "      --number-rect X,Y,W,H, --date-rect X,Y,W,H (or -mm)\n"
	        "                        draw the number / the date there instead of in the box\n"
	        "      --main-doc TEXT   main document an appendix belongs to (role appendix)\n"
	        "      --invisible       no visible box (the default without the options above)\n");
}

static bool parse_rect(const char *s, double r[4])
{
	char *end = NULL;
	for (int i = 0; i < 4; i++) {
		r[i] = strtod(s, &end);
		if (end == s)
			return false;
		if (i < 3) {
			if (*end != ',')
				return false;
			s = end + 1;
		}
	}
	return *end == '\0' && r[2] > 0 && r[3] > 0;
}

static bool parse_show(const char *s, unsigned *out)
{
	static const struct {
		const char *n;
		unsigned bit;
	} t[] = {{"signer", KYSO_SHOW_SIGNER}, {"org", KYSO_SHOW_ORG},
	         {"email", KYSO_SHOW_EMAIL},   {"time", KYSO_SHOW_TIME},
	         {"reason", KYSO_SHOW_REASON}, {"location", KYSO_SHOW_LOCATION}};
	unsigned v = 0;
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		bool found = false;
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strlen(t[i].n) == len && strncmp(s, t[i].n, len) == 0) {
				v |= t[i].bit;
				found = true;
			}
		if (!found)
			return false;
		s += len;
		if (*s == ',')
			s++;
	}
	*out = v;
	return v != 0;
}

static bool parse_layout(const char *s, kyso_layout_t *out)
{
	static const char *const names[] = {"auto", "image", "text", "image-left", "image-top"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (kyso_layout_t)i;
			return true;
		}
	return false;
}

kyso_err_t kyso_appearance_parse_opt(int c, const char *arg, kyso_appearance_opts_t *a,
                                     kyso_error_t *err)
{
	switch (c) {
	case KYSO_APOPT_PAGE:
		a->visible = true;
		if (strcmp(arg, "last") == 0) {
			a->page = 0;
		} else if (strcmp(arg, "all") == 0) {
			a->all_pages = true;
		} else {
			char *end = NULL;
			long p = strtol(arg, &end, 10);
			if (end == arg || *end != '\0' || p < 1)
				return kyso_error_set(
				        err, KYSO_ERR_USAGE,
				        _("--page takes a page number, last or all, not "
				          "\"%s\"."),
				        arg);
			a->page = p;
		}
		return KYSO_OK;
	case KYSO_APOPT_RECT:
	case KYSO_APOPT_RECT_MM:
		if (!parse_rect(arg, a->rect))
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--rect takes X,Y,W,H (W and H positive), not \"%s\"."), arg);
		a->has_rect = true;
		a->rect_mm = c == KYSO_APOPT_RECT_MM;
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_IMAGE:
		a->image = arg;
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_FONT:
		a->font = arg;
		return KYSO_OK;
	case KYSO_APOPT_LAYOUT:
		if (!parse_layout(arg, &a->layout))
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("--layout takes auto, image, text, image-left or "
			                        "image-top, not \"%s\"."),
			                      arg);
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_SHOW:
		if (!parse_show(arg, &a->show))
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("--show takes a list of signer, org, email, time, "
			                        "reason, location, not \"%s\"."),
			                      arg);
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_TEXT:
		a->text = arg;
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_ROLE:
		if (!kyso_role_parse(arg, &a->role))
			return kyso_error_set(
			        err, KYSO_ERR_USAGE,
			        _("--role takes initial, approve, appendix or issue, not "
			          "\"%s\"."),
			        arg);
		a->visible = true;
		return KYSO_OK;
	case KYSO_APOPT_NUMBER:
		a->number = arg;
		return KYSO_OK;
	case KYSO_APOPT_DATE:
		a->date = arg;
		return KYSO_OK;
	case KYSO_APOPT_MAIN_DOC:
		a->main_doc = arg;
		return KYSO_OK;
	case KYSO_APOPT_NUMBER_RECT:
	case KYSO_APOPT_NUMBER_RECT_MM:
	case KYSO_APOPT_DATE_RECT:
	case KYSO_APOPT_DATE_RECT_MM: {
		bool num = c == KYSO_APOPT_NUMBER_RECT || c == KYSO_APOPT_NUMBER_RECT_MM;
		if (!parse_rect(arg, num ? a->number_rect : a->date_rect))
			return kyso_error_set(err, KYSO_ERR_USAGE,
			                      _("%s takes X,Y,W,H (W and H positive), not \"%s\"."),
			                      num ? "--number-rect" : "--date-rect", arg);
		bool mm = c == KYSO_APOPT_NUMBER_RECT_MM || c == KYSO_APOPT_DATE_RECT_MM;
		if (num) {
			a->has_number_rect = true;
			a->number_rect_mm = mm;
		} else {
			a->has_date_rect = true;
			a->date_rect_mm = mm;
		}
		return KYSO_OK;
	}
	case KYSO_APOPT_INVISIBLE:
		a->invisible_asked = true;
		return KYSO_OK;
	default:
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "appearance option %d", c);
	}
}

kyso_err_t kyso_appearance_finish(kyso_appearance_opts_t *a, kyso_error_t *err)
{
	if ((a->number != NULL || a->date != NULL) && a->role != KYSO_ROLE_ISSUE)
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                      _("--number and --date belong to --role issue."));
	if ((a->has_number_rect || a->has_date_rect) && a->role != KYSO_ROLE_ISSUE)
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                      _("--number-rect and --date-rect belong to --role issue."));
	if (a->role == KYSO_ROLE_ISSUE && (a->number == NULL || a->date == NULL))
		return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
		                      _("--role issue needs --number and --date."));
	if (a->invisible_asked) {
		if (a->visible)
			return kyso_error_set(err, KYSO_ERR_USAGE, "%s",
			                      _("--invisible cannot be combined with the visible "
			                        "signature options."));
		return KYSO_OK;
	}
	if (a->visible)
		kyso_role_defaults(a);
	return KYSO_OK;
}
