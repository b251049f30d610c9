/* A build without xmlsec1 (KYSO_XMLDSIG=OFF, the Windows cross build): no
 * XMLDSig; callers answer "not supported". */
#include "kyso_signer.h"

bool kyso_xml_available(void)
{
	return false;
}

kyso_err_t kyso_xml_sign(kyso_signer_t *s, const uint8_t *xml, size_t len, const kyso_xml_opts_t *o,
                         kyso_buf_t *out, kyso_error_t *err)
{
	(void)s;
	(void)xml;
	(void)len;
	(void)o;
	(void)out;
	return kyso_error_set(err, KYSO_ERR_UNSUPPORTED,
	                      _("This build of kyso has no XML signatures (xmlsec1)."));
}
