/* The texts integrator pages show for VNPT-CA Plugin result codes (their
 * table of signing codes), and the version the agent reports. */
#include "agent.h"

#include <stdlib.h>

const char *ag_vnpt_code_text(int code)
{
	switch (code) {
	case 0:
		return "";
	case 1:
		return _("The input data is not in the right format.");
	case 2:
		return _("Cannot read the certificate.");
	case 3:
		return _("An error occurred while signing.");
	case 4:
		return _("The certificate has no private key.");
	case 6:
		return _("PDF signing: the page to sign is not given.");
	case 7:
		return _("PDF signing: the signature page does not exist.");
	case 8:
		return _("XML signing: the signature tag was not found.");
	case 11:
		return _("The user cancelled.");
	default:
		return _("Unknown error.");
	}
}

const char *ag_vnpt_version(void)
{
	const char *v = getenv("KYSO_AGENT_VNPT_VERSION");
	return v != NULL && *v ? v : "1.0.4.3";
}
