/* The applets kyso-vicc can run (--applet NAME). Add new emulations here. */
#include "vicc_applet.h"

#include <string.h>

extern const struct vicc_applet vicc_applet_bit4id; /* applet_bit4id.c, built by tests/bit4id */
static const struct vicc_applet *const applets[] = {
	&vicc_applet_iso,
	&vicc_applet_bit4id,
};

const struct vicc_applet *vicc_applet_find(const char *name)
{
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		if (strcmp(applets[i]->name, name) == 0)
			return applets[i];
	}
	return NULL;
}

void vicc_applet_print_list(void)
{
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		printf("  %-10s %s\n", applets[i]->name, applets[i]->help);
}
