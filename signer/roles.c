/* Signing roles of a Vietnamese office (docs/signing-roles.md): which page,
 * where and what a role's appearance shows when the user does not say. */
#include "appearance.h"

#include <string.h>

void kyso_appearance_opts_init(kyso_appearance_opts_t *a)
{
	memset(a, 0, sizeof(*a));
	a->page = 0; /* last */
	a->layout = KYSO_LAYOUT_AUTO;
}

bool kyso_role_parse(const char *s, kyso_role_t *out)
{
	static const struct {
		const char *name;
		kyso_role_t r;
	} t[] = {{"initial", KYSO_ROLE_INITIAL},
	         {"approve", KYSO_ROLE_APPROVE},
	         {"appendix", KYSO_ROLE_APPENDIX},
	         {"issue", KYSO_ROLE_ISSUE}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].r;
			return true;
		}
	return false;
}

void kyso_role_defaults(kyso_appearance_opts_t *a)
{
	switch (a->role) {
	case KYSO_ROLE_INITIAL:
		/* a small mark: the image, or the signer's initials and the date */
		if (a->show == 0)
			a->show = KYSO_SHOW_TIME;
		if (a->layout == KYSO_LAYOUT_AUTO)
			a->layout = a->image != NULL ? KYSO_LAYOUT_IMAGE : KYSO_LAYOUT_TEXT;
		break;
	case KYSO_ROLE_APPROVE:
		if (a->show == 0)
			a->show = KYSO_SHOW_SIGNER | KYSO_SHOW_ORG | KYSO_SHOW_TIME |
			          KYSO_SHOW_REASON;
		break;
	case KYSO_ROLE_APPENDIX:
		if (a->show == 0)
			a->show = KYSO_SHOW_SIGNER | KYSO_SHOW_ORG | KYSO_SHOW_TIME;
		break;
	case KYSO_ROLE_ISSUE:
		if (a->show == 0)
			a->show = KYSO_SHOW_ORG | KYSO_SHOW_TIME;
		if (!a->has_rect && a->page == 0)
			a->page = 1; /* number and date go on the first page */
		break;
	case KYSO_ROLE_NONE:
	default:
		if (a->show == 0)
			a->show = KYSO_SHOW_SIGNER | KYSO_SHOW_ORG | KYSO_SHOW_TIME |
			          KYSO_SHOW_REASON | KYSO_SHOW_LOCATION;
		break;
	}
}

void kyso_role_default_rect(kyso_role_t role, double page_w, double page_h, double r[4])
{
	(void)page_h; /* every default sits in the lower part of the page */
	switch (role) {
	case KYSO_ROLE_INITIAL: /* bottom margin, right */
		r[2] = 90;
		r[3] = 30;
		r[0] = page_w - 36 - r[2];
		r[1] = 8;
		break;
	case KYSO_ROLE_ISSUE:
		/* the agency's stamp covers the left third of the approver's
		 * signature (Decree 30/2020, appendix I), in the lower part of the
		 * page: the old place under the agency name overlapped the header
		 * (number line) and the title */
		r[2] = 220;
		r[3] = 70;
		r[0] = page_w - 36 - 230 - r[2] * 2 / 3;
		r[1] = 60 + 10;
		break;
	default: /* approve, appendix, plain: lower right, above the margin */
		r[2] = 230;
		r[3] = 90;
		r[0] = page_w - 36 - r[2];
		r[1] = 60;
		break;
	}
	if (r[0] < 0)
		r[0] = 0;
	if (r[1] < 0)
		r[1] = 0;
}
