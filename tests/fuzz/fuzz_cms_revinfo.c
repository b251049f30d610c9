/* libFuzzer target: the revocation data kyso verify reads from a CMS
 * signature (signer/verify_cmsrev.c): the DER walker over arbitrary bytes,
 * and the same after OpenSSL parsed and re-encoded them; every item found
 * must lie inside its buffer. */
#include "verify_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kyso_log_set_level(KYSO_LOG_ERROR);
	kyso_i18n_init("en");
	return 0;
}

static void inside(const kyso_pdf_blob_t *v, size_t n, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].data < buf || v[i].len > len || v[i].data + v[i].len > buf + len)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kyso_cms_revinfo_t r = {0};
	kyso_cms_revinfo_der(data, size, &r);
	inside(r.crls, r.ncrls, data, size);
	inside(r.ocsps, r.nocsps, data, size);
	kyso_cms_revinfo_free(&r);
	const unsigned char *p = data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)size);
	if (cms != NULL) {
		kyso_cms_revinfo(cms, &r);
		kyso_cms_revinfo_free(&r);
		CMS_ContentInfo_free(cms);
	}
	return 0;
}
