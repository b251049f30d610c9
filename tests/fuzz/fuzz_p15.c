/*
 * libFuzzer target over kyso-pkcs11's parsing of what a card returns
 * (pkcs11/p15.c): ODF, TokenInfo, CDF, PrKDF, AODF and certificate
 * files (plain, or compressed with the 01 00 header, zlib or gzip). Seeds in
 * tests/fuzz/corpus/p15 are the files of the bit4id emulation.
 */
#include <stdlib.h>
#include <string.h>

#include "p15.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p15_odf odf;
	struct p15_tokeninfo ti;
	struct p15_cert certs[P15_MAX_CERTS];
	struct p15_key keys[P15_MAX_KEYS];
	struct p15_pin pin;
	size_t n = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;

	if (p15_parse_odf(data, size, &odf) == 0 && odf.cdf != 0 && odf.prkdf != 0 && odf.aodf != 0)
		n++;
	if (p15_parse_tokeninfo(data, size, &ti) == 0 && strlen(ti.label) > P15_MAX_LABEL)
		abort(); /* strings are always cut to their buffers */
	if (p15_parse_cdf(data, size, certs, P15_MAX_CERTS, &n) == 0 && n > P15_MAX_CERTS)
		abort();
	for (size_t i = 0; i < n && i < P15_MAX_CERTS; i++) {
		if (certs[i].id_len > P15_MAX_ID || strlen(certs[i].label) > P15_MAX_LABEL)
			abort();
	}
	if (p15_parse_prkdf(data, size, keys, P15_MAX_KEYS, &n) == 0 && n > P15_MAX_KEYS)
		abort();
	if (p15_parse_aodf(data, size, &pin) != 0)
		memset(&pin, 0, sizeof(pin));
	if (p15_cert_decode(data, size, &der, &der_len) == 0) {
		/* exactly one DER element, within bounds */
		if (der_len == 0 || der_len > P15_MAX_CERT ||
		    der_total_len(der, der_len) != der_len)
			abort();
		free(der);
	}
	return 0;
}
